/**
 * An operator blocks, inspects, unblocks and resets circuits with the CLI against a running lab
 * switch; the tandem simulator's circuits show what went over the wire (BLO/UBL/RSC).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { circuitsCommand } from '../../src/cli/circuits.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

describe('softswitch circuits (CLI through the admin API)', () => {
  let ssw: RunningSwitch;
  let api = '';
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await circuitsCommand([...args, '--api', api], { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] } }));
    api = `http://127.0.0.1:${ssw.apiPort}`;
  }, 30_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  it('blocks a range (the tandem sees its circuits remotely blocked), shows it, unblocks it', async () => {
    const far = ssw.tandem!.isup.trunkGroup('tg-ilec')!.circuits;
    const b = await run('block', 'tg-ilec', '5', '--count', '3');
    expect(b.code, b.err).toBe(0);
    await until(() => [5, 6, 7].every((c) => far.get(c)?.remoteBlocked), 'the tandem to see CIC 5-7 blocked');
    expect(far.get(8)?.remoteBlocked).toBe(false);
    const show = await run('show', 'tg-ilec', '5', '--count', '3', '--json');
    expect(show.code).toBe(0);
    expect(JSON.stringify(JSON.parse(show.out))).toContain('"cic":5');
    const u = await run('unblock', 'tg-ilec', '5', '--count', '3');
    expect(u.code, u.err).toBe(0);
    await until(() => [5, 6, 7].every((c) => !far.get(c)?.remoteBlocked), 'the tandem to see CIC 5-7 unblocked');
  });

  it('resets a circuit and a whole trunk group; the table lists trunk groups', async () => {
    const resets: number[] = [];
    ssw.tandem!.isup.on('circuit-reset', (_tg: unknown, cic: number) => resets.push(cic));
    expect((await run('reset', 'tg-ilec', '9')).code).toBe(0);
    await until(() => resets.includes(9), 'RSC for CIC 9');
    expect((await run('reset', 'tg-ixc-b')).code).toBe(0);
    await until(() => resets.includes(25) && resets.includes(48), 'GRS over tg-ixc-b');
    const t = await run('show');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/tg-ilec/);
    expect(t.out).toMatch(/tg-ixc-b/);
  });

  it('names the problem: unknown trunk group (exit 3), missing arguments (exit 2), unreachable API (exit 1)', async () => {
    const r = await run('block', 'tg-nope', '1');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/no trunk group "tg-nope"/);
    expect((await run('block', 'tg-ilec')).code).toBe(2);
    const dead = await circuitsCommand(['show', '--api', 'http://127.0.0.1:1'], { out: () => undefined, err: () => undefined });
    expect(dead).toBe(1);
  });
});
