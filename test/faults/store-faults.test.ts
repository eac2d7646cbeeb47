/**
 * The store's disk fills up under a running switch: dataDir is a small tmpfs mounted by the test,
 * filled by a filler file until the kernel says ENOSPC, so SQLite's next commit fails for real
 * (SQLITE_FULL). The switch says so (error log, softswitch_store_degraded, /healthz 503 with
 * store: false), spools the CDRs it cannot store to a file on another volume, keeps or refuses
 * calls as `store.onWriteFailure` says, and once space is freed replays the spool: every CDR of
 * a completed call ends up in the store, none lost.
 *
 * Needs `mount` (root or CAP_SYS_ADMIN); skipped with a message otherwise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

function tryMount(size: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const probe = tryMount('1m');
if (probe) execFileSync('umount', [probe]);
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !probe ? 'cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)' : '';
if (missing) console.warn(`skipping store fault tests: ${missing}`);

/** Writes a filler file until the file system is full; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // Small writes may still fit in the last partial block: fill those too.
  const fd2 = openSync(path, 'a');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(512, 1));
  } catch {
    /* full */
  } finally {
    closeSync(fd2);
  }
  return path;
}

describe.skipIf(missing !== '')('store disk full', () => {
  let ssw: RunningSwitch | undefined;
  let mount: string | undefined;
  afterEach(async () => {
    await ssw?.stop();
    ssw = undefined;
    if (mount) {
      execFileSync('umount', ['-l', mount]);
      mount = undefined;
    }
  }, 30_000);

  const call = (n: number) => runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw!.sipPort}`, timeoutS: 30, args: ['-s', '12125550150', '-m', String(n), '-r', '5', '-d', '100'] });
  const health = async () => {
    const r = await ssw!.api.inject({ url: '/healthz' });
    return { code: r.statusCode, store: r.json().checks.store as boolean };
  };
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await ssw!.api.inject({ url: '/metrics' })).body)?.[1] ?? NaN);

  async function diskFull(mode: 'keep-calls' | 'refuse-calls') {
    mount = tryMount('16m')!;
    const spoolPath = join(mkdtempSync(join(tmpdir(), 'ssw-spool-')), 'cdr-spool.jsonl');
    ({ ssw } = await startLabSwitch({ dataDir: mount, lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] }, store: { onWriteFailure: mode, spoolPath, retryMs: 200 } }));
    const s = ssw!;
    const before = await call(2);
    expect(before.stats.successful).toBe(2);
    await until(() => s.calls.activeCount === 0, 'calls to end');
    expect((await s.cdrs.list({ limit: 100 }))).toHaveLength(2);

    const filler = fill(mount);
    // The first write to fail marks the store degraded; with keep-calls the calls themselves go on.
    const during = await call(3);
    await until(() => s.calls.activeCount === 0, 'calls to end');
    await new Promise((r) => setTimeout(r, 300));
    const h = await health();
    const degraded = await metric('softswitch_store_degraded');
    const spooled = existsSync(spoolPath) ? readFileSync(spoolPath, 'utf8').trim().split('\n').filter(Boolean).length : 0;
    let afterFull = during;
    if (mode === 'refuse-calls') {
      // The failed write came with the first call's CDR; calls after it are refused (503).
      afterFull = await call(2);
    }

    rmSync(filler);
    await until(() => !existsSync(spoolPath), 'the spool to be replayed into the store', 10_000);
    const recovered = await health();
    const cdrs = (await s.cdrs.list({ limit: 100 }));
    const completed = before.stats.successful + during.stats.successful + (mode === 'refuse-calls' ? afterFull.stats.successful : 0);
    const after = await call(1);
    await until(() => s.calls.activeCount === 0, 'the last call to end');
    const figures = {
      mode,
      callsCompletedWhileFull: during.stats.successful,
      refusedWhileFull: mode === 'refuse-calls' ? afterFull.stats.failed : 0,
      spooledCdrs: spooled,
      healthWhileFull: h,
      degradedMetric: degraded,
      healthAfter: recovered,
      cdrsInStore: cdrs.length,
      completedCalls: completed,
      cdrsLost: completed - cdrs.filter((c) => c.answerTime).length,
      callAfterRecovery: after.stats.successful,
    };
    console.log(`FAULTS store disk full: ${JSON.stringify(figures)}`);
    expect(h).toEqual({ code: 503, store: false });
    expect(degraded).toBe(1);
    expect(spooled).toBeGreaterThan(0);
    expect(recovered).toEqual({ code: 200, store: true });
    expect(figures.cdrsLost).toBe(0);
    // Every CDR the switch wrote is in the store once: one per call offered and taken.
    expect(new Set(cdrs.map((c) => c.sipCallId)).size).toBe(cdrs.length);
    expect(after.stats.successful).toBe(1);
    return { during, afterFull };
  }

  it('keep-calls: calls continue, CDRs spooled and replayed, none lost', async () => {
    const { during } = await diskFull('keep-calls');
    expect(during.stats.successful).toBe(3);
  }, 120_000);

  it('refuse-calls: once the store fails, new calls are refused with 503 until it recovers', async () => {
    const { afterFull } = await diskFull('refuse-calls');
    expect(afterFull.stats.successful).toBe(0);
    expect(afterFull.stats.failed).toBe(2);
  }, 120_000);
});
