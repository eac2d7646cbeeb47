/**
 * An operator session with `softswitch trunk-customers` / `trunk-dids` against a running lab switch
 * whose admin API requires tokens and whose file has no trunk customer: SIPp's INVITE is refused;
 * the CLI creates a customer for SIPp's address and the next SIPp call completes; DIDs are added,
 * listed as tables and JSON, removed; wrong or missing tokens, bad arguments and unknown keys are
 * told apart by exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { trunkCustomersCommand, trunkDidsCommand, type TrunkCliIo } from '../../src/cli/trunks.js';
import { runCommand } from '../../src/cli/commands.js';
import { startLabSwitch } from '../helpers/lab-switch.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { TOKENS, tokenEntries } from '../api/app.js';

const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping trunk CLI test: ${missing}`);

describe.skipIf(missing !== '')('softswitch trunk-customers / trunk-dids (CLI through the admin API)', () => {
  let ssw: RunningSwitch;
  let api = '';
  const session = (command: (args: string[], io: TrunkCliIo) => Promise<number>) => async (args: string[], o: { token?: string } = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await command([...args, '--api', api, ...(o.token ? ['--token', o.token] : [])], { out: (s) => out.push(s), err: (s) => err.push(s), env: {} });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const customers = session(trunkCustomersCommand);
  const dids = session(trunkDidsCommand);
  const op = { token: TOKENS.operator };
  const ro = { token: TOKENS['read-only'] };
  const call = () => runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 15, args: ['-s', '12125550150', '-m', '1', '-d', '200', '-recv_timeout', '3000'] });

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] }, api: { port: 0, tokens: tokenEntries }, trunkCustomers: [], didHealth: { probeIntervalMs: 0 } }));
    api = `http://127.0.0.1:${ssw.apiPort}`;
  }, 30_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  it('creates a customer for SIPp’s address (its calls complete at once), gives it DIDs, shows and removes them', async () => {
    expect((await call()).stats.successful).toBe(0);

    const noToken = await customers(['create', 'cli-co', '--source', '127.0.0.1']);
    expect(noToken.code).toBe(1);
    expect(noToken.err).toMatch(/^401: .*give --token or SSW_API_TOKEN/);
    const readOnly = await customers(['create', 'cli-co', '--source', '127.0.0.1'], ro);
    expect(readOnly.code).toBe(1);
    expect(readOnly.err).toMatch(/^403: .*needs operator/);

    const created = await customers(['create', 'cli-co', '--source', '127.0.0.1', '--source', '192.0.2.0/24', '--name', 'CLI Co', '--max-calls', '4', '--calls-per-second', '10'], op);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/^id\s+origin\s+sources\s+maxCalls\s+dids\s+name/);
    expect(created.out).toMatch(/cli-co\s+store\s+127\.0\.0\.1,192\.0\.2\.0\/24\s+4\s+0\s+CLI Co/);
    const ok = await call();
    expect(ok.exitCode, ok.stdout.slice(-1500)).toBe(0);
    expect(ok.stats.successful).toBe(1);

    const updated = await customers(['update', 'cli-co', '--max-calls', '8', '--routing-customer', 'gold'], op);
    expect(updated.code, updated.err).toBe(0);
    const shown = await customers(['show', 'cli-co', '--json'], ro);
    expect(JSON.parse(shown.out)).toMatchObject({ id: 'cli-co', maxCalls: 8, routingCustomer: 'gold', limits: { callsPerSecond: 10 } });

    expect((await dids(['add', '2125550300-2125550349', '--customer', 'cli-co', '--target', '127.0.0.1:5099', '--target', 'pbx2.example', '--selection', 'weighted'], op)).code).toBe(0);
    const single = await dids(['add', '3125550100', '--customer', 'cli-co', '--target', 'pbx.example:5070', '--transport', 'tcp', '--deliver-as', 'e164'], op);
    expect(single.code, single.err).toBe(0);
    const table = await dids(['list', '--customer', 'cli-co'], ro);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/cli-co\s+store\s+2125550300\s+127\.0\.0\.1:5099,pbx2\.example\s+2125550300-2125550349\s+weighted\s+national/);
    expect(table.out).toMatch(/cli-co\s+store\s+3125550100\s+pbx\.example:5070\s+ordered\s+e164/);
    const json = JSON.parse((await dids(['list', '--customer', 'cli-co', '--json'], ro)).out);
    expect(json.dids[1].targets).toEqual([{ host: 'pbx.example', port: 5070, transport: 'tcp', weight: 1 }]);
    const removed = await dids(['remove', '2125550300', '--customer', 'cli-co'], op);
    expect(removed.out).toBe('removed: trunk-customers/cli-co/dids/2125550300');
    expect((await dids(['remove', '2125550300', '--customer', 'cli-co'], op)).code).toBe(3);

    const list = await customers(['list', '--json'], ro);
    expect(JSON.parse(list.out).customers).toEqual([expect.objectContaining({ id: 'cli-co', origin: 'store', dids: 1 })]);
    expect((await customers(['delete', 'cli-co'], op)).code).toBe(0);
    const gone = await customers(['show', 'cli-co'], op);
    expect(gone.code).toBe(3);
    expect(gone.err).toMatch(/404: No such trunk customer or trunk DID: trunk customer cli-co/);
    expect((await call()).stats.successful).toBe(0);
  }, 60_000);

  it('refuses a conflict with its reason, and bad arguments with the usage (exit 2); --help exits 0', async () => {
    expect((await customers(['create', 'one', '--source', '192.0.2.10'], op)).code).toBe(0);
    const clash = await customers(['create', 'two', '--source', '192.0.2.10/32'], op);
    expect(clash.code).toBe(1);
    expect(clash.err).toMatch(/409: .*sources: 192\.0\.2\.10 is trunk customer one's/);
    expect((await customers(['create', 'three'], op)).err).toMatch(/--source is needed[\s\S]*usage: softswitch trunk-customers/);
    expect((await customers(['update', 'one'], op)).code).toBe(2);
    expect((await customers(['create', 'x', '--source', '192.0.2.1', '--max-calls', 'many'], op)).code).toBe(2);
    expect((await dids(['add', '2125550400', '--customer', 'one'], op)).code).toBe(2);
    expect((await dids(['add', '21255x', '--customer', 'one', '--target', 'h'], op)).code).toBe(2);
    expect((await dids(['list'], op)).code).toBe(2);
    expect((await customers(['frobnicate'], op)).code).toBe(2);
    for (const group of ['trunk-customers', 'trunk-dids']) {
      const out: string[] = [];
      expect(await runCommand([group, '--help'], { out: (s) => out.push(s), err: () => undefined })).toBe(0);
      expect(out.join('')).toContain(`usage: softswitch ${group}`);
    }
  });
});
