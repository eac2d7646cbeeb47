/**
 * The store's file system goes read-only under a running switch, the way Linux does it: dataDir
 * is an ext4 image loop-mounted by the test with `errors=remount-ro`, and the test raises a
 * file-system error through the kernel's own hook (/sys/fs/ext4/<dev>/trigger_fs_error), so ext4
 * aborts its journal and refuses every write from then on, exactly as after a failing disk.
 * (A plain `mount -o remount,ro` is refused with EBUSY while the switch holds the database open
 * for writing; that is the kernel protecting the open files, not a fault to test.)
 *
 * The switch says so (error log with the SQLite code, softswitch_store_degraded 1, /healthz 503
 * store: false), spools the CDRs it cannot store to a file on another volume and keeps or refuses
 * calls as `store.onWriteFailure` says. The operator's way back from an ext4 abort is the one
 * tested: stop the switch, unmount, e2fsck, mount read-write, start it again; the CDRs stored
 * before the fault are intact and the spooled ones land in the store: none lost.
 *
 * Needs root (mount, losetup) and mkfs.ext4/e2fsck; skipped with a message otherwise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pino } from 'pino';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

interface Ext4Volume {
  image: string;
  dir: string;
  /** The loop device's name under /sys/fs/ext4 (e.g. loop3). */
  dev: string;
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' }).toString();

