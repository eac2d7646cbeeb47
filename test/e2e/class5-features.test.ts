/**
 * Class 5 features with real SIP (SIPp phones, the lab tandem for the PSTN): star codes set and
 * clear forwarding and do-not-disturb (stored, answered 200 with declined media then BYE), *67
 * withholds the caller's identity and an extension that refuses anonymous calls answers 433
 * (RFC 5079), *98 reaches the voicemail server as the caller, speed dial, 911 goes out on the
 * emergency trunk group with the callback number despite DND, blocking and class of service, and
 * find-me-follow-me rings a SIPp phone and a PSTN number (sequential and simultaneous).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { freeUdpPort, hasSipp, runSipp, udpBound } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { callerExpecting } from '../helpers/class5-sipp.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping class 5 features test: ${missing}`);

describe.skipIf(missing !== '')('Class 5 features over SIPp and the lab tandem', () => {
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
        emergency: { trunkGroups: ['tg-ilec'] },
        tenants: [
          {
            id: 'acme',
            domain: 'acme.example',
            mainNumber: '2125550100',
            voicemail: `sip:vm@127.0.0.1:${vmPort}`,
            extensions: [
              { number: '1001', password: 'secret1001', callerId: '+12125550111', cos: 'local', features: { speedDial: { '2': '1002' } } },
              { number: '1002', password: 'secret1002' },
              { number: '1003', password: 'secret1003', features: { rejectAnonymous: true } },
              { number: '1004', password: 'secret1004', features: { followMe: { mode: 'sequential', ringPhones: true, phonesRingS: 3, targets: [{ number: '3125550199', ringS: 10 }] } } },
              { number: '1005', password: 'secret1005', features: { followMe: { mode: 'simultaneous', ringPhones: true, targets: [{ number: '1006', ringS: 10 }] } } },
              { number: '1006', password: 'secret1006' },
            ],
          },
        ],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  const registerContact = async (user: string, port: number) => {
    const path = join(dataDir, `c5-register-${user}-${port}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${port}>`));
    const reg = await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', user, '-au', user, '-ap', `secret${user}`, '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', '1'] });
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
  };
  const dialFrom = (from: string, dialled: string, status: number, base = 'c5-caller.xml') =>
    runSipp({
      scenario: callerExpecting(dataDir, status, base),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 20,
      args: ['-s', dialled, '-au', from, '-ap', `secret${from}`, '-set', 'domain', 'acme.example', '-set', 'user', from, '-m', '1'],
    });
  const ok = (r: { exitCode: number | null; stdout: string; stderr: string }) => expect(r.exitCode, r.stdout.slice(-2500) + r.stderr.slice(-1000)).toBe(0);

  it('*72 sets call forwarding unconditional (200 with declined media, then BYE); a call to 1001 then rings 1002; *73 clears it', async () => {
    ok(await dialFrom('1001', '*721002', 200, 'c5-feature-code.xml'));
    const port = await freeUdpPort();
    const phone2 = runSipp({ scenario: 'uas', localPort: port, timeoutS: 20, args: ['-m', '1'] });
    await udpBound(port);
    await registerContact('1002', port);
    ok(await dialFrom('1002', '1001', 200));
    ok(await phone2);
    ok(await dialFrom('1001', '*73', 200, 'c5-feature-code.xml'));
    // 1001 has no phone registered and no voicemail: with CFU cleared, 480.
    ok(await dialFrom('1002', '1001', 480));
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_class5_feature_codes_total\{tenant="acme",code="forward-set",outcome="changed"\} 1/);
  }, 60_000);

  it('feature codes that cannot be carried out get a 4xx with a reason: no target (484), a barred target (403)', async () => {
    ok(await dialFrom('1001', '*72', 484, 'c5-feature-code.xml'));
    ok(await dialFrom('1001', '*72011442071234567', 403, 'c5-feature-code.xml'));
  }, 30_000);

  it('*78 sets do-not-disturb on 1002 (486 to callers, no voicemail); *79 clears it', async () => {
    ok(await dialFrom('1002', '*78', 200, 'c5-feature-code.xml'));
    ok(await dialFrom('1001', '1002', 486));
    ok(await dialFrom('1002', '*79', 200, 'c5-feature-code.xml'));
  }, 40_000);

  it('*67 withholds the caller ID: 1003 rejects anonymous calls with 433; without *67 1003 is called normally', async () => {
    ok(await dialFrom('1001', '*671003', 433));
    const port = await freeUdpPort();
    const phone = runSipp({ scenario: 'uas', localPort: port, timeoutS: 20, args: ['-m', '1'] });
    await udpBound(port);
    await registerContact('1003', port);
    ok(await dialFrom('1001', '1003', 200));
    ok(await phone);
  }, 40_000);

  it('*98 reaches the voicemail server with the caller’s identity (From, P-Asserted-Identity); speed dial *02 calls 1002', async () => {
    const vm = runSipp({ scenario: scenario('c5-voicemail-retrieval.xml'), localPort: vmPort, timeoutS: 20, args: ['-m', '1'] });
    ok(await dialFrom('1001', '*98', 200));
    ok(await vm);
    const port = await freeUdpPort();
    const phone2 = runSipp({ scenario: 'uas', localPort: port, timeoutS: 20, args: ['-m', '1'] });
    await udpBound(port);
    await registerContact('1002', port);
    ok(await dialFrom('1001', '*02', 200));
    ok(await phone2);
  }, 40_000);

  it('911 from a local-only line with *67 goes out on the emergency trunk group with the callback number (the line’s callerId)', async () => {
    const sim = ssw.tandem!.simulator;
    const before = sim.history.length;
    ok(await dialFrom('1001', '*67911', 200));
    await until(() => sim.history.slice(before).some((r) => r.called === '911'), 'the IAM for 911 at the tandem');
    const rec = sim.history.slice(before).find((r) => r.called === '911')!;
    expect(rec.calling).toBe('2125550111');
    expect(rec.trunkGroup).toBe('tg-ilec');
  }, 30_000);

  it('find-me-follow-me, sequential: 1004’s phone rings 3 s unanswered (CANCEL), then the PSTN number rings through the LCR and the tandem answers', async () => {
    const port = await freeUdpPort();
    const phone = runSipp({ scenario: scenario('sip-uas-ring-no-answer.xml'), localPort: port, timeoutS: 25, args: ['-m', '1'] });
    await registerContact('1004', port);
    const sim = ssw.tandem!.simulator;
    const before = sim.history.length;
    ok(await dialFrom('1001', '1004', 200));
    ok(await phone);
    const rec = sim.history.slice(before).find((r) => r.called === '3125550199');
    expect(rec, JSON.stringify(sim.history.slice(before))).toBeDefined();
    expect(rec!.calling).toBe('2125550100');
    expect(rec!.messages.slice(0, 3)).toEqual(['rx:IAM', 'tx:ACM', 'tx:ANM']);
  }, 60_000);

  it('find-me-follow-me, simultaneous: 1005’s phone and 1006 ring together; 1006 answers, 1005’s phone gets CANCEL with Reason "Call completed elsewhere" (RFC 3326)', async () => {
    const losingPort = await freeUdpPort();
    const winningPort = await freeUdpPort();
    const loser = runSipp({ scenario: scenario('c5-ring-completed-elsewhere.xml'), localPort: losingPort, timeoutS: 25, args: ['-m', '1'] });
    const winner = runSipp({ scenario: 'uas', localPort: winningPort, timeoutS: 25, args: ['-m', '1'] });
    await registerContact('1005', losingPort);
    await registerContact('1006', winningPort);
    ok(await dialFrom('1001', '1005', 200));
    ok(await winner);
    ok(await loser);
  }, 60_000);
});
