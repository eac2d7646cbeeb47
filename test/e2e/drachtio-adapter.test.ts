/**
 * The drachtio adapter for real: a drachtio-server built by scripts/build-drachtio.sh runs on
 * loopback, the lab switch drives it with drachtio-srf, and the same scenarios as over the
 * embedded stack pass through it — trunk calls to the tandem (SIPp → drachtio-server → switch →
 * ISUP, bearer on osmo-mgw; a caller requiring 100rel gets a reliable 183 and the 200 waits for its PRACK) and Class 5 (digest REGISTER, extension → extension, busy → voicemail
 * with History-Info and Diversion); drachtio-server's HEP3 captures give the call trail its SIP. Skips, naming the script, when no binary has been built.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { drachtioBinary, drachtioSkipReason, freeTcpPort, startDrachtioServer, type DrachtioServer } from '../helpers/drachtio-server.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { callerExpecting } from '../helpers/class5-sipp.js';
import { findAll, hasTshark, readPcap } from '../helpers/tshark.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !drachtioBinary() ? drachtioSkipReason : !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping drachtio adapter end-to-end tests: ${missing}`);

describe.skipIf(missing !== '')('drachtio adapter over a real drachtio-server', () => {
  let drachtio: DrachtioServer;
  let ssw: RunningSwitch;
  let dataDir: string;
  let vmPort = 0;
  let capturePort = 0;
  const sipTarget = () => `127.0.0.1:${drachtio.sipPort}`;

  beforeAll(async () => {
    capturePort = await freeUdpPort();
    drachtio = await startDrachtioServer({ homerPort: capturePort });
    vmPort = await freeUdpPort();
    ({ ssw, dataDir } = await startLabSwitch({
      sip: { adapter: 'drachtio', drachtio: { host: drachtio.host, port: drachtio.adminPort, secret: drachtio.secret, capture: { port: capturePort } } },
      lab: { startOsmoMgw: true },
      class5: {
        enabled: true,
        auth: { algorithms: ['MD5'] },
        tenants: [
          {
            id: 'acme',
            domain: 'acme.example',
            voicemail: `sip:vm@127.0.0.1:${vmPort}`,
            extensions: [
              { number: '1001', password: 'secret1001' },
              { number: '1002', password: 'secret1002' },
              { number: '1003', password: 'secret1003', features: { voicemail: true } },
            ],
          },
          { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'secret2001' }] },
        ],
      },
    }));
  }, 60_000);

  afterAll(async () => {
    await ssw?.stop();
    await drachtio?.stop();
  });

  it('trunk calls: 10 SIPp calls through drachtio-server reach the tandem over ISUP, are answered and released; 10 CDRs', async () => {
    const before = (await ssw.cdrs.list({ limit: 1000 })).length;
    const r = await runSipp({ scenario: scenario('ssw-call-caller-bye.xml'), target: sipTarget(), timeoutS: 60, args: ['-s', '12125550150', '-m', '10', '-l', '2', '-r', '5'] });
    expect(r.exitCode, `${r.stdout.slice(-2500)}\n${r.stderr.slice(-1000)}\n${drachtio.output().slice(-2000)}`).toBe(0);
    await until(() => ssw.calls.activeCount === 0, 'calls to end', 15_000);
    const cdrs = (await ssw.cdrs.list({ limit: 1000 })).slice(0, (await ssw.cdrs.list({ limit: 1000 })).length - before);
    expect(cdrs).toHaveLength(10);
    for (const c of cdrs) expect(c).toMatchObject({ direction: 'sip-to-isup', sipStatus: 200, sipCallId: expect.stringMatching(/\S/) });
    const history = ssw.tandem!.simulator.history.filter((h) => h.direction === 'incoming');
    expect(history.filter((h) => h.messages.includes('rx:IAM') && h.messages.includes('tx:ANM')).length).toBeGreaterThanOrEqual(10);
  }, 90_000);

  it("a trunk call's trail holds the SIP drachtio-server carried (its HEP3 captures) beside ISUP and MGCP; tshark decodes its pcap", async () => {
    const list = (await ssw.api.inject({ method: 'GET', url: '/api/v1/call-trails' })).json().trails as Array<{ callId: string }>;
    expect(list.length).toBeGreaterThan(0);
    const entries = (await ssw.api.inject({ method: 'GET', url: `/api/v1/calls/${list[0].callId}/trail` })).json().entries as Array<{ protocol: string; dir: string; label: string; remote?: string }>;
    const labels = entries.map((e) => `${e.protocol} ${e.dir} ${e.label}`);
    for (const want of ['sip in INVITE', 'sip out 200 OK (INVITE)', 'sip in BYE', 'isup out IAM', 'isup in ANM']) {
      expect(labels.some((l) => l.startsWith(want)), `${want} in ${labels.join(', ')}`).toBe(true);
    }
    const order = (l: string) => labels.findIndex((x) => x.startsWith(l));
    expect(order('sip in INVITE')).toBeLessThan(order('isup out IAM'));
    expect(order('isup in ANM')).toBeLessThan(order('sip out 200 OK (INVITE)'));
    // The SIP messages' far end is the SIPp caller, not drachtio-server's own address.
    expect(entries.find((e) => e.label === 'INVITE')!.remote).not.toBe(`127.0.0.1:${drachtio.sipPort}`);
    if (!hasTshark()) return;
    const pcap = await ssw.api.inject({ method: 'GET', url: `/api/v1/calls/${list[0].callId}/trail.pcap` });
    const file = join(mkdtempSync(join(tmpdir(), 'ssw-drachtio-trail-')), 'call.pcap');
    writeFileSync(file, pcap.rawPayload);
    const mgcpPorts = [...new Set(entries.filter((e) => e.protocol === 'mgcp').map((e) => e.remote!.split(':').pop()))];
    const sipPorts = [drachtio.sipPort];
    const { packets, problems } = readPcap(file, ['-o', 'sctp.checksum:CRC 32c', ...(ssw.config.ss7.variant === 'ansi' ? ['-o', 'mtp3.standard:ANSI'] : []), ...mgcpPorts.flatMap((p) => ['-d', `udp.port==${p},mgcp`]), ...sipPorts.flatMap((p) => ['-d', `udp.port==${p},sip`])]);
    expect(problems).toBe('');
    expect(packets.length).toBe(entries.length);
    const sipFrames = packets.filter((p) => /udp:sip/.test(String(findAll(p, 'frame.protocols')[0])));
    expect(sipFrames.length).toBe(entries.filter((e) => e.protocol === 'sip').length);
  });

  for (const [name, what] of [
    ['ssw-call-prack.xml', 'a caller requiring 100rel gets the early-media 183 reliably (Require, RSeq), PRACKs it and is answered'],
    ['ssw-call-prack-late.xml', 'the 200 waits for the late PRACK of the reliable 183 (RFC 3262 §3)'],
  ]) {
    it(`PRACK through drachtio-server: ${what}; 3 calls`, async () => {
      const r = await runSipp({ scenario: scenario(name), target: sipTarget(), timeoutS: 30, args: ['-s', '12125550150', '-m', '3', '-r', '3', '-l', '3'] });
      expect(r.exitCode, `${r.stdout.slice(-2500)}\n${r.stderr.slice(-1500)}\n${drachtio.output().slice(-1500)}`).toBe(0);
      expect(r.stats.successful).toBe(3);
      await until(() => ssw.calls.activeCount === 0, 'the calls to end', 15_000);
      const cdrs = (await ssw.cdrs.list()).slice(0, 3);
      expect(cdrs.every((c) => c.sipStatus === 200 && c.releasedBy === 'caller'), JSON.stringify(cdrs)).toBe(true);
    }, 60_000);
  }

  it('a refused trunk call (blocked premium destination) gets 403 through drachtio-server', async () => {
    const path = join(dataDir, 'drachtio-refused-403.xml');
    writeFileSync(path, readFileSync(scenario('ssw-call-rejected.xml'), 'utf8').replaceAll('[$status]', '403'));
    const r = await runSipp({ scenario: path, target: sipTarget(), timeoutS: 20, args: ['-s', '19005550100', '-m', '1'] });
    expect(r.exitCode, r.stdout.slice(-2500)).toBe(0);
  }, 30_000);

  const register = (user: string, domain: string, contactPort?: number) => {
    const path = join(dataDir, `drachtio-register-${user}-${contactPort ?? 0}.xml`);
    let xml = readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200');
    if (contactPort) xml = xml.replaceAll('[local_ip]:[local_port]>', `[local_ip]:${contactPort}>`);
    writeFileSync(path, xml);
    return runSipp({ scenario: path, target: sipTarget(), timeoutS: 15, args: ['-s', user, '-au', user, '-ap', `secret${user}`, '-set', 'domain', domain, '-set', 'expires', '600', '-m', '1'] });
  };
  const call = (o: { from: string; to: string; domain: string; status: number }) =>
    runSipp({ scenario: callerExpecting(dataDir, o.status), target: sipTarget(), timeoutS: 20, args: ['-s', o.to, '-au', o.from, '-ap', `secret${o.from}`, '-set', 'domain', o.domain, '-set', 'user', o.from, '-m', '1'] });

  it('Class 5: REGISTER with digest through drachtio-server; the binding shows on the API', async () => {
    const r = await register('1001', 'acme.example');
    expect(r.exitCode, r.stdout.slice(-2500)).toBe(0);
    const res = await ssw.api.inject({ url: '/api/v1/registrations?tenant=acme' });
    expect((res.json() as { registrations: Array<{ aor: string }> }).registrations.map((x) => x.aor)).toContain('sip:1001@acme.example');
  }, 30_000);

  it('Class 5: 1001 calls 1002 (registered SIPp UAS) through drachtio-server; a globex user cannot reach 1001 (404)', async () => {
    const uasPort = await freeUdpPort();
    const callee = runSipp({ scenario: 'uas', localPort: uasPort, timeoutS: 30, args: ['-m', '1'] });
    const reg = await register('1002', 'acme.example', uasPort);
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
    const caller = await call({ from: '1001', to: '1002', domain: 'acme.example', status: 200 });
    expect(caller.exitCode, caller.stdout.slice(-2500) + caller.stderr.slice(-1000)).toBe(0);
    expect((await callee).exitCode).toBe(0);
    const isolated = await call({ from: '2001', to: '1001', domain: 'globex.example', status: 404 });
    expect(isolated.exitCode, isolated.stdout.slice(-2500)).toBe(0);
  }, 60_000);

  it('Class 5: blind transfer through drachtio-server — REFER from 1002 answered 202, NOTIFY 100/200 sipfrag, BYE; 1001 re-INVITEd with 1003’s SDP', async () => {
    const bPort = await freeUdpPort();
    const cPort = await freeUdpPort();
    const c = runSipp({ scenario: scenario('c5-transfer-target.xml'), localPort: cPort, timeoutS: 30, args: ['-m', '1', '-set', 'mport', String(await freeUdpPort())] });
    const b = runSipp({ scenario: scenario('c5-transferor-blind.xml'), localPort: bPort, timeoutS: 30, args: ['-m', '1', '-set', 'referto', '<sip:1003@acme.example>'] });
    expect((await register('1002', 'acme.example', bPort)).exitCode).toBe(0);
    expect((await register('1003', 'acme.example', cPort)).exitCode).toBe(0);
    const a = await runSipp({ scenario: scenario('c5-transferee.xml'), target: sipTarget(), timeoutS: 30, args: ['-s', '1002', '-au', '1001', '-ap', 'secret1001', '-set', 'domain', 'acme.example', '-set', 'user', '1001', '-m', '1'] });
    const bDone = await b;
    expect(bDone.exitCode, bDone.stdout.slice(-2500) + bDone.stderr.slice(-1500)).toBe(0);
    expect(a.exitCode, a.stdout.slice(-2500) + a.stderr.slice(-1500)).toBe(0);
    const cDone = await c;
    expect(cDone.exitCode, cDone.stdout.slice(-2500) + cDone.stderr.slice(-1500)).toBe(0);
  }, 60_000);

  it('Class 5: busy extension → voicemail server with History-Info cause=486 and Diversion, through drachtio-server', async () => {
    const busyPort = await freeUdpPort();
    const phone = runSipp({ scenario: scenario('pbx-busy.xml'), localPort: busyPort, timeoutS: 30, args: ['-m', '1'] });
    const vm = runSipp({ scenario: scenario('c5-voicemail.xml'), localPort: vmPort, timeoutS: 30, args: ['-m', '1'] });
    const reg = await register('1003', 'acme.example', busyPort);
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
    const caller = await call({ from: '1001', to: '1003', domain: 'acme.example', status: 200 });
    const v = await vm;
    expect(v.exitCode, v.stdout.slice(-2500) + v.stderr.slice(-1500)).toBe(0);
    expect((await phone).exitCode).toBe(0);
    expect(caller.exitCode, caller.stdout.slice(-2500)).toBe(0);
  }, 60_000);
});

describe.skipIf(missing !== '')('a switch started before its drachtio-server', () => {
  it('waits for the drachtio-server (issue 10, defect 8), then carries calls through it', async () => {
    const adminPort = await freeTcpPort();
    const sipPort = await freeUdpPort();
    const starting = startLabSwitch({
      sip: { adapter: 'drachtio', drachtio: { host: '127.0.0.1', port: adminPort, secret: 'test-secret', startupWaitMs: 30_000 } },
      lab: { startOsmoMgw: true },
    });
    // The switch is trying; the server comes up two seconds later on the port it was told.
    await new Promise((r) => setTimeout(r, 2000));
    const drachtio = await startDrachtioServer({ adminPort, sipPort });
    let ssw: RunningSwitch | undefined;
    try {
      ({ ssw } = await starting);
      const r = await runSipp({ scenario: scenario('ssw-call-caller-bye.xml'), target: `127.0.0.1:${sipPort}`, timeoutS: 30, args: ['-s', '12125550150', '-m', '1'] });
      expect(r.exitCode, r.stdout.slice(-2500)).toBe(0);
    } finally {
      await ssw?.stop();
      await drachtio.stop();
    }
  }, 90_000);
});
