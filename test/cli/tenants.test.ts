/**
 * An operator session with the provisioning CLI against a running lab switch whose admin API
 * requires tokens: create a tenant, add extensions (password from the environment and from stdin),
 * a DID, look at them as tables and JSON, remove them; wrong or missing tokens and bad arguments
 * are told apart by exit code. The switch's tenant directory shows each change at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { didsCommand, extensionsCommand, tenantsCommand, type TenantCliIo } from '../../src/cli/tenants.js';
import { runCommand } from '../../src/cli/commands.js';
import { startLabSwitch } from '../helpers/lab-switch.js';
import { TOKENS, tokenEntries } from '../api/app.js';

describe('softswitch tenants / extensions / dids (CLI through the admin API)', () => {
  let ssw: RunningSwitch;
  let api = '';
  const env = { EXT_PW: 'cli-secret-1001' } as NodeJS.ProcessEnv;
  const session = (command: (args: string[], io: TenantCliIo) => Promise<number>) => async (args: string[], o: { token?: string; stdin?: string } = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await command([...args, '--api', api, ...(o.token ? ['--token', o.token] : [])], { out: (s) => out.push(s), err: (s) => err.push(s), env, stdin: async () => o.stdin ?? '' });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const tenants = session(tenantsCommand);
  const extensions = session(extensionsCommand);
  const dids = session(didsCommand);
  const op = { token: TOKENS.operator };

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] }, api: { port: 0, tokens: tokenEntries }, class5: { enabled: true } }));
    api = `http://127.0.0.1:${ssw.apiPort}`;
  }, 30_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  it('creates, shows, lists and removes a tenant with extensions and a DID', async () => {
    const noToken = await tenants(['create', 'acme', '--domain', 'acme.example']);
    expect(noToken.code).toBe(1);
    expect(noToken.err).toMatch(/^401: .*give --token or SSW_API_TOKEN/);

    const created = await tenants(['create', 'acme', '--domain', 'acme.example', '--main-number', '2125550400', '--cos', 'local'], op);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/^id\s+domain\s+origin/);
    expect(created.out).toMatch(/acme\s+acme\.example\s+store/);
    expect(ssw.class5!.tenants.byDomain('acme.example')?.origin).toBe('store');

    const readOnly = await extensions(['add', '1001', '--tenant', 'acme', '--password-env', 'EXT_PW'], { token: TOKENS['read-only'] });
    expect(readOnly.code).toBe(1);
    expect(readOnly.err).toMatch(/^403: .*needs operator/);

    const e1 = await extensions(['add', '1001', '--tenant', 'acme', '--password-env', 'EXT_PW', '--name', 'Front desk', '--max-devices', '2'], op);
    expect(e1.code, e1.err).toBe(0);
    expect(e1.out).toMatch(/1001/);
    expect(e1.out).not.toContain('cli-secret-1001');
    const e2 = await extensions(['add', '1002', '--tenant', 'acme', '--password-stdin'], { ...op, stdin: 'stdin-secret-1002\n' });
    expect(e2.code, e2.err).toBe(0);
    const tenant = ssw.class5!.tenants.byId('acme')!;
    expect([...tenant.extensions.keys()].sort()).toEqual(['1001', '1002']);
    expect(tenant.extensions.get('1001')).toMatchObject({ displayName: 'Front desk', maxDevices: 2, cos: 'local' });

    const d = await dids(['add', '2125550401', '--tenant', 'acme', '--extension', '1001'], op);
    expect(d.code, d.err).toBe(0);
    expect(ssw.class5!.tenants.did('2125550401')?.extension?.number).toBe('1001');

    const list = await tenants(['list', '--json'], { token: TOKENS['read-only'] });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).tenants).toEqual([expect.objectContaining({ id: 'acme', origin: 'store', extensions: 2, dids: 1 })]);
    const show = await tenants(['show', 'acme'], { token: TOKENS['read-only'] });
    expect(show.code, show.err).toBe(0);
    expect(show.out).toMatch(/tenants\/acme\/extensions:\n[\s\S]*1001\s+local\s+Front desk/);
    expect(show.out).toMatch(/2125550401\s+acme\s+1001/);
    const extList = await extensions(['list', '--tenant', 'acme'], { token: TOKENS['read-only'] });
    expect(extList.out.split('\n')[0]).toMatch(/^tenant\s+number/);
    expect(extList.out).not.toMatch(/secret|ha1/i);

    expect((await dids(['remove', '2125550401', '--tenant', 'acme'], op)).code).toBe(0);
    const removed = await extensions(['remove', '1002', '--tenant', 'acme'], op);
    expect(removed.code).toBe(0);
    expect(removed.out).toBe('removed: tenants/acme/extensions/1002');
    expect(ssw.class5!.tenants.byId('acme')!.extensions.has('1002')).toBe(false);
    expect((await extensions(['remove', '1002', '--tenant', 'acme'], op)).code).toBe(3);
    expect((await tenants(['delete', 'acme'], op)).code).toBe(0);
    const gone = await tenants(['show', 'acme'], op);
    expect(gone.code).toBe(3);
    expect(gone.err).toMatch(/404: No such tenant, extension or DID: tenant acme/);
    expect(ssw.class5!.tenants.byDomain('acme.example')).toBeUndefined();
  });

  it('refuses a conflict with its reason, and bad arguments with the usage (exit 2); --help exits 0', async () => {
    expect((await tenants(['create', 'one', '--domain', 'same.example'], op)).code).toBe(0);
    const clash = await tenants(['create', 'two', '--domain', 'same.example'], op);
    expect(clash.code).toBe(1);
    expect(clash.err).toMatch(/409: .*domain: same\.example is tenant one's in the store/);
    const noPw = await extensions(['add', '1001', '--tenant', 'one'], op);
    expect(noPw.code).toBe(2);
    expect(noPw.err).toMatch(/give one of --password-env VAR or --password-stdin[\s\S]*usage: softswitch extensions/);
    expect((await extensions(['list'], op)).code).toBe(2);
    expect((await dids(['add', '2125550402', '--tenant', 'one'], op)).code).toBe(2);
    expect((await tenants(['frobnicate'], op)).code).toBe(2);
    for (const group of ['tenants', 'extensions', 'dids']) {
      const out: string[] = [];
      expect(await runCommand([group, '--help'], { out: (s) => out.push(s), err: () => undefined })).toBe(0);
      expect(out.join('')).toContain(`usage: softswitch ${group}`);
    }
  });
});
