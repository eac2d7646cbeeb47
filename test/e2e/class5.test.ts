/**
 * Class 5 end to end over real SIP: SIPp phones register with digest (RFC 3261 §10, §22.4) to the
 * lab switch; wrong passwords and unknown tenants are refused; the bindings show on the admin API.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { callerExpecting, holdResumeCaller, holdResumeCallee } from '../helpers/class5-sipp.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping class 5 end-to-end test: ${missing}`);

describe.skipIf(missing !== '')('Class 5 registrations over SIPp', () => {
  let ssw: RunningSwitch;
  let dataDir: string;
  const registerExpecting = (status: number) => {
    const path = join(dataDir, `c5-register-${status}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', String(status)));
    return path;
  };
  const register = (o: { user: string; password: string; domain: string; status: number; expires?: number }) =>
    runSipp({
      scenario: registerExpecting(o.status),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 10,
      args: ['-s', o.user, '-au', o.user, '-ap', o.password, '-set', 'domain', o.domain, '-set', 'expires', String(o.expires ?? 600), '-m', '1'],
    });

  let vmPort = 0;

  beforeAll(async () => {
    vmPort = await freeUdpPort();
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      class5: {
        enabled: true,
        // SIPp 3.6.1 answers only the first challenge, and only MD5.
        auth: { algorithms: ['MD5', 'SHA-256'] },
        tenants: [
          {
            id: 'acme',
            domain: 'acme.example',
            voicemail: `sip:vm@127.0.0.1:${vmPort}`,
            extensions: [
              { number: '1001', password: 'secret1001' },
              { number: '1002', password: 'secret1002' },
              { number: '1003', password: 'secret1003', features: { voicemail: true } },
              { number: '1004', password: 'secret1004' },
              { number: '1005', password: 'secret1005' },
              { number: '1006', password: 'secret1006' },
              { number: '1007', password: 'secret1007' },
              { number: '1008', password: 'secret1008' },
            ],
            huntGroups: [{ number: '500', strategy: 'linear', members: ['1005', '1006'], ringS: 5 }],
            dids: [{ did: '2125550300', extension: '1004' }],
          },
          { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'secret2001' }] },
        ],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  it('two extensions of one tenant and one of another register with digest; GET /api/v1/registrations lists them by tenant', async () => {
    for (const [user, domain] of [['1001', 'acme.example'], ['1002', 'acme.example'], ['2001', 'globex.example']]) {
      const r = await register({ user, password: `secret${user}`, domain, status: 200 });
      expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-1000)).toBe(0);
    }
    const res = await ssw.api.inject({ url: '/api/v1/registrations?tenant=acme' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { registrations: Array<{ tenant: string; aor: string; contacts: Array<{ contact: string; expiresInS: number }> }> };
    expect(body.registrations.map((r) => r.aor).sort()).toEqual(['sip:1001@acme.example', 'sip:1002@acme.example']);
    expect(body.registrations[0].contacts[0].expiresInS).toBeGreaterThan(590);
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_registrations_active\{tenant="acme"\} 2/);
    expect(metrics).toMatch(/softswitch_registrations_active\{tenant="globex"\} 1/);
  });

  it('a wrong password gets a second 401 and counts as bad-response; an unknown tenant domain gets 404', async () => {
    const bad = await register({ user: '1001', password: 'guess', domain: 'acme.example', status: 401 });
    expect(bad.exitCode, bad.stdout.slice(-2000)).toBe(0);
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_sip_auth_failures_total\{reason="bad-response"\} [1-9]/);
    const path = join(dataDir, 'c5-register-404.xml');
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replace(/<recv response="401"[\s\S]*<recv response="\[\$status\]"\/>/, '<recv response="404"/>').replace('<Reference variables="md5"/>', ''));
    const unknown = await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '1001', '-set', 'domain', 'initech.example', '-set', 'expires', '600', '-m', '1'] });
    expect(unknown.exitCode, unknown.stdout.slice(-2000)).toBe(0);
  });

  const registered = async (aor: string) => {
    const res = await ssw.api.inject({ url: '/api/v1/registrations' });
    return (res.json() as { registrations: Array<{ aor: string }> }).registrations.some((r) => r.aor === aor);
  };
  /** Registers `user` of acme with the Contact of a SIPp UAS on `port`. */
  const registerContact = async (user: string, port: number) => {
    const path = join(dataDir, `c5-register-contact-${user}.xml`);
    writeFileSync(path, readFileSync(registerExpecting(200), 'utf8').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${port}>`));
    const reg = await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', user, '-au', user, '-ap', `secret${user}`, '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', '1'] });
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
    expect(await registered(`sip:${user}@acme.example`)).toBe(true);
  };
  const call = (o: { from: string; to: string; domain: string; status: number }) =>
    runSipp({
      scenario: callerExpecting(dataDir, o.status),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 15,
      args: ['-s', o.to, '-au', o.from, '-ap', `secret${o.from}`, '-set', 'domain', o.domain, '-set', 'user', o.from, '-m', '1'],
    });

  it('1001 calls 1002 of the same tenant: digest on the INVITE (407), the call rings 1002’s registered contact, is answered and released; the CDR carries the tenant', async () => {
    // SIPp keys calls by Call-ID, so one process cannot register and then take a new call: a registering
    // run puts the Contact of a SIPp UAS on another port.
    const uasPort = await freeUdpPort();
    const callee = runSipp({ scenario: 'uas', localPort: uasPort, timeoutS: 25, args: ['-m', '1'] });
    await registerContact('1002', uasPort);
    const before = (await ssw.cdrs.list()).length;
    const caller = await call({ from: '1001', to: '1002', domain: 'acme.example', status: 200 });
    if (caller.exitCode !== 0) console.log((await callee).stdout.slice(-3000), (await callee).stderr.slice(-2000));
    expect(caller.exitCode, caller.stdout.slice(-2500) + caller.stderr.slice(-1000)).toBe(0);
    const c = await callee;
    expect(c.exitCode, c.stdout.slice(-2500) + c.stderr.slice(-1000)).toBe(0);
    await until(async () => (await ssw.cdrs.list()).length > before, 'the CDR of the internal call');
    const cdr = (await ssw.cdrs.list())[0] as unknown as Record<string, unknown>;
    expect(cdr.customer).toBe('acme');
    expect(cdr.called).toBe('1002');
  }, 40_000);

  it('hold and resume on an extension call: 1007’s re-INVITEs (sendonly, then sendrecv) reach 1008 and its answers (recvonly, sendrecv) come back', async () => {
    const port = await freeUdpPort();
    const callee = runSipp({ scenario: holdResumeCallee(dataDir), localPort: port, timeoutS: 25, args: ['-m', '1', '-set', 'mport', String(await freeUdpPort())] });
    await registerContact('1008', port);
    const caller = await runSipp({
      scenario: holdResumeCaller(dataDir),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 20,
      args: ['-s', '1008', '-au', '1007', '-ap', 'secret1007', '-set', 'domain', 'acme.example', '-set', 'user', '1007', '-m', '1'],
    });
    expect(caller.exitCode, caller.stdout.slice(-2500) + caller.stderr.slice(-1000)).toBe(0);
    const c = await callee;
    expect(c.exitCode, c.stdout.slice(-2500) + c.stderr.slice(-1000)).toBe(0);
  }, 40_000);

  it('tenant isolation: globex’s 2001 dialling 1001 (an acme extension only) gets 404', async () => {
    const r = await call({ from: '2001', to: '1001', domain: 'globex.example', status: 404 });
    expect(r.exitCode, r.stdout.slice(-2500) + r.stderr.slice(-1000)).toBe(0);
  });

  it('class of service: a national extension dialling an international number gets 403', async () => {
    const r = await call({ from: '1001', to: '011442071234567', domain: 'acme.example', status: 403 });
    expect(r.exitCode, r.stdout.slice(-2500) + r.stderr.slice(-1000)).toBe(0);
  });

  it('busy extension with voicemail: 1003’s phone answers 486, the call goes to the voicemail server with History-Info cause=486 and Diversion user-busy', async () => {
    const busyPort = await freeUdpPort();
    const phone = runSipp({ scenario: scenario('pbx-busy.xml'), localPort: busyPort, timeoutS: 20, args: ['-m', '1'] });
    const vm = runSipp({ scenario: scenario('c5-voicemail.xml'), localPort: vmPort, timeoutS: 20, args: ['-m', '1'] });
    await registerContact('1003', busyPort);
    const caller = await call({ from: '1001', to: '1003', domain: 'acme.example', status: 200 });
    const v = await vm;
    if (v.exitCode !== 0) console.log('VM', v.stdout.slice(-2500), v.stderr.slice(-1500), 'PHONE', (await phone).stdout.slice(-2000));
    expect(v.exitCode, v.stdout.slice(-2500) + v.stderr.slice(-1500)).toBe(0);
    expect((await phone).exitCode).toBe(0);
    expect(caller.exitCode, caller.stdout.slice(-2500) + caller.stderr.slice(-1000)).toBe(0);
  }, 40_000);

  it('PSTN → DID → extension: the tandem’s IAM to 2125550300 rings 1004’s registered phone, answered (ACM, ANM), CDR with the tenant', async () => {
    const port = await freeUdpPort();
    // pbx-answer.xml checks the caller's P-Asserted-Identity; its SDP check is dropped (no media gateway in this lab).
    const path = join(dataDir, 'c5-phone-answer.xml');
    writeFileSync(path, readFileSync(scenario('pbx-answer.xml'), 'utf8').replace(/<ereg regexp="m=audio[^\n]*\n/, '').replace('ruri,pai,offer,reason', 'ruri,pai,reason'));
    const phone = runSipp({ scenario: path, localPort: port, timeoutS: 20, args: ['-m', '1'] });
    await registerContact('1004', port);
    const res = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/originate', payload: { calling: '3125550199', called: '2125550300', holdMs: 500 } });
    expect(res.statusCode, res.body).toBe(201);
    const { cic, trunkGroup } = res.json() as { cic: number; trunkGroup: string };
    const sim = ssw.tandem!.simulator;
    const record = sim.history.filter((r) => r.direction === 'outgoing' && r.cic === cic && r.trunkGroup === trunkGroup).at(-1)!;
    await until(() => record.state === 'idle', 'the tandem call to end', 15_000);
    await until(() => ssw.calls.activeCount === 0, 'the switch call to end', 10_000);
    expect(record.messages.slice(0, 3)).toEqual(['tx:IAM', 'rx:ACM', 'rx:ANM']);
    const p = await phone;
    expect(p.exitCode, p.stdout.slice(-2000)).toBe(0);
    const cdr = (await ssw.cdrs.list({ limit: 10 })).find((c) => c.called === '2125550300');
    expect(cdr).toMatchObject({ direction: 'isup-to-sip', customer: 'acme', sipStatus: 200 });
  }, 40_000);

  it('linear hunt group 500: the first member is busy (486), the second answers', async () => {
    const busyPort = await freeUdpPort();
    const uasPort = await freeUdpPort();
    const first = runSipp({ scenario: scenario('pbx-busy.xml'), localPort: busyPort, timeoutS: 20, args: ['-m', '1'] });
    const second = runSipp({ scenario: 'uas', localPort: uasPort, timeoutS: 20, args: ['-m', '1'] });
    await registerContact('1005', busyPort);
    await registerContact('1006', uasPort);
    const caller = await call({ from: '1001', to: '500', domain: 'acme.example', status: 200 });
    expect(caller.exitCode, caller.stdout.slice(-2500) + caller.stderr.slice(-1000)).toBe(0);
    expect((await first).exitCode).toBe(0);
    expect((await second).exitCode).toBe(0);
  }, 40_000);
});
