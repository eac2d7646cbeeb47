/**
 * Bad input at every entry point of the call path gets the protocol's own answer and the
 * switch keeps carrying calls: malformed SIP (400), an unknown or invalid number (404/484),
 * a gateway refusing the connection (route advance, then 503), a malformed ISUP message (CFN)
 * and a malformed M3UA message (ERR).
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch as SoftswitchHandle } from '../../src/app/start.js';
import type { StoredCdr } from '../../src/store/store.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { decodeM3ua } from '../../src/ss7/m3ua/codec.js';
import { decodeIsup } from '../../src/ss7/isup/codec.js';
import type { ProtocolData } from '../../src/ss7/m3ua/messages.js';
import type { IsupMessage } from '../../src/ss7/isup/messages.js';
import { rangeAndStatus } from '../../src/ss7/isup/params/indicators.js';
import { PPID_M3UA } from '../../src/ss7/sctp/association.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';

const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping hostile-input test: ${missing}`);

/** Sends one datagram to the switch's SIP port and returns the first reply (or undefined). */
async function sipExchange(port: number, payload: Buffer | string, waitMs = 700): Promise<string | undefined> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const local = sock.address().port;
  const text = typeof payload === 'string' ? payload.replaceAll('LOCALPORT', String(local)) : payload;
  const reply = new Promise<string | undefined>((resolve) => {
    const t = setTimeout(() => resolve(undefined), waitMs);
    sock.once('message', (m) => {
      clearTimeout(t);
      resolve(m.toString('utf8'));
    });
  });
  sock.send(text, port, '127.0.0.1');
  const got = await reply;
  sock.close();
  return got;
}

