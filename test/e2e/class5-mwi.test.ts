/**
 * Message waiting end to end over real SIP (RFC 6665, RFC 3842): a SIPp phone of 1001 registers and
 * subscribes to its message-summary with digest, a second registered phone of 1001 holds no
 * subscription, and a SIPp voicemail server NOTIFYs the switch; each phone must receive the
 * Messages-Waiting body (in the dialog, and unsolicited). Refresh and unsubscribe are in the
 * subscriber's scenario; strangers and other tenants are refused.
 */
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping class 5 MWI test: ${missing}`);

describe.skipIf(missing !== '')('Class 5 message waiting (SUBSCRIBE/NOTIFY message-summary) over SIPp', () => {
  let ssw: RunningSwitch;
  let dataDir: string;
  let vmPort = 0;

  beforeAll(async () => {
    vmPort = await freeUdpPort();
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      class5: {
        enabled: true,
        auth: { algorithms: ['MD5', 'SHA-256'] },
        mwi: { unsolicited: true },
        tenants: [
          { id: 'acme', domain: 'acme.example', voicemail: `sip:vm@127.0.0.1:${vmPort}`, extensions: [{ number: '1001', password: 'secret1001' }, { number: '1002', password: 'secret1002' }] },
          { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'secret2001' }] },
        ],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  /** The voicemail server's scenario expecting `status` (SIPp reads the recv status as a literal). */
  const vmExpecting = (status: number) => {
    const path = join(dataDir, `c5-mwi-voicemail-${status}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-mwi-voicemail.xml'), 'utf8').replaceAll('[$status]', String(status)));
    return path;
  };
  const metric = async (re: RegExp) => Number(re.exec((await ssw.api.inject({ url: '/metrics' })).body)?.[1] ?? 'NaN');

  /** Registers `user` of a tenant with the Contact of a SIPp instance listening on `port`. */
  const registerContact = async (user: string, domain: string, port: number) => {
    const path = join(dataDir, `c5-register-${user}-${port}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${port}>`));
    const reg = await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', user, '-au', user, '-ap', `secret${user}`, '-set', 'domain', domain, '-set', 'expires', '600', '-m', '1'] });
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
  };

  it('an unsolicited NOTIFY to a phone registered through an edge proxy goes to the proxy with Route from the registration’s Path (RFC 3327 §5.3)', async () => {
    const edgePort = await freeUdpPort();
    const phonePort = await freeUdpPort();
    const edgePath = join(dataDir, `c5-mwi-edge-proxy-${edgePort}.xml`);
    writeFileSync(edgePath, readFileSync(scenario('c5-mwi-edge-proxy.xml'), 'utf8').replaceAll('CONTACT_PORT', String(phonePort)));
    const edge = runSipp({ scenario: edgePath, localPort: edgePort, timeoutS: 20, args: ['-m', '1'] });
    const path = join(dataDir, `c5-register-path-${edgePort}.xml`);
    writeFileSync(
      path,
      readFileSync(scenario('c5-register.xml'), 'utf8')
        .replaceAll('[$status]', '200')
        .replaceAll('[local_ip]:[local_port]>', `[local_ip]:${phonePort}>\n      Path: <sip:127.0.0.1:${edgePort};lr>`),
    );
    const reg = await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '1002', '-au', '1002', '-ap', 'secret1002', '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', '1'] });
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
    const vm = await runSipp({ scenario: vmExpecting(200), target: `127.0.0.1:${ssw.sipPort}`, localPort: vmPort, timeoutS: 10, args: ['-s', '1002', '-set', 'domain', 'acme.example', '-m', '1'] });
    expect(vm.exitCode, vm.stdout.slice(-2000)).toBe(0);
    const e = await edge;
    expect(e.exitCode, e.stdout.slice(-2500) + e.stderr.slice(-1500)).toBe(0);
  }, 40_000);

  it('the subscribed phone gets the initial NOTIFY and the voicemail server’s summary in its dialog, then refreshes and unsubscribes; the unsubscribed registered phone gets it unsolicited', async () => {
    const devicePort = await freeUdpPort();
    const device = runSipp({ scenario: scenario('c5-mwi-device.xml'), localPort: devicePort, timeoutS: 30, args: ['-m', '1'] });
    await registerContact('1001', 'acme.example', devicePort);
    const subscriber = runSipp({
      scenario: scenario('c5-mwi-subscriber.xml'),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 30,
      args: ['-s', '1001', '-au', '1001', '-ap', 'secret1001', '-set', 'domain', 'acme.example', '-m', '1'],
    });
    await until(() => ssw.class5!.mwi.subscriptions.length === 1, 'the phone’s subscription', 15_000);
    expect(await metric(/softswitch_mwi_subscriptions_active (\d+)/)).toBe(1);
    const vm = await runSipp({ scenario: vmExpecting(200), target: `127.0.0.1:${ssw.sipPort}`, localPort: vmPort, timeoutS: 10, args: ['-s', '1001', '-set', 'domain', 'acme.example', '-m', '1'] });
    expect(vm.exitCode, vm.stdout.slice(-2000) + vm.stderr.slice(-1000)).toBe(0);
    const s = await subscriber;
    expect(s.exitCode, s.stdout.slice(-3000) + s.stderr.slice(-1500)).toBe(0);
    const d = await device;
    expect(d.exitCode, d.stdout.slice(-2000) + d.stderr.slice(-1000)).toBe(0);
    expect(ssw.class5!.mwi.subscriptions.length).toBe(0);
    expect(await metric(/softswitch_mwi_notifies_total\{kind="unsolicited",status="200"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(await metric(/softswitch_mwi_notifies_total\{kind="subscribed",status="200"\} (\d+)/)).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('a mailbox of another tenant is not reachable through this voicemail server (404), and a NOTIFY from a stranger’s address is refused (403, stateless)', async () => {
    const vm = await runSipp({ scenario: vmExpecting(404), target: `127.0.0.1:${ssw.sipPort}`, localPort: vmPort, timeoutS: 10, args: ['-s', '2001', '-set', 'domain', 'globex.example', '-m', '1'] });
    expect(vm.exitCode, vm.stdout.slice(-2000)).toBe(0);
    const stranger = await runSipp({ scenario: vmExpecting(403), target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-i', '127.0.0.2', '-s', '1001', '-set', 'domain', 'acme.example', '-m', '1'] });
    expect(stranger.exitCode, stranger.stdout.slice(-2000) + stranger.stderr.slice(-500)).toBe(0);
  }, 30_000);

  it('SUBSCRIBE for another event package is 489 with Allow-Events (RFC 6665 §4.2.1)', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const replies: string[] = [];
    sock.on('message', (m) => replies.push(m.toString('utf8')));
    const port = sock.address().port;
    const subscribe = (callId: string, event: string) =>
      [
        `SUBSCRIBE sip:1002@acme.example SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${callId}`,
        `From: <sip:1001@acme.example>;tag=a${callId}`,
        `To: <sip:1002@acme.example>`,
        `Call-ID: ${callId}`,
        `CSeq: 1 SUBSCRIBE`,
        `Contact: <sip:1001@127.0.0.1:${port}>`,
        `Event: ${event}`,
        `Max-Forwards: 70`,
        `Content-Length: 0`,
        '',
        '',
      ].join('\r\n');
    sock.send(subscribe('ev1', 'presence'), ssw.sipPort, '127.0.0.1');
    await until(() => replies.length >= 1, 'the 489');
    expect(replies[0]).toMatch(/^SIP\/2\.0 489/);
    expect(replies[0]).toMatch(/Allow-Events: message-summary/i);
    sock.close();
  });

  it('from an address that is no trunk customer, a REGISTER naming no tenant is refused statelessly (403, counted); one naming a tenant is challenged (401)', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.2', () => r()));
    const replies: string[] = [];
    sock.on('message', (m) => replies.push(m.toString('utf8')));
    const port = sock.address().port;
    const register = (callId: string, domain: string) =>
      [
        `REGISTER sip:${domain} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.2:${port};branch=z9hG4bK${callId}`,
        `From: <sip:1001@${domain}>;tag=a${callId}`,
        `To: <sip:1001@${domain}>`,
        `Call-ID: ${callId}`,
        `CSeq: 1 REGISTER`,
        `Contact: <sip:1001@127.0.0.2:${port}>`,
        `Max-Forwards: 70`,
        `Content-Length: 0`,
        '',
        '',
      ].join('\r\n');
    const refusedBefore = await metric(/softswitch_class5_unknown_source_refused_total\{method="REGISTER",reason="unknown-domain"\} (\d+)/);
    sock.send(register('adm1', 'initech.example'), ssw.sipPort, '127.0.0.1');
    await until(() => replies.length >= 1, 'the refusal');
    expect(replies[0]).toMatch(/^SIP\/2\.0 403/);
    expect((await metric(/softswitch_class5_unknown_source_refused_total\{method="REGISTER",reason="unknown-domain"\} (\d+)/)) - (Number.isNaN(refusedBefore) ? 0 : refusedBefore)).toBe(1);
    expect(await metric(/softswitch_sip_admission_refused_total\{verdict="reject",method="REGISTER"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    sock.send(register('adm2', 'acme.example'), ssw.sipPort, '127.0.0.1');
    await until(() => replies.length >= 2, 'the challenge');
    expect(replies[1]).toMatch(/^SIP\/2\.0 401/);
    sock.close();
  });
});