function mountExt4(image: string, dir: string): Ext4Volume {
  sh('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  const source = sh('findmnt', ['-n', '-o', 'SOURCE', dir]).trim();
  return { image, dir, dev: basename(source) };
}

function makeExt4(): Ext4Volume | undefined {
  const root = mkdtempSync(join(tmpdir(), 'ssw-ext4-'));
  const image = join(root, 'store.img');
  const dir = join(root, 'data');
  try {
    sh('truncate', ['-s', '32M', image]);
    sh('mkfs.ext4', ['-q', '-F', image]);
    sh('mkdir', [dir]);
    const vol = mountExt4(image, dir);
    if (!existsSync(`/sys/fs/ext4/${vol.dev}/trigger_fs_error`)) {
      sh('umount', [dir]);
      return undefined;
    }
    return vol;
  } catch {
    rmSync(root, { recursive: true, force: true });
    return undefined;
  }
}

function unmount(vol: Ext4Volume): void {
  // The loop device goes with the last unmount (mount -o loop sets autoclear).
  execFileSync('umount', [vol.dir], { stdio: 'pipe' });
}

const probe = hasSipp() ? makeExt4() : undefined;
if (probe) {
  unmount(probe);
  rmSync(join(probe.dir, '..'), { recursive: true, force: true });
}
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !probe ? 'cannot loop-mount an ext4 image with a trigger_fs_error hook here (needs root, mkfs.ext4)' : '';
if (missing) console.warn(`skipping store read-only tests: ${missing}`);

describe.skipIf(missing !== '')('store file system read-only', () => {
  let ssw: RunningSwitch | undefined;
  let vol: Ext4Volume | undefined;
  afterEach(async () => {
    await ssw?.stop();
    ssw = undefined;
    if (vol) {
      try {
        execFileSync('umount', ['-l', vol.dir], { stdio: 'pipe' });
      } catch {
        /* not mounted */
      }
      rmSync(join(vol.dir, '..'), { recursive: true, force: true });
      vol = undefined;
    }
  }, 30_000);

  async function readOnly(mode: 'keep-calls' | 'refuse-calls') {
    vol = makeExt4()!;
    const spoolPath = join(mkdtempSync(join(tmpdir(), 'ssw-spool-')), 'cdr-spool.jsonl');
    const lines: Array<{ level: number; msg: string; code?: string }> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const options = { dataDir: vol.dir, lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] }, store: { onWriteFailure: mode, spoolPath, retryMs: 200 } };
    ({ ssw } = await startLabSwitch(options, 'info', logger));
    let s = ssw!;
    const call = (n: number) => runSipp({ scenario: 'uac', target: `127.0.0.1:${s.sipPort}`, timeoutS: 30, args: ['-s', '12125550150', '-m', String(n), '-r', '5', '-d', '100'] });
    const health = async () => {
      const r = await s.api.inject({ url: '/healthz' });
      return { code: r.statusCode, store: r.json().checks.store as boolean };
    };
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await s.api.inject({ url: '/metrics' })).body)?.[1] ?? NaN);

    const before = await call(2);
    expect(before.stats.successful).toBe(2);
    await until(() => s.calls.activeCount === 0, 'calls to end');
    const acknowledged = (await s.cdrs.list({ limit: 100 })).map((c) => c.sipCallId).sort();
    expect(acknowledged).toHaveLength(2);

    // The disk fails: ext4 aborts its journal and goes read-only (dmesg: "Remounting filesystem read-only").
    execFileSync('sh', ['-c', `echo "ssw test: simulated disk error" > /sys/fs/ext4/${vol.dev}/trigger_fs_error`]);
    expect(sh('findmnt', ['-n', '-o', 'OPTIONS', vol.dir])).toMatch(/\b(ro|emergency_ro)\b/);

    const during = await call(3);
    await until(() => s.calls.activeCount === 0, 'calls to end');
    await new Promise((r) => setTimeout(r, 300));
    const h = await health();
    const degraded = await metric('softswitch_store_degraded');
    const failures = /^softswitch_store_write_failures_total\{code="(\w+)"\} (\S+)$/m.exec((await s.api.inject({ url: '/metrics' })).body);
    const alarm = lines.find((l) => l.level === 50 && /store cannot be written/.test(l.msg));
    let afterFault = during;
    if (mode === 'refuse-calls') afterFault = await call(2);
    await until(() => s.calls.activeCount === 0, 'calls to end');
    const spooled = existsSync(spoolPath) ? readFileSync(spoolPath, 'utf8').trim().split('\n').filter(Boolean).length : 0;

    // The operator's way back: stop the switch, unmount, check the file system, mount it read-write, start again.
    await s.stop();
    ssw = undefined;
    unmount(vol);
    try {
      execFileSync('e2fsck', ['-f', '-y', vol.image], { stdio: 'pipe' });
    } catch (err) {
      // Exit 1: errors corrected (the error the test raised is recorded in the superblock).
      if ((err as { status?: number }).status !== 1) throw err;
    }
    vol = mountExt4(vol.image, vol.dir);
    ({ ssw } = await startLabSwitch(options, 'info', logger));
    s = ssw!;
    await until(() => !existsSync(spoolPath), 'the spool to be replayed into the store', 10_000);
    const cdrs = await s.cdrs.list({ limit: 100 });
    const ids = cdrs.map((c) => c.sipCallId);
    const completed = before.stats.successful + during.stats.successful + (mode === 'refuse-calls' ? afterFault.stats.successful : 0);
    const after = await call(1);
    await until(() => s.calls.activeCount === 0, 'the last call to end');
    const figures = {
      mode,
      writeFailureCode: failures?.[1],
      callsCompletedWhileReadOnly: during.stats.successful,
      refusedWhileReadOnly: mode === 'refuse-calls' ? afterFault.stats.failed : 0,
      spooledCdrs: spooled,
      healthWhileReadOnly: h,
      degradedMetric: degraded,
      acknowledgedBeforeIntact: acknowledged.every((id) => ids.includes(id)),
      cdrsInStore: cdrs.length,
      completedCalls: completed,
      cdrsLost: completed - cdrs.filter((c) => c.answerTime).length,
      callAfterRecovery: after.stats.successful,
      spoolFiles: readdirSync(join(spoolPath, '..')).length,
    };
    console.log(`FAULTS store read-only: ${JSON.stringify(figures)}`);
    expect(h).toEqual({ code: 503, store: false });
    expect(degraded).toBe(1);
    expect(Number(failures?.[2])).toBeGreaterThan(0);
    expect(alarm, 'an error log line naming the store fault').toBeDefined();
    expect(spooled).toBeGreaterThan(0);
    expect(figures.acknowledgedBeforeIntact).toBe(true);
    expect(figures.cdrsLost).toBe(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(after.stats.successful).toBe(1);
    return { during, afterFault };
  }

  it('keep-calls: calls continue while the file system is read-only, CDRs spooled and stored after the repair, none lost', async () => {
    const { during } = await readOnly('keep-calls');
    expect(during.stats.successful).toBe(3);
  }, 120_000);

  it('refuse-calls: once the store fails, new calls are refused with 503; CDRs of calls completed are kept', async () => {
    const { afterFault } = await readOnly('refuse-calls');
    expect(afterFault.stats.successful).toBe(0);
    expect(afterFault.stats.failed).toBe(2);
  }, 120_000);
});