describe.skipIf(missing !== '')('hostile input on the call path', () => {
  let ssw: SoftswitchHandle;
  const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({
      lab: { tandemSim: { rules: [{ match: '2125550177', trunkGroup: 'tg-ilec', action: 'reject', cause: 34 }] } },
      trunkGroups: [
        { id: 'tg-ilec', dpc: '2-2-2', cics: { first: 1, count: 24 }, gateway: 'mgw-lab' },
        // Endpoints the gateway does not have: every CRCX on this group is refused.
        { id: 'tg-ixc-b', dpc: '2-2-2', cics: { first: 25, count: 24 }, gateway: 'mgw-lab', endpoint: 'nosuch/{cichex}@mgw' },
      ],
    }));
  }, 60_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  /** The newest CDR for a called number, waited for: SIPp exits on the final response, before the switch has written it. */
  const cdrOf = async (called: string) => {
    let found: StoredCdr | undefined;
    await until(async () => (found = (await ssw.cdrs.list({ limit: 20 })).find((c) => c.called === called)) !== undefined, `a CDR for ${called}`);
    return found!;
  };

  it('answers a malformed SIP request with 400 and ignores garbage', async () => {
    const headers = [
      'Via: SIP/2.0/UDP 127.0.0.1:LOCALPORT;branch=z9hG4bKbad1',
      'From: <sip:9735551234@127.0.0.1>;tag=a1',
      'To: <sip:12125550150@127.0.0.1>',
      'Call-ID: hostile-1@127.0.0.1',
      'CSeq: 1 INVITE',
      'Max-Forwards: 70',
    ].join('\r\n');
    // Content-Length larger than the body that follows (RFC 3261 §18.3: a UDP request so cut is answered 400).
    const bad = `INVITE sip:12125550150@127.0.0.1 SIP/2.0\r\n${headers}\r\nContent-Length: 500\r\n\r\nv=0\r\n`;
    expect(await sipExchange(ssw.sipPort, bad)).toMatch(/^SIP\/2\.0 400 /);
    expect(await sipExchange(ssw.sipPort, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a]), 300)).toBeUndefined();
  });

  it('refuses an unknown number with 404 and an invalid one with 484', async () => {
    const refused = async (number: string, status: number) => {
      const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', number, '-m', '1'] });
      expect(r.exitCode).not.toBe(0);
      const cdr = await cdrOf(number);
      expect(cdr.sipStatus).toBe(status);
    };
    await refused('01199161234567', 404); // 881 (GMSS) would be refused earlier as a high-risk range
    await refused('1800555010', 484);
  });

  it('advances past a gateway that refuses the connection and answers 503 when no route is left', async () => {
    const lookup = (await ssw.api.inject({ url: '/api/v1/routes/lookup?number=12125550177' })).json();
    const order = lookup.candidates.map((c: { trunkGroup: string }) => c.trunkGroup);
    expect(order.sort()).toEqual(['tg-ilec', 'tg-ixc-b']);
    const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '12125550177', '-m', '1'] });
    expect(r.exitCode).not.toBe(0);
    const cdr = await cdrOf('12125550177');
    expect(cdr.sipStatus).toBe(503);
    // The last candidate's failure is the call's cause: 34 from the tandem, or 47 from the gateway.
    expect(cdr.cause).toBe(lookup.candidates[1].trunkGroup === 'tg-ilec' ? 34 : 47);
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_route_advance_total\{from_carrier="[a-z-]+",cause="(34|47)"\} 1/);
  });

  it('answers an unrecognised ISUP message with CFN cause 97', async () => {
    const tandem = ssw.tandem!;
    // The answer on CIC 3 (an earlier test's release on CIC 1, say, may still be arriving).
    const got = new Promise<ProtocolData>((resolve) => {
      const onTransfer = (pd: ProtocolData) => {
        const m = decodeIsup(pd.data, 'ansi');
        if (!('cic' in m) || m.cic !== 3) return;
        tandem.sg.off('transfer', onTransfer);
        resolve(pd);
      };
      tandem.sg.on('transfer', onTransfer);
    });
    tandem.sg.sendTransfer({ opc: tandem.pointCode, dpc: 0x010101, si: 5, ni: 2, mp: 0, sls: 3, data: Buffer.from([0x03, 0x00, 0xee, 0x00]) });
    const pd = await got;
    const cfn = decodeIsup(pd.data, 'ansi');
    expect(cfn).toMatchObject({ type: 'CFN', cic: 3, cause: { cause: 97 } });
  });

  it('answers a malformed M3UA message with ERR and keeps the ASP active', async () => {
    const assoc = ssw.tandem!.association;
    // The first management answer (ISUP traffic of earlier tests, DATA, may still be arriving).
    const reply = new Promise<Buffer>((resolve) => {
      const onMessage = (data: Buffer) => {
        if (data.length >= 4 && data[2] === 0x01) return; // message class 1: transfer (DATA)
        assoc.off('message', onMessage);
        resolve(data);
      };
      assoc.on('message', onMessage);
    });
    // Version 2 (RFC 4666 §3.1.1 knows only 1): answered with ERR "Invalid Version" (0x01).
    assoc.send(Buffer.from([0x02, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 0x08]), 0, PPID_M3UA);
    const err = decodeM3ua(await reply);
    expect(err).toMatchObject({ type: 'ERR', errorCode: 0x01 });
    expect(ssw.link.status()[0].state).toBe('ASP_ACTIVE');
  });

  it('answers 503 (cause 34) while the tandem holds every circuit blocked (CGB), and routes again after CGU', async () => {
    const tandem = ssw.tandem!;
    const group = (type: 'CGB' | 'CGU', cic: number) =>
      tandem.isup.send(cic === 1 ? 'tg-ilec' : 'tg-ixc-b', {
        type, cic, supervisionType: { kind: 0, other: 0 }, rangeAndStatus: rangeAndStatus(new Array(24).fill(true)),
      } as IsupMessage);
    const acks: string[] = [];
    const onAck = (pd: ProtocolData) => {
      const m = decodeIsup(pd.data, 'ansi');
      if (m.type === 'CGBA' || m.type === 'CGUA') acks.push(`${m.type}:${m.cic}`);
    };
    tandem.sg.on('transfer', onAck);
    group('CGB', 1);
    group('CGB', 25);
    await until(() => acks.length === 2, 'CGBA for both groups');
    expect(acks.sort()).toEqual(['CGBA:1', 'CGBA:25']);
    const tgs = (await ssw.api.inject({ url: '/api/v1/trunk-groups' })).json().trunkGroups;
    expect(tgs.map((t: { blocked: number; available: boolean }) => [t.blocked, t.available])).toEqual([[24, false], [24, false]]);

    const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '12125550150', '-m', '1'] });
    expect(r.exitCode).not.toBe(0);
    const cdr = await cdrOf('12125550150');
    expect(cdr).toMatchObject({ called: '12125550150', cause: 34, sipStatus: 503 });

    group('CGU', 1);
    group('CGU', 25);
    await until(() => acks.length === 4, 'CGUA for both groups');
    tandem.sg.off('transfer', onAck);
    expect(ssw.isup.isAvailable('tg-ilec')).toBe(true);
  });

  it('still carries a normal call afterwards', async () => {
    const r = await runSipp({ scenario: scenario('ssw-call-caller-bye.xml'), target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '12125550150', '-m', '1'] });
    expect(r.exitCode, r.stdout.slice(-800)).toBe(0);
    expect((await ssw.api.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
