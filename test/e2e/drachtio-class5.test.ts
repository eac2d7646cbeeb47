/**
 * Class 5 features over the drachtio adapter (issue 11): the same SIPp phones and scenarios as the
 * embedded-stack tests (class5-mwi, class5, class5-features, class5-transfer), with the switch
 * driving a real drachtio-server (scripts/build-drachtio.sh) through drachtio-srf. The features are
 * decisions of src/class5 carried out by the call engine, so they must behave the same over both
 * adapters; a difference is an adapter bug. Skips, naming the build script, when no binary exists.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { drachtioBinary, drachtioSkipReason, startDrachtioServer, type DrachtioServer } from '../helpers/drachtio-server.js';
import { freeUdpPort, hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { callerExpecting, holdResumeCaller, holdResumeCallee, targetTakingReinvite } from '../helpers/class5-sipp.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !drachtioBinary() ? drachtioSkipReason : !hasSipp() ? 'sipp (sip-tester) not installed' : '';
if (missing) console.warn(`skipping drachtio Class 5 end-to-end tests: ${missing}`);

describe.skipIf(missing !== '')('Class 5 features over a real drachtio-server', () => {
  let drachtio: DrachtioServer;
  let ssw: RunningSwitch;
  let dataDir: string;
  let vmPort = 0;
  const sipTarget = () => `127.0.0.1:${drachtio.sipPort}`;

  beforeAll(async () => {
    drachtio = await startDrachtioServer();
    vmPort = await freeUdpPort();
    ({ ssw, dataDir } = await startLabSwitch({
      sip: { adapter: 'drachtio', drachtio: { host: drachtio.host, port: drachtio.adminPort, secret: drachtio.secret } },
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      class5: {
        enabled: true,
        auth: { algorithms: ['MD5'] },
        mwi: { unsolicited: true },
        tenants: [
          {
            id: 'acme',
            domain: 'acme.example',
            mainNumber: '2125550100',
            voicemail: `sip:vm@127.0.0.1:${vmPort}`,
            extensions: [
              { number: '1001', password: 'secret1001' },
              { number: '1002', password: 'secret1002' },
              { number: '1003', password: 'secret1003' },
              { number: '1004', password: 'secret1004', features: { followMe: { mode: 'sequential', ringPhones: true, phonesRingS: 3, targets: [{ number: '1006', ringS: 10 }] } } },
              { number: '1005', password: 'secret1005', features: { followMe: { mode: 'simultaneous', ringPhones: true, targets: [{ number: '1009', ringS: 10 }] } } },
              { number: '1006', password: 'secret1006' },
              { number: '1007', password: 'secret1007' },
              { number: '1008', password: 'secret1008' },
              { number: '1009', password: 'secret1009' },
              { number: '1010', password: 'secret1010' },
              { number: '1011', password: 'secret1011' },
              { number: '1012', password: 'secret1012' },
              { number: '1013', password: 'secret1013', features: { voicemail: true, noAnswerS: 5 } },
              { number: '1014', password: 'secret1014' },
              { number: '1015', password: 'secret1015' },
            ],
            huntGroups: [{ number: '500', strategy: 'linear', members: ['1007', '1008'], ringS: 5 }],
          },
        ],
      },
    }));
  }, 60_000);

  afterAll(async () => {
    await ssw?.stop();
    await drachtio?.stop();
  });

  const ok = (r: SippResult, who: string) => expect(r.exitCode, `${who}: ${r.stdout.slice(-2500)}${r.stderr.slice(-1500)}\n${drachtio.output().slice(-1500)}`).toBe(0);
  const metric = async (re: RegExp) => Number(re.exec((await ssw.api.inject({ url: '/metrics' })).body)?.[1] ?? 'NaN');
  const register = async (user: string, port: number) => {
    const path = join(dataDir, `c5-register-${user}-${port}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${port}>`));
    ok(await runSipp({ scenario: path, target: sipTarget(), timeoutS: 15, args: ['-s', user, '-au', user, '-ap', `secret${user}`, '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', '1'] }), `register ${user}`);
  };
  const dialFrom = (from: string, dialled: string, path: string, timeoutS = 25) =>
    runSipp({ scenario: path, target: sipTarget(), timeoutS, args: ['-s', dialled, '-au', from, '-ap', `secret${from}`, '-set', 'domain', 'acme.example', '-set', 'user', from, '-m', '1'] });
  const featureCode = (status: number) => {
    if (status === 200) return scenario('c5-feature-code.xml');
    return callerExpecting(dataDir, status, 'c5-feature-code.xml');
  };

  it('MWI: the subscribed phone gets the initial NOTIFY and the voicemail server’s summary in its dialog, refreshes and unsubscribes; the other registered phone gets it unsolicited', async () => {
    const devicePort = await freeUdpPort();
    const device = runSipp({ scenario: scenario('c5-mwi-device.xml'), localPort: devicePort, timeoutS: 30, args: ['-m', '1'] });
    await register('1010', devicePort);
    const subscriber = runSipp({ scenario: scenario('c5-mwi-subscriber.xml'), target: sipTarget(), timeoutS: 30, args: ['-s', '1010', '-au', '1010', '-ap', 'secret1010', '-set', 'domain', 'acme.example', '-m', '1'] });
    await until(() => ssw.class5!.mwi.subscriptions.length === 1, 'the phone’s subscription', 15_000);
    const vmPath = join(dataDir, 'c5-mwi-voicemail-200.xml');
    writeFileSync(vmPath, readFileSync(scenario('c5-mwi-voicemail.xml'), 'utf8').replaceAll('[$status]', '200'));
    ok(await runSipp({ scenario: vmPath, target: sipTarget(), localPort: vmPort, timeoutS: 15, args: ['-s', '1010', '-set', 'domain', 'acme.example', '-m', '1'] }), 'voicemail server');
    ok(await subscriber, 'subscriber');
    ok(await device, 'unsubscribed device');
    expect(ssw.class5!.mwi.subscriptions.length).toBe(0);
    expect(await metric(/softswitch_mwi_notifies_total\{kind="unsolicited",status="200"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(await metric(/softswitch_mwi_notifies_total\{kind="subscribed",status="200"\} (\d+)/)).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('linear hunt group 500: the first member is busy (486), the second answers', async () => {
    const busyPort = await freeUdpPort();
    const uasPort = await freeUdpPort();
    const first = runSipp({ scenario: scenario('pbx-busy.xml'), localPort: busyPort, timeoutS: 25, args: ['-m', '1'] });
    const second = runSipp({ scenario: 'uas', localPort: uasPort, timeoutS: 25, args: ['-m', '1'] });
    await register('1007', busyPort);
    await register('1008', uasPort);
    ok(await dialFrom('1001', '500', callerExpecting(dataDir, 200)), 'caller');
    ok(await first, 'busy member');
    ok(await second, 'answering member');
  }, 60_000);

  it('find-me-follow-me, sequential: 1004’s phone rings 3 s unanswered (CANCEL), then extension 1006 rings and answers', async () => {
    const phonePort = await freeUdpPort();
    const targetPort = await freeUdpPort();
    const phone = runSipp({ scenario: scenario('sip-uas-ring-no-answer.xml'), localPort: phonePort, timeoutS: 30, args: ['-m', '1'] });
    const target = runSipp({ scenario: 'uas', localPort: targetPort, timeoutS: 30, args: ['-m', '1'] });
    await register('1004', phonePort);
    await register('1006', targetPort);
    ok(await dialFrom('1001', '1004', callerExpecting(dataDir, 200), 30), 'caller');
    ok(await phone, '1004’s phone');
    ok(await target, 'follow-me target 1006');
  }, 60_000);

  it('find-me-follow-me, simultaneous: 1005’s phone and 1009 ring together; 1009 answers, 1005’s phone gets CANCEL with Reason "Call completed elsewhere" (RFC 3326)', async () => {
    const losingPort = await freeUdpPort();
    const winningPort = await freeUdpPort();
    const loser = runSipp({ scenario: scenario('c5-ring-completed-elsewhere.xml'), localPort: losingPort, timeoutS: 25, args: ['-m', '1'] });
    const winner = runSipp({ scenario: 'uas', localPort: winningPort, timeoutS: 25, args: ['-m', '1'] });
    await register('1005', losingPort);
    await register('1009', winningPort);
    ok(await dialFrom('1001', '1005', callerExpecting(dataDir, 200)), 'caller');
    ok(await winner, 'winner 1009');
    ok(await loser, 'loser 1005');
  }, 60_000);

  it('*72 sets call forwarding unconditional on 1011 (200 with declined media, then BYE); a call to 1011 then rings 1012; *73 clears it', async () => {
    ok(await dialFrom('1011', '*721012', featureCode(200)), '*72');
    const port = await freeUdpPort();
    const phone = runSipp({ scenario: 'uas', localPort: port, timeoutS: 20, args: ['-m', '1'] });
    await register('1012', port);
    ok(await dialFrom('1001', '1011', callerExpecting(dataDir, 200)), 'caller');
    ok(await phone, '1012’s phone');
    ok(await dialFrom('1011', '*73', featureCode(200)), '*73');
    ok(await dialFrom('1001', '1011', callerExpecting(dataDir, 480)), 'caller after *73');
  }, 60_000);

  it('no answer: 1013’s phone rings 5 s (CANCEL), then the voicemail server gets the call with History-Info cause=408 and Diversion no-answer', async () => {
    const phonePort = await freeUdpPort();
    const phone = runSipp({ scenario: scenario('sip-uas-ring-no-answer.xml'), localPort: phonePort, timeoutS: 30, args: ['-m', '1'] });
    const vmPath = join(dataDir, 'c5-voicemail-no-answer.xml');
    writeFileSync(
      vmPath,
      readFileSync(scenario('c5-voicemail.xml'), 'utf8')
        .replaceAll('1003', '1013')
        .replaceAll('cause%3D486', 'cause%3D408')
        .replaceAll('cause=486', 'cause=408')
        .replaceAll('reason=user-busy', 'reason=no-answer'),
    );
    const vm = runSipp({ scenario: vmPath, localPort: vmPort, timeoutS: 30, args: ['-m', '1'] });
    await register('1013', phonePort);
    ok(await dialFrom('1001', '1013', callerExpecting(dataDir, 200), 30), 'caller');
    ok(await vm, 'voicemail server');
    ok(await phone, '1013’s phone');
  }, 60_000);

  it('hold and resume on an extension call: 1014’s re-INVITEs (sendonly, then sendrecv) reach 1015 and its answers (recvonly, sendrecv) come back', async () => {
    const port = await freeUdpPort();
    const callee = runSipp({ scenario: holdResumeCallee(dataDir), localPort: port, timeoutS: 25, args: ['-m', '1', '-set', 'mport', String(await freeUdpPort())] });
    await register('1015', port);
    ok(await dialFrom('1014', '1015', holdResumeCaller(dataDir)), 'caller 1014');
    ok(await callee, 'callee 1015');
  }, 60_000);

  it('attended transfer: B calls C, then REFERs A with Replaces naming its dialog with C; A and C are re-INVITEd with each other’s SDP, both of B’s legs get BYE, NOTIFY 200 to B', async () => {
    const bPort = await freeUdpPort();
    const cPort = await freeUdpPort();
    const c = runSipp({ scenario: targetTakingReinvite(dataDir, 'target-attended'), localPort: cPort, timeoutS: 30, args: ['-m', '1', '-set', 'mport', String(await freeUdpPort())] });
    await register('1003', cPort);
    const log = join(dataDir, 'consult.log');
    const consult = runSipp({ scenario: scenario('c5-transferor-consult.xml'), target: sipTarget(), timeoutS: 30, args: ['-s', '1003', '-au', '1002', '-ap', 'secret1002', '-set', 'domain', 'acme.example', '-set', 'user', '1002', '-m', '1', '-trace_logs', '-log_file', log] });
    let dialog: RegExpMatchArray | null = null;
    await until(() => {
      try {
        dialog = readFileSync(log, 'utf8').match(/DIALOG CALLID=(\S+) FROMTAG=(\S+) TOTAG=(\S+)/);
      } catch {
        dialog = null;
      }
      return dialog !== null;
    }, 'B’s consultation call answered by C', 15_000);
    const [, callId, fromTag, toTag] = dialog!;
    const referTo = `<sip:1003@acme.example?Replaces=${encodeURIComponent(`${callId};to-tag=${toTag};from-tag=${fromTag}`)}>`;
    const b = runSipp({ scenario: scenario('c5-transferor-blind.xml'), localPort: bPort, timeoutS: 25, args: ['-m', '1', '-set', 'referto', referTo] });
    await register('1002', bPort);
    const a = await dialFrom('1001', '1002', scenario('c5-transferee.xml'));
    ok(await b, 'transferor B (call with A)');
    ok(await consult, 'transferor B (call with C)');
    ok(a, 'transferee A');
    ok(await c, 'target C');
    expect(await metric(/softswitch_class5_transfers_total\{kind="attended",result="completed"\} (\d+)/)).toBe(1);
  }, 60_000);
});
