/**
 * The signalling gateway restarts while calls are up: its SCTP association ends, the switch's ASP
 * reconnects (M3UA ASPUP/ASPAC again), and on ASP-ACTIVE the switch resets every circuit (GRS,
 * Q.764 §2.10.3.2) toward the fresh tandem, which knows nothing of the old calls. The calls that
 * were up are released toward their callers (BYE) and each has its CDR; afterwards every circuit
 * on both sides is idle and new calls go through.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { until } from '../helpers/lab-switch.js';
import { startImpairedLab, type ImpairedLab } from '../helpers/impaired-lab.js';

const scenario = fileURLToPath(new URL('../scenarios/uac-via-relay.xml', import.meta.url));

describe.skipIf(!hasSipp())('SG restart mid-call', () => {
  let lab: ImpairedLab | undefined;
  afterAll(async () => {
    await lab?.stop();
  }, 30_000);

  const call = async (n: number, holdMs: number) => {
    const port = await freeUdpPort();
    return runSipp({
      scenario,
      target: `127.0.0.1:${lab!.ssw.sipPort}`,
      localPort: port,
      timeoutS: 60,
      args: ['-s', '12125550150', '-m', String(n), '-r', '10', '-d', String(holdMs), '-key', 'relay_contact_port', String(port)],
    });
  };

  it('M3UA recovers, circuits are reset (GRS), calls up are released with CDRs, no circuit hung', async () => {
    lab = await startImpairedLab({}, 7);
    const { ssw } = lab;
    const up = 5;
    const held = call(up, 60_000);
    await until(() => ssw.calls.snapshot().filter((c) => c.state === 'answered').length === up, 'the calls to be answered', 20_000);
    expect((await lab.busyCircuits()).tandem).toBe(up);

    const tandem = await lab.restartTandem(500);
    const resets: number[] = [];
    tandem.isup.on('circuit-reset', (_tg: unknown, cic: number) => resets.push(cic));
    await until(() => ssw.link.status().some((s) => s.state !== 'ASP_ACTIVE'), 'the switch to see the association go', 10_000).catch(() => undefined);
    await until(() => ssw.link.status().some((s) => s.state === 'ASP_ACTIVE'), 'M3UA ASP-ACTIVE again', 30_000);
    await until(() => ssw.isup.pendingProcedures().length === 0, 'the circuit resets to complete', 30_000);
    await until(() => ssw.calls.activeCount === 0, `the calls up to be released: ${JSON.stringify(ssw.calls.snapshot())}`, 30_000);
    const sipp = await held;

    const cdrs = (await ssw.cdrs.list({ limit: 100 }));
    const busy = await lab.busyCircuits();
    const total = ssw.isup.trunkGroups.reduce((n, tg) => n + tg.circuits.counts().total, 0);
    const figures = {
      callsUp: up,
      cdrs: cdrs.length,
      cdrCauses: cdrs.map((c) => c.cause),
      releasedBy: cdrs.map((c) => c.releasedBy),
      sippCallersReleased: sipp.stats.failed + sipp.stats.successful,
      circuitsResetAtTandem: new Set(resets).size,
      circuits: total,
      hungCircuits: busy,
      asp: ssw.link.status().map((s) => s.state),
    };
    console.log(`FAULTS SG restart: ${JSON.stringify(figures)}`);
    expect(cdrs).toHaveLength(up);
    for (const c of cdrs) expect(c.answerTime).toBeDefined();
    // Every circuit was reset toward the restarted tandem (GRS ranges cover both trunk groups).
    expect(new Set(resets).size).toBe(total);
    expect(busy).toEqual({ switch: 0, tandem: 0 });
    // Each caller heard of the end of its call: SIPp ended all of them well before their hold time.
    expect(sipp.stats.failed + sipp.stats.successful).toBe(up);

    // And the path carries calls again.
    const after = await call(2, 200);
    expect(after.stats.successful).toBe(2);
    expect((await ssw.cdrs.list({ limit: 100 }))).toHaveLength(up + 2);
  }, 180_000);
});
