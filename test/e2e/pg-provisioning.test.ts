/**
 * Past one machine, provisioning: two lab switches (nodes a and b, each with its own tandem
 * simulator) on one PostgreSQL started by the test, neither with a trunk customer in its file.
 * Through node a's admin API: a trunk customer for SIPp's source address, then a DID whose target
 * is a SIPp PBX, then a tenant with an extension. Node b has each within a second (measured from
 * a's reply to b's API showing it), and real SIP proves it: SIPp's INVITE to b is refused before
 * the customer exists and completed after; the DID call from b's tandem reaches the SIPp PBX; the
 * extension REGISTERs at b with digest. Removing the customer at a makes b refuse SIPp again.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = [hasSipp() ? '' : 'sipp (sip-tester) not installed', postgresMissing()].filter(Boolean).join(', ');
if (missing) console.warn(`skipping two-node provisioning test: ${missing}`);

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

describe.skipIf(missing !== '')('provisioning at one node is used for calls at the other (shared PostgreSQL, LISTEN/NOTIFY)', () => {
  let server: PostgresServer;
  let a: RunningSwitch;
  let b: RunningSwitch;
  const dir = mkdtempSync(join(tmpdir(), 'ssw-pgprov-'));
  const measured: Record<string, number> = {};

  const api = async (ssw: RunningSwitch, method: Method, url: string, payload?: unknown) => {
    const res = await ssw.api.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: res.statusCode, body: res.body, json: () => res.json() as Record<string, unknown> };
  };
  /** Milliseconds from now until node b's API answers `url` with 200 (checked every millisecond). */
  const seenAtB = async (url: string, what: string, ok: (j: Record<string, unknown>) => boolean = () => true) => {
    const t0 = performance.now();
    for (;;) {
      const r = await api(b, 'GET', url);
      if (r.status === 200 && ok(r.json())) return (measured[what] = performance.now() - t0);
      if (performance.now() - t0 > 1000) throw new Error(`${what} not at node b within a second (last: ${r.status} ${r.body})`);
      await new Promise((res) => setTimeout(res, 1));
    }
  };
  const callB = (status: 'ok' | 'refused') =>
    runSipp({ scenario: 'uac', target: `127.0.0.1:${b.sipPort}`, timeoutS: 15, args: ['-s', '12125550150', '-m', '1', '-d', '200', ...(status === 'refused' ? ['-recv_timeout', '3000'] : [])] });

  beforeAll(async () => {
    server = await startPostgres();
    const node = (name: string) => ({
      node: { name },
      store: { kind: 'postgres', url: server.url, poolSize: 4 },
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      // Neither file has a trunk customer: 127.0.0.1 (SIPp) is no one's until the API says so.
      trunkCustomers: [],
      didHealth: { probeIntervalMs: 0 },
      class5: { enabled: true, auth: { algorithms: ['MD5'] } },
    });
    ({ ssw: a } = await startLabSwitch(node('a')));
    ({ ssw: b } = await startLabSwitch(node('b')));
  }, 90_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await server?.stop();
    console.log(`node a → node b, API reply at a to b's API showing it: ${Object.entries(measured).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}`);
  }, 60_000);

  it('a trunk customer added at a admits SIPp’s calls at b within a second; removed at a, b refuses them again', async () => {
    const before = await callB('refused');
    expect(before.exitCode, before.stdout.slice(-1500)).not.toBe(0);
    expect(before.stats.successful).toBe(0);

    const created = await api(a, 'POST', '/api/v1/trunk-customers', { id: 'newco', name: 'NewCo', sources: ['127.0.0.1/32'], maxCalls: 10 });
    expect(created.status, created.body).toBe(201);
    expect(await seenAtB('/api/v1/trunk-customers/newco', 'customer')).toBeLessThan(1000);
    const call = await callB('ok');
    expect(call.exitCode, call.stdout.slice(-2000)).toBe(0);
    expect(call.stats.successful).toBe(1);
    // b's CDR names the customer a provisioned (CDRs are in the shared store, by node).
    await until(async () => (await b.cdrs.list({ limit: 20 })).some((c) => c.customer === 'newco' && c.direction === 'sip-to-isup' && c.sipStatus === 200), 'the CDR of the call at b', 10_000);
  }, 60_000);

  it('a DID added at a takes a PSTN call at b (b’s tandem originates) to the SIPp PBX within a second', async () => {
    const port = await freeUdpPort();
    const pbxScenario = join(dir, 'pbx-answer-no-media.xml');
    // No media gateway in this lab: the offer has no audio line to check.
    writeFileSync(pbxScenario, readFileSync(scenario('pbx-answer.xml'), 'utf8').replace(/<ereg regexp="m=audio[^\n]*\n/, '').replace('ruri,pai,offer,reason', 'ruri,pai,reason'));
    const pbx = runSipp({ scenario: pbxScenario, localPort: port, timeoutS: 20, args: ['-m', '1'] });
    const added = await api(a, 'POST', '/api/v1/trunk-customers/newco/dids', { number: '2125550777', targets: [{ host: '127.0.0.1', port }] });
    expect(added.status, added.body).toBe(201);
    expect(await seenAtB('/api/v1/trunk-customers/newco/dids', 'DID', (j) => (j.dids as Array<{ number: string }>).some((d) => d.number === '2125550777'))).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 300)); // SIPp binds its port
    const res = await api(b, 'POST', '/api/v1/lab/tandem/originate', { calling: '3125550199', called: '2125550777', holdMs: 400 });
    expect(res.status, res.body).toBe(201);
    const p = await pbx;
    expect(p.exitCode, p.stdout.slice(-2000)).toBe(0);
    await until(async () => (await b.cdrs.list({ limit: 20 })).some((c) => c.called === '2125550777' && c.customer === 'newco' && c.sipStatus === 200), 'the CDR of the DID call at b', 15_000);
  }, 60_000);

  it('a tenant extension added at a REGISTERs at b within a second', async () => {
    expect((await api(a, 'POST', '/api/v1/tenants', { id: 'acme', domain: 'acme.example' })).status).toBe(201);
    const ext = await api(a, 'POST', '/api/v1/tenants/acme/extensions', { number: '1001', password: 'acme-pw-1001' });
    expect(ext.status, ext.body).toBe(201);
    expect(await seenAtB('/api/v1/tenants/acme/extensions/1001', 'extension')).toBeLessThan(1000);
    const xml = join(dir, 'c5-register-200.xml');
    writeFileSync(xml, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200'));
    const reg = await runSipp({ scenario: xml, target: `127.0.0.1:${b.sipPort}`, timeoutS: 10, args: ['-s', '1001', '-au', '1001', '-ap', 'acme-pw-1001', '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', '1'] });
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
    expect(((await api(b, 'GET', '/api/v1/registrations?tenant=acme')).json().registrations as Array<{ aor: string }>).map((r) => r.aor)).toEqual(['sip:1001@acme.example']);
  }, 40_000);

  it('the customer deleted at a: b refuses SIPp’s next call', async () => {
    expect((await api(a, 'DELETE', '/api/v1/trunk-customers/newco')).status).toBe(204);
    const t0 = performance.now();
    await until(async () => (await api(b, 'GET', '/api/v1/trunk-customers/newco')).status === 404, 'newco gone at b', 1000);
    measured['deletion'] = performance.now() - t0;
    const after = await callB('refused');
    expect(after.stats.successful).toBe(0);
  }, 40_000);
});
