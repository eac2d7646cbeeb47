/**
 * A Class 5 line on a residential MGCP gateway (RFC 3435, RFC 3660 line package), end to end.
 *
 * The gateway is PLAYED BY THE TEST with the project's own MGCP codec in the gateway role over UDP
 * (test/helpers/played-line-gateway.ts): no line-side MGCP gateway is packaged for Debian — osmo-mgw
 * 1.10 has no line or generic package: its RQNT handler (libosmo-mgcp mgcp_protocol.c,
 * handle_noti_req) reads only an S: line for a "D/" DTMF tone to play, ignores R: and D:, and the
 * program has no NTFY at all (its verbs: CRCX, MDCX, DLCX, AUEP, RSIP, RQNT). So the
 * codec is not judged by itself: tshark's MGCP dissector decodes every datagram the switch sent to
 * the gateway and must find no malformed field or expert warning, and the expected parameters.
 * The SIP side is real: a SIPp UAS registered as extension 1002, a SIPp phone calling as 1002.
 *
 * Line 1001 (aaln/1@rgw) goes off-hook, gets dial tone with the digit map, dials 1002; the call
 * runs on the call engine with a line leg, 1002 answers, the line hangs up: BYE, DLCX, a CDR. Then
 * 1002 calls 1001: the switch rings the line (S: L/rg), the gateway notifies off-hook, the call is
 * answered; 1002 hangs up, the line gets reorder until on-hook.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { paramValue } from '../../src/mgcp/mgcp/messages.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { callerExpecting } from '../helpers/class5-sipp.js';
import { PlayedLineGateway } from '../helpers/played-line-gateway.js';
import { findAll, findField, hasTshark, tsharkJudge } from '../helpers/tshark.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping MGCP line end-to-end test: ${missing}`);

const EP = 'aaln/1@rgw';
const DIGIT_MAP = '(1xxx|911|1[2-9]xxxxxxxxx|x.T)';

describe.skipIf(missing !== '')('an analogue line on a residential MGCP gateway (played by the test)', () => {
  let ssw: RunningSwitch;
  let dataDir: string;
  let gw: PlayedLineGateway;

  beforeAll(async () => {
    gw = await PlayedLineGateway.open();
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      // The trunk groups' gateway (mgw-lab) and the line gateway are the played gateway: it answers audits too.
      mgcp: {
        localPort: 0,
        gateways: [
          { name: 'mgw-lab', address: '127.0.0.1', port: gw.port, domain: 'mgw' },
          { name: 'rgw', address: '127.0.0.1', port: gw.port, domain: 'rgw' },
        ],
      },
      class5: {
        enabled: true,
        auth: { algorithms: ['MD5', 'SHA-256'] },
        tenants: [{ id: 'acme', domain: 'acme.example', extensions: [{ number: '1001', password: 'secret1001' }, { number: '1002', password: 'secret1002' }] }],
        lines: [{ endpoint: EP, tenant: 'acme', extension: '1001', digitMap: DIGIT_MAP }],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
    gw?.close();
  });

  const registerContact = async (user: string, port: number) => {
    const path = join(dataDir, `c5-register-contact-${user}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${port}>`));
    const reg = await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', user, '-au', user, '-ap', `secret${user}`, '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', '1'] });
    expect(reg.exitCode, reg.stdout.slice(-2000)).toBe(0);
  };
  const rqnts = () => gw.seen('RQNT', EP).length;

  it('the idle line is asked for off-hook only (R: L/hd(N), X:, Q:)', async () => {
    const idle = await gw.waitRequest(EP, 'R', (v) => v === 'L/hd(N)', 'the idle line RQNT');
    expect(paramValue(idle, 'X')).toMatch(/^[0-9a-f]+$/);
    expect(paramValue(idle, 'Q')).toBe('process,loop');
    expect(paramValue(idle, 'S')).toBe('');
    expect(ssw.lines?.stateOf(EP)).toBe('idle');
  });

  it('off-hook → dial tone and digit map; 1002 dialled by the map → the call rings a SIPp UAS registered as 1002, answered, on-hook → BYE, DLCX, CDR', async () => {
    const uasPort = await freeUdpPort();
    const callee = runSipp({ scenario: 'uas', localPort: uasPort, timeoutS: 25, args: ['-m', '1'] });
    await registerContact('1002', uasPort);
    const cdrsBefore = (await ssw.cdrs.list()).length;

    let n = rqnts();
    expect((await gw.notify(EP, 'L/hd')).code).toBe(200);
    const dial = await gw.waitRequest(EP, 'S', (v) => v === 'L/dl', 'dial tone', n);
    expect(paramValue(dial, 'D')).toBe(DIGIT_MAP);
    expect(paramValue(dial, 'R')).toBe('L/hu(N), D/[0-9#*T](D)');

    n = rqnts();
    expect((await gw.dial(EP, '1002')).code).toBe(200);
    await until(() => gw.seen('CRCX', EP).length === 1, 'CRCX on the line');
    const crcx = gw.seen('CRCX', EP)[0];
    expect(paramValue(crcx, 'M')).toBe('recvonly');
    // SIPp's UAS sends 180 without SDP: ringback on the line.
    await gw.waitRequest(EP, 'S', (v) => v === 'L/rt', 'ringback', n);
    await until(() => gw.seen('MDCX', EP).some((c) => paramValue(c, 'M') === 'sendrecv' && c.sdp !== undefined), 'MDCX sendrecv with the callee SDP');
    await until(() => ssw.lines?.stateOf(EP) === 'connected', 'the line connected');
    const talking = await gw.waitRequest(EP, 'R', (v) => v === 'L/hu(N), L/hf(N)', 'on-hook and flash watched in the call', n);
    expect(paramValue(talking, 'S')).toBe('');

    await new Promise((r) => setTimeout(r, 200));
    expect((await gw.notify(EP, 'L/hu')).code).toBe(200);
    await until(() => gw.seen('DLCX', EP).length === 1, 'DLCX on the line');
    expect(paramValue(gw.seen('DLCX', EP)[0], 'C')).toBe(paramValue(crcx, 'C'));
    const c = await callee;
    expect(c.exitCode, c.stdout.slice(-2500) + c.stderr.slice(-1000)).toBe(0);
    await until(() => ssw.lines?.stateOf(EP) === 'idle', 'the line idle again');
    await until(async () => (await ssw.cdrs.list()).length > cdrsBefore, 'the CDR of the line call');
    const cdr = (await ssw.cdrs.list())[0] as unknown as Record<string, unknown>;
    expect(cdr).toMatchObject({ direction: 'line-to-sip', called: '1002', calling: '1001', customer: 'acme' });
    expect(String(cdr.gatewayEndpoint ?? cdr.endpoint ?? '')).toBe(EP);
    expect(cdr.answerTime ?? cdr.answer_time).toBeTruthy();
  }, 40_000);

  it('1002 calls 1001: the switch rings the line (S: L/rg), the gateway notifies off-hook, the call is answered; 1002 hangs up → DLCX, reorder until on-hook', async () => {
    const n = rqnts();
    const crcxBefore = gw.seen('CRCX', EP).length;
    const cdrsBefore = (await ssw.cdrs.list()).length;
    const caller = runSipp({
      scenario: callerExpecting(dataDir, 200),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 20,
      args: ['-s', '1001', '-au', '1002', '-ap', 'secret1002', '-set', 'domain', 'acme.example', '-set', 'user', '1002', '-m', '1'],
    });
    const ring = await gw.waitRequest(EP, 'S', (v) => v === 'L/rg', 'ringing on the line', n);
    expect(paramValue(ring, 'R')).toBe('L/hd(N)');
    expect(ssw.lines?.stateOf(EP)).toBe('ringing');
    expect((await gw.notify(EP, 'L/hd')).code).toBe(200);
    await until(() => gw.seen('CRCX', EP).length > crcxBefore, 'CRCX on answer');
    const crcx = gw.seen('CRCX', EP).at(-1)!;
    expect(paramValue(crcx, 'M')).toBe('sendrecv');
    expect(crcx.sdp).toMatch(/m=audio \d+ RTP\/AVP 0/);
    const r = await caller;
    expect(r.exitCode, r.stdout.slice(-2500) + r.stderr.slice(-1000)).toBe(0);
    await until(() => gw.seen('DLCX', EP).length === 2, 'DLCX after the caller hung up');
    const m = rqnts();
    await gw.waitRequest(EP, 'S', (v) => v === 'L/ro', 'reorder after the far end cleared', n);
    expect(ssw.lines?.stateOf(EP)).toBe('lockout');
    expect((await gw.notify(EP, 'L/hu')).code).toBe(200);
    await gw.waitRequest(EP, 'R', (v) => v === 'L/hd(N)', 'idle again', m);
    await until(async () => (await ssw.cdrs.list()).length > cdrsBefore, 'the CDR of the call to the line');
    expect((await ssw.cdrs.list())[0]).toMatchObject({ direction: 'sip-to-sip', called: '1001' });
  }, 40_000);

  it('a notification for an older request id and an unreadable one are answered 200 and change nothing; a mismatching number gets reorder; metrics count it all', async () => {
    const old = paramValue(gw.seen('RQNT', EP)[0], 'X')!;
    expect((await gw.notify(EP, 'L/hd', old)).code).toBe(200);
    expect((await gw.notify(EP, 'L/hd((')).code).toBe(200);
    expect(ssw.lines?.stateOf(EP)).toBe('idle');
    const n = rqnts();
    await gw.notify(EP, 'L/hd');
    await gw.waitRequest(EP, 'S', (v) => v === 'L/dl', 'dial tone', n);
    const m = rqnts();
    await gw.notify(EP, 'D/5,D/T');
    await gw.waitRequest(EP, 'S', (v) => v === 'L/ro', 'reorder for a number not in the tenant', m);
    await gw.notify(EP, 'L/hu');
    await until(() => ssw.lines?.stateOf(EP) === 'idle', 'idle after on-hook');
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_line_notifications_total\{result="stale-request"\} [1-9]/);
    expect(metrics).toMatch(/softswitch_line_notifications_total\{result="malformed"\} [1-9]/);
    expect(metrics).toMatch(/softswitch_line_events_total\{event="off-hook"\} [3-9]/);
    expect(metrics).toMatch(/softswitch_line_digit_map_total\{outcome="complete"\} 2/);
    // "1002T" and "5T" complete x.T (1002 alone is ambiguous with x.T, so the gateway waited for the timer); the dial plan refuses 5.
    expect(metrics).toMatch(/softswitch_line_calls_total\{direction="originating",outcome="refused"\} 1/);
    expect(metrics).toMatch(/softswitch_line_calls_total\{direction="terminating",outcome="rung"\} 1/);
  }, 20_000);

  it('the line dials a PSTN number: through the LCR to the lab tandem (IAM, ACM, ANM), on-hook → REL, both connections deleted, CDR line-to-isup', async () => {
    const cdrsBefore = (await ssw.cdrs.list()).length;
    const dlcxBefore = gw.seen('DLCX').length;
    await until(() => paramValue(gw.lastRequest(EP)!, 'R') === 'L/hd(N)', 'the idle request in force');
    let n = rqnts();
    await gw.notify(EP, 'L/hd');
    await gw.waitRequest(EP, 'S', (v) => v === 'L/dl', 'dial tone', n);
    n = rqnts();
    await gw.dial(EP, '12125550150');
    await gw.waitRequest(EP, 'R', (v) => v === 'L/hu(N), L/hf(N)', 'the tandem to answer the line call (the in-call request)', n, 15_000);
    // The circuit's connection is on the trunk gateway's endpoint (the played gateway serves mgw too).
    expect(gw.seen('CRCX').some((c) => c.endpoint.endsWith('@mgw'))).toBe(true);
    await gw.notify(EP, 'L/hu');
    await until(() => gw.seen('DLCX').length >= dlcxBefore + 2, 'DLCX of the line and of the circuit');
    await until(async () => (await ssw.cdrs.list()).length > cdrsBefore, 'the CDR of the PSTN call');
    const cdr = (await ssw.cdrs.list())[0] as unknown as Record<string, unknown>;
    expect(cdr).toMatchObject({ direction: 'line-to-isup', trunkGroup: 'tg-ilec', customer: 'acme' });
    expect(cdr.cic).toEqual(expect.any(Number));
  }, 30_000);

  it.skipIf(!hasTshark())('tshark decodes every datagram the switch sent the gateway as MGCP, without a complaint', () => {
    const frames = gw.fromSwitch;
    expect(frames.length).toBeGreaterThan(15);
    // The call agent's port on one side, the gateway's on the other: tshark's MGCP ports (2727, 2427).
    const { packets, problems } = tsharkJudge(frames, ['-u', '2727,2427']);
    expect(problems).toBe('');
    expect(packets.length).toBe(frames.length);
    const verbs = packets.map((p) => findField(p._source.layers.mgcp, 'mgcp.req.verb'));
    expect(packets.every((p) => p._source.layers.mgcp !== undefined)).toBe(true);
    expect(verbs).toContain('RQNT');
    expect(verbs).toContain('CRCX');
    expect(verbs).toContain('MDCX');
    expect(verbs).toContain('DLCX');
    const layers = packets.map((p) => p._source.layers.mgcp);
    expect(layers.flatMap((l) => findAll(l, 'mgcp.param.signalreq'))).toEqual(expect.arrayContaining(['L/dl', 'L/rt', 'L/rg', 'L/ro']));
    expect(layers.flatMap((l) => findAll(l, 'mgcp.param.digitmap'))).toContain(DIGIT_MAP);
    expect(layers.flatMap((l) => findAll(l, 'mgcp.param.reqevents'))).toContain('L/hu(N), D/[0-9#*T](D)');
    expect(layers.flatMap((l) => findAll(l, 'mgcp.param.quarantinehandling'))).toContain('process,loop');
    // The switch's answers to the gateway's NTFYs are 200s.
    const codes = layers.map((l) => findField(l, 'mgcp.rsp.rspcode')).filter((c) => c !== undefined);
    expect(codes.length).toBeGreaterThan(5);
    expect(new Set(codes)).toEqual(new Set(['200']));
  });
});
