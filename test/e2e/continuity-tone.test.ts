/**
 * The outgoing ISUP continuity check with the check tone (Q.764 §2.1.8, T1.113.4 §2.1.8): the trunk
 * group asks for a check in every IAM the switch sends (continuityCheckEvery: 1); the switch asks the
 * circuit's gateway to send the check tone and report its return (RQNT S: T/co1, R: T/co1(N), T/oc(N),
 * T/of(N): RFC 3660 §2.3 trunk package, loopback procedure), and sends COT (successful or failed) to the
 * lab tandem, which offers the call on only after a successful COT.
 *
 * The TRUNK GATEWAY IS PLAYED BY THE TEST with the project's own MGCP codec (osmo-mgw 1.10 plays no
 * tones: its RQNT handler only looks for a "D/" DTMF digit in S:, and it has no NTFY). The played
 * gateway "hears the tone come back" by notifying T/co1, or reports the tone ran out (T/oc). tshark's
 * MGCP dissector judges what the switch sent. The SIP caller is a SIPp UAC of the lab trunk customer;
 * the far exchange is the lab tandem simulator over real M3UA/SCTP-over-UDP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { paramValue } from '../../src/mgcp/mgcp/messages.js';
import type { IsupMessage } from '../../src/ss7/isup/messages.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { PlayedLineGateway } from '../helpers/played-line-gateway.js';
import { findAll, hasTshark, tsharkJudge } from '../helpers/tshark.js';

const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping continuity tone end-to-end test: ${missing}`);

describe.skipIf(missing !== '')('outgoing continuity check: the gateway sends and detects the check tone (played gateway)', () => {
  let ssw: RunningSwitch;
  let gw: PlayedLineGateway;
  /** What the tone "does" on the circuit: come back, or run out. */
  let toneBack = true;
  const sentBySwitch: IsupMessage[] = [];

  beforeAll(async () => {
    gw = await PlayedLineGateway.open();
    gw.onCommand = (c) => {
      if (c.verb !== 'RQNT' || paramValue(c, 'S') !== 'T/co1') return;
      setTimeout(() => void gw.notify(c.endpoint, toneBack ? 'T/co1' : 'T/oc', paramValue(c, 'X')), 30);
    };
    ({ ssw } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [{ name: 'mgw-lab', address: '127.0.0.1', port: gw.port, domain: 'mgw' }] },
      trunkGroups: [
        { id: 'tg-ilec', variant: 'ansi', dpc: '2-2-2', cics: { first: 1, count: 24 }, gateway: 'mgw-lab', endpoint: 'rtpbridge/{cichex}@mgw', continuityCheckEvery: 1 },
        { id: 'tg-ixc-b', variant: 'ansi', dpc: '2-2-2', cics: { first: 25, count: 24 }, gateway: 'mgw-lab', endpoint: 'rtpbridge/{cichex}@mgw', continuityCheckEvery: 1 },
      ],
    }));
    const isup = ssw.isup as unknown as { transmit(tg: { id: string }, msg: IsupMessage): boolean };
    const transmit = isup.transmit.bind(isup);
    isup.transmit = (tg, msg) => {
      sentBySwitch.push(msg);
      return transmit(tg, msg);
    };
  }, 60_000);

  afterAll(async () => {
    await ssw?.stop();
    gw?.close();
  });

  const call = () => runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 20, args: ['-s', '12125550150', '-m', '1'] });

  it('the tone comes back: IAM asks for a check, RQNT S: T/co1 on the circuit endpoint, COT successful, the call is answered', async () => {
    const r = await call();
    expect(r.exitCode, r.stdout.slice(-2000)).toBe(0);
    const iam = sentBySwitch.find((m) => m.type === 'IAM');
    expect(iam && 'natureOfConnection' in iam ? iam.natureOfConnection.continuityCheck : undefined).toBe(1);
    const cot = sentBySwitch.find((m) => m.type === 'COT' && m.cic === iam!.cic);
    expect(cot).toMatchObject({ continuity: { successful: true } });
    const tone = gw.seen('RQNT').find((c) => paramValue(c, 'S') === 'T/co1')!;
    expect(tone.endpoint).toBe(`rtpbridge/${iam!.cic.toString(16)}@mgw`);
    expect(paramValue(tone, 'R')).toBe('T/co1(N), T/oc(N), T/of(N)');
    // Detection stopped afterwards with an empty request.
    await until(() => gw.seen('RQNT', tone.endpoint).some((c) => paramValue(c, 'S') === '' && paramValue(c, 'R') === ''), 'the request that stops detection');
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_isup_continuity_tone_tests_total\{outcome="passed"\} 1/);
  }, 40_000);

  it('the tone runs out (T/oc): COT failed; the call is not completed on that circuit', async () => {
    toneBack = false;
    const before = sentBySwitch.length;
    await call();
    await until(() => sentBySwitch.slice(before).some((m) => m.type === 'COT'), 'a COT from the switch', 20_000);
    const cot = sentBySwitch.slice(before).find((m) => m.type === 'COT')!;
    expect(cot).toMatchObject({ continuity: { successful: false } });
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_isup_continuity_tone_tests_total\{outcome="failed"\} [1-9]/);
  }, 40_000);

  it.skipIf(!hasTshark())('tshark decodes the switch’s MGCP to the trunk gateway, tone requests included, without a complaint', () => {
    const { packets, problems } = tsharkJudge(gw.fromSwitch, ['-u', '2727,2427']);
    expect(problems).toBe('');
    expect(packets.length).toBe(gw.fromSwitch.length);
    const layers = packets.map((p) => p._source.layers.mgcp);
    expect(layers.every((l) => l !== undefined)).toBe(true);
    expect(layers.flatMap((l) => findAll(l, 'mgcp.param.signalreq'))).toContain('T/co1');
    expect(layers.flatMap((l) => findAll(l, 'mgcp.param.reqevents'))).toContain('T/co1(N), T/oc(N), T/of(N)');
  });
});
