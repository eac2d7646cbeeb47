/**
 * Soak: the real call engine (both Class 4 intakes, every leg, the call manager) on in-memory
 * ports in virtual time, over SOAK_CALLS calls (100,000 by default) scripted by a seeded PRNG:
 * SIP→ISUP, ISUP→SIP and ISUP→ISUP transit; callers and called parties releasing before and
 * after answer, CANCEL, busy, no answer, silence; dual seizure on a circuit the switch has just
 * sent an IAM on; release collisions; RSC and GRS from the far end mid-call; a far end that never
 * sends RLC; media gateway delays and refusals (see soak-rig.ts, soak-far.ts, soak-sip.ts).
 *
 * The calls are split over SOAK_WORKERS worker threads (2 by default; 0 runs one soak in this
 * thread), each an independent switch with its own seed (SOAK_SEED + i), so the soak uses both
 * cores. Each must end with nothing left: no call, busy circuit, gateway connection, timer, SIP
 * dialog or far-end call, and exactly one CDR per call; the CDR of a call a SIP party or the far
 * end hung up first must name that party (a lost release event is otherwise hidden by the other
 * party hanging up later, or by the duration cap). A run repeats exactly from its seed.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runSoak, type SoakOptions, type SoakReport } from './soak-rig.js';

const CALLS = Number(process.env.SOAK_CALLS ?? 100_000);
const SEED = Number(process.env.SOAK_SEED ?? 20_240_611);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 2);

/** Runs a soak in a worker thread, the rig loaded through tsx as in this process. */
function inWorker(opts: SoakOptions): Promise<SoakReport> {
  const url = new URL('./soak-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
  // A larger young generation: the engine allocates per call and scavenges were a sixth of the run.
  const worker = new Worker(boot, { eval: true, workerData: opts, resourceLimits: { maxYoungGenerationSizeMb: 96 } });
  return new Promise((resolve, reject) => {
    worker.once('message', (r: SoakReport) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`soak worker exited with ${code}`)));
  });
}

describe('soak: the call engine over many scripted calls in virtual time', () => {
  it(`${CALLS} calls both ways with races, resets and gateway delays leave nothing behind`, async () => {
    const per = Math.ceil(CALLS / Math.max(1, WORKERS));
    const seeds = Array.from({ length: Math.max(1, WORKERS) }, (_, i) => SEED + i);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const reports = await Promise.all(seeds.map((seed) => (WORKERS > 0 ? inWorker({ seed, calls: per }) : runSoak({ seed, calls: per }))));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const started = reports.reduce((s, r) => s + r.started, 0);
    console.log(
      JSON.stringify(
        {
          calls: started,
          wallS: +(wallMs / 1000).toFixed(1),
          cpuS: +((cpu.user + cpu.system) / 1e6).toFixed(1),
          callsPerWallS: Math.round((started / wallMs) * 1000),
          soaks: reports.map((r) => ({ seed: r.seed, started: r.started, steps: r.steps, virtualS: r.virtualS, wallS: +(r.wallMs / 1000).toFixed(1), knownDefects: Object.fromEntries(Object.entries(r.knownDefects).map(([k, v]) => [k, v.count])) })),
          ...(process.env.SOAK_VERBOSE ? { reports } : { tallies: reports[0].tallies }),
        },
        null,
        1,
      ),
    );
    for (const r of reports) {
      const none = Object.fromEntries(Object.keys(r.left).map((k) => [k, 0]));
      expect(r.left, `seed ${r.seed}: what the soak left behind`).toEqual(none);
      expect(r.cdrMismatches, `seed ${r.seed}: calls without exactly one CDR`).toEqual([]);
      expect(r.strayCdrs, `seed ${r.seed}: CDRs of calls never started`).toBe(0);
      expect(r.cdrProblems, `seed ${r.seed}`).toEqual([]);
      expect(r.sipViolations, `seed ${r.seed}`).toEqual([]);
      expect(r.farAnomalies, `seed ${r.seed}: the far end saw the switch break ISUP`).toEqual([]);
      expect(r.unexpectedErrors, `seed ${r.seed}: error-level log lines`).toEqual({});
    }
    expect(started).toBeGreaterThanOrEqual(CALLS);
  }, 600_000);
});
