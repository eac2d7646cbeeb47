/**
 * Provisioning without a restart, end to end over real SIP: on a running lab switch whose
 * configuration has no tenant at all, tenants and extensions are created through the admin API;
 * SIPp phones then REGISTER with digest and call each other by extension number; a second tenant's
 * user cannot reach them; a DID added through the API takes a PSTN call from the tandem; a removed
 * extension loses its registration and its next REGISTER is answered 404.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { callerExpecting } from '../helpers/class5-sipp.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping class 5 provisioning end-to-end test: ${missing}`);

const PASSWORDS: Record<string, string> = { '1001': 'acme-pw-1001', '1002': 'acme-pw-1002', '2001': 'globex-pw-2001' };

describe.skipIf(missing !== '')('Class 5 tenants provisioned through the admin API, used at once over SIPp', () => {
  let ssw: RunningSwitch;
  let dataDir: string;

  const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const res = await ssw.api.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: res.statusCode, body: res.body, json: () => res.json() as Record<string, unknown> };
  };
  const registerScenario = (status: number, contactPort?: number) => {
    const path = join(dataDir, `c5-register-${status}-${contactPort ?? 'own'}.xml`);
    let xml = readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', String(status));
    if (contactPort) xml = xml.replaceAll('[local_ip]:[local_port]>', `[local_ip]:${contactPort}>`);
    writeFileSync(path, xml);
    return path;
  };
  const register = (user: string, domain: string, status: number, contactPort?: number) =>
    runSipp({
      scenario: registerScenario(status, contactPort),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 10,
      args: ['-s', user, '-au', user, '-ap', PASSWORDS[user], '-set', 'domain', domain, '-set', 'expires', '600', '-m', '1'],
    });
  const call = (from: string, to: string, domain: string, status: number) =>
    runSipp({
      scenario: callerExpecting(dataDir, status),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 15,
      args: ['-s', to, '-au', from, '-ap', PASSWORDS[from], '-set', 'domain', domain, '-set', 'user', from, '-m', '1'],
    });
  const aors = async (tenant: string) => ((await api('GET', `/api/v1/registrations?tenant=${tenant}`)).json().registrations as Array<{ aor: string }>).map((r) => r.aor);

  beforeAll(async () => {
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      // Class 5 on, and not one tenant in the file: everything below comes through the API.
      class5: { enabled: true, auth: { algorithms: ['MD5', 'SHA-256'] } },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  it('creates two tenants and three extensions through the API; the file has none', async () => {
    expect((await api('GET', '/api/v1/tenants')).json().tenants).toEqual([]);
    expect((await api('POST', '/api/v1/tenants', { id: 'acme', domain: 'acme.example', mainNumber: '2125550400' })).status).toBe(201);
    expect((await api('POST', '/api/v1/tenants', { id: 'globex', domain: 'globex.example' })).status).toBe(201);
    for (const n of ['1001', '1002']) {
      const r = await api('POST', '/api/v1/tenants/acme/extensions', { number: n, displayName: `Acme ${n}`, password: PASSWORDS[n] });
      expect(r.status, r.body).toBe(201);
    }
    expect((await api('POST', '/api/v1/tenants/globex/extensions', { number: '2001', password: PASSWORDS['2001'] })).status).toBe(201);
    expect((await api('GET', '/api/v1/tenants/acme')).json()).toMatchObject({ origin: 'store', extensions: 2 });
  });

  it('the API-made extensions REGISTER with digest and 1001 calls 1002 by its short number: answered', async () => {
    const r1 = await register('1001', 'acme.example', 200);
    expect(r1.exitCode, r1.stdout.slice(-2000)).toBe(0);
    // SIPp keys calls by Call-ID, so the callee is a SIPp UAS on another port whose Contact 1002 registers.
    const uasPort = await freeUdpPort();
    const callee = runSipp({ scenario: 'uas', localPort: uasPort, timeoutS: 25, args: ['-m', '1'] });
    const r2 = await register('1002', 'acme.example', 200, uasPort);
    expect(r2.exitCode, r2.stdout.slice(-2000)).toBe(0);
    expect((await aors('acme')).sort()).toEqual(['sip:1001@acme.example', 'sip:1002@acme.example']);
    const caller = await call('1001', '1002', 'acme.example', 200);
    const c = await callee;
    expect(caller.exitCode, caller.stdout.slice(-2500) + caller.stderr.slice(-1000)).toBe(0);
    expect(c.exitCode, c.stdout.slice(-2500)).toBe(0);
    await until(async () => (await ssw.cdrs.list()).some((x) => x.called === '1002' && x.customer === 'acme'), 'the CDR of 1001 → 1002');
  }, 45_000);

  it('tenant isolation: globex’s 2001 (also API-made) dialling 1001 gets 404 from the dial plan', async () => {
    const r = await call('2001', '1001', 'globex.example', 404);
    expect(r.exitCode, r.stdout.slice(-2500) + r.stderr.slice(-1000)).toBe(0);
  }, 30_000);

  it('a DID added through the API takes a PSTN call from the tandem to 1001’s phone', async () => {
    expect((await api('POST', '/api/v1/tenants/acme/dids', { did: '2125550401', extension: '1001' })).status).toBe(201);
    const port = await freeUdpPort();
    const path = join(dataDir, 'c5-phone-answer.xml');
    writeFileSync(path, readFileSync(scenario('pbx-answer.xml'), 'utf8').replace(/<ereg regexp="m=audio[^\n]*\n/, '').replace('ruri,pai,offer,reason', 'ruri,pai,reason'));
    const phone = runSipp({ scenario: path, localPort: port, timeoutS: 20, args: ['-m', '1'] });
    const reg = await register('1001', 'acme.example', 200, port);
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
    const res = await api('POST', '/api/v1/lab/tandem/originate', { calling: '3125550199', called: '2125550401', holdMs: 500 });
    expect(res.status, res.body).toBe(201);
    const p = await phone;
    expect(p.exitCode, p.stdout.slice(-2000)).toBe(0);
    await until(async () => (await ssw.cdrs.list({ limit: 10 })).some((c) => c.called === '2125550401' && c.customer === 'acme' && c.sipStatus === 200), 'the CDR of the DID call', 15_000);
  }, 40_000);

  it('removing extension 1002 drops its registration at once; its next REGISTER gets 404, and calls to it 404', async () => {
    expect((await api('DELETE', '/api/v1/tenants/acme/extensions/1002')).status).toBe(204);
    expect(await aors('acme')).not.toContain('sip:1002@acme.example');
    const again = await register('1002', 'acme.example', 404);
    expect(again.exitCode, again.stdout.slice(-2000)).toBe(0);
    const r = await call('1001', '1002', 'acme.example', 404);
    expect(r.exitCode, r.stdout.slice(-2500)).toBe(0);
    // Audit trail of the whole session, without one password.
    const audit = JSON.stringify((await api('GET', '/api/v1/audit?limit=100')).json());
    expect(audit).toContain('/api/v1/tenants/:id/extensions/:number');
    for (const pw of Object.values(PASSWORDS)) expect(audit).not.toContain(pw);
  }, 40_000);
});
