/**
 * An operator manages rate deck versions with the CLI against a running lab switch: imports two
 * decks (progress shown), diffs them, activates one then the other, rolls back, and sees routing
 * follow each step; a bad deck is refused with its line numbers; --help exits 0.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { decksCommand } from '../../src/cli/decks.js';
import { runCommand } from '../../src/cli/commands.js';
import { startLabSwitch } from '../helpers/lab-switch.js';

describe('softswitch decks (CLI through the admin API)', () => {
  let ssw: RunningSwitch;
  let api = '';
  let dir = '';
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await decksCommand([...args, '--api', api], { out: (s) => out.push(s), err: (s) => err.push(s), tty: false });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const routeRate = async (number: string) => {
    const r = await fetch(`${api}/api/v1/routes/lookup?number=${number}&at=2026-03-04T17:00:00Z`);
    const d = (await r.json()) as { candidates: Array<{ carrier: string; rate: number }> };
    return d.candidates.find((c) => c.carrier === 'ixc-b')?.rate;
  };

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] } }));
    api = `http://127.0.0.1:${ssw.apiPort}`;
    dir = await mkdtemp(join(tmpdir(), 'decks-cli-'));
    const rows = (rate: string, extra: string) => ['prefix,interstate,intrastate', `1212,${rate},0.005`, ...Array.from({ length: 20_000 }, (_, i) => `44${String(i).padStart(6, '0')},0.01,0.01`), extra].join('\n') + '\n';
    await writeFile(join(dir, 'v1.csv'), rows('0.004', '1213,0.006,0.006'));
    await writeFile(join(dir, 'v2.csv'), rows('0.003', '1214,0.007,0.007'));
    await writeFile(join(dir, 'bad.csv'), 'prefix,interstate\n1212,0.004\n12x3,0.004\n');
  }, 60_000);
  afterAll(async () => {
    await ssw?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('imports, diffs, activates, rolls back', async () => {
    const i1 = await run('import', 'ixc-b', join(dir, 'v1.csv'), '--json');
    expect(i1.code, i1.err).toBe(0);
    expect(i1.err).toContain('100%');
    const v1 = JSON.parse(i1.out).version.id as number;
    const i2 = await run('import', 'ixc-b', join(dir, 'v2.csv'));
    expect(i2.code, i2.err).toBe(0);
    const v2 = Number(/stored version (\d+)/.exec(i2.out)![1]);
    expect(v2).toBeGreaterThan(v1);

    const list = await run('list', 'ixc-b');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/active version \(none/);
    expect(list.out).toMatch(new RegExp(`^${v2}\\s+valid\\s+20002`, 'm'));

    const diff = await run('diff', String(v1), String(v2));
    expect(diff.code, diff.err).toBe(0);
    expect(diff.out).toContain('1 added, 1 removed, 1 re-rated, 20000 unchanged');
    expect(diff.out).toMatch(/changed\s+1212\s+\S+\s+0\.004\s+0\.003/);
    const diffJson = JSON.parse((await run('diff', String(v1), String(v2), '--json')).out);
    expect(diffJson.counts).toEqual({ added: 1, removed: 1, changed: 1, unchanged: 20_000 });

    const a1 = await run('activate', String(v1), '--reason', 'cli test');
    expect(a1.code, a1.err).toBe(0);
    expect(a1.out).toContain(`activated: ixc-b version ${v1}`);
    expect(await routeRate('12125551234')).toBe(0.004);
    const a2 = await run('activate', String(v2));
    expect(a2.code, a2.err).toBe(0);
    expect(await routeRate('12125551234')).toBe(0.003);
    const back = await run('rollback', 'ixc-b');
    expect(back.code, back.err).toBe(0);
    expect(back.out).toContain(`rolled back: ixc-b version ${v1} (previous ${v2})`);
    expect(await routeRate('12125551234')).toBe(0.004);
    expect((await run('list', 'ixc-b')).out).toContain(`active version ${v1}`);
    const none = await run('rollback', 'ixc-b');
    expect(none.code).toBe(5);
    expect(none.err).toContain('no earlier activated deck version');
  });

  it('refuses a bad deck with its line numbers (exit 4), and an unknown version (exit 3)', async () => {
    const bad = await run('import', 'ixc-b', join(dir, 'bad.csv'));
    expect(bad.code).toBe(4);
    expect(bad.err).toContain('line 3: prefix "12x3"');
    expect(bad.err).toMatch(/^\d+\s+rejected/m);
    const json = await run('import', 'ixc-b', join(dir, 'bad.csv'), '--json');
    expect(json.code).toBe(4);
    const id = JSON.parse(json.out).version.id as number;
    const show = await run('show', String(id));
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/rejected/);
    expect(show.out).toContain('line 3:');
    expect((await run('show', '999999')).code).toBe(3);
    expect((await run('activate', String(id))).code).toBe(5);
  });

  it('--help exits 0 for the group and every subcommand; bad usage exits 2', async () => {
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
    for (const argv of [['decks', '--help'], ['decks', 'import', '--help'], ['decks', 'rollback', '-h']]) expect(await runCommand(argv, io), argv.join(' ')).toBe(0);
    expect(out.join('')).toContain('softswitch decks import CARRIER FILE.csv');
    expect((await run('diff', 'x', 'y')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
  });
});
