/**
 * Requests the call layer originates outside a dialog: `request()` (OPTIONS/MESSAGE/INFO/NOTIFY in a
 * non-INVITE client transaction, RFC 3261 §8.1, §17.1.2) and `createUAC` with a Request-URI carrying
 * parameters, identity headers and a give-up time. Virtual time in the rig, then SIPp as the far end.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';
import { parseNameAddr, parseVia } from '../../src/sip/header-values.js';
import type { Endpoint, SipRequest } from '../../src/sip/message.js';
import { SipError, type RequestResult } from '../../src/sip/port.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { crlf, SDP } from './fixtures.js';
import { rig } from './rig.js';

const scenario = (name: string) => fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));
const far: Endpoint = { address: '192.0.2.20', port: 5090 };

function reply(req: SipRequest, status: number, opts: { tag?: string; extra?: string[]; cseq?: string } = {}): Buffer {
  return crlf([
    `SIP/2.0 ${status} Reason ${status}`,
    `Via: ${req.headers.get('via')}`,
    `From: ${req.headers.get('from')}`,
    `To: ${req.headers.get('to')}${opts.tag ? `;tag=${opts.tag}` : ''}`,
    `Call-ID: ${req.headers.get('call-id')}`,
    `CSeq: ${opts.cseq ?? req.headers.get('cseq')}`,
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ]);
}

/** Lets promise callbacks run (virtual time does not advance). */
const flush = () => new Promise((r) => setImmediate(r));

describe('request(): a non-INVITE request outside a dialog, in virtual time', () => {
  it('OPTIONS: mandatory headers (§8.1.1), sent to the URI host:port, resolves with the final response and its headers', async () => {
    const { core, requests } = rig();
    let result: RequestResult | undefined;
    void core.request('sip:2125550100@192.0.2.20:5090;transport=udp', { method: 'OPTIONS', headers: { Accept: 'application/sdp' } }).then((r) => (result = r));
    const sent = requests()[0];
    expect(sent.to).toEqual(far);
    expect(sent.msg.method).toBe('OPTIONS');
    expect(sent.msg.uri).toBe('sip:2125550100@192.0.2.20:5090;transport=udp');
    expect(sent.msg.headers.get('cseq')).toMatch(/^\d+ OPTIONS$/);
    expect(parseNameAddr(sent.msg.headers.get('from')!)?.tag).toBeTruthy();
    expect(parseNameAddr(sent.msg.headers.get('to')!)?.tag).toBeUndefined();
    expect(parseVia(sent.msg.headers.get('via')!)?.branch).toMatch(/^z9hG4bK/);
    expect(sent.msg.headers.get('max-forwards')).toBe('70');
    expect(sent.msg.headers.get('accept')).toBe('application/sdp');
    core.receive(reply(sent.msg, 100), far);
    await flush();
    expect(result).toBeUndefined();
    core.receive(reply(sent.msg, 200, { tag: 'x', extra: ['Allow: INVITE, BYE', 'X-Probe: yes'] }), far);
    await flush();
    expect(result).toMatchObject({ status: 200, reason: 'Reason 200' });
    expect(result!.get('x-probe')).toBe('yes');
    expect(result!.get('Allow')).toBe('INVITE');
  });

  it('MESSAGE with a body goes as text/plain unless Content-Type is given; a 4xx resolves (never rejects)', async () => {
    const { core, requests } = rig();
    const p1 = core.request('sip:a@192.0.2.20:5090', { method: 'MESSAGE', body: 'hello' });
    const p2 = core.request('sip:a@192.0.2.20:5090', { method: 'INFO', body: 'Signal=5\r\nDuration=160\r\n', headers: { 'Content-Type': 'application/dtmf-relay' } });
    const [m1, m2] = requests().map((r) => r.msg);
    expect(m1.headers.get('content-type')).toBe('text/plain');
    expect(m1.body.toString()).toBe('hello');
    expect(m2.headers.get('content-type')).toBe('application/dtmf-relay');
    expect(m2.headers.get('cseq')).toMatch(/ INFO$/);
    core.receive(reply(m1, 415), far);
    core.receive(reply(m2, 481), far);
    expect((await p1).status).toBe(415);
    expect((await p2).status).toBe(481);
  });

  it('no answer: Timer E retransmits, Timer F (64*T1) resolves 408 (§8.1.3.1)', async () => {
    const { core, clock, requests } = rig();
    let result: RequestResult | undefined;
    void core.request('sip:a@192.0.2.20:5090', { method: 'NOTIFY', headers: { Event: 'keep-alive', 'Subscription-State': 'terminated' } }).then((r) => (result = r));
    clock.advance(31_999);
    await flush();
    expect(result).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(result).toMatchObject({ status: 408 });
    expect(result!.get('via')).toBeUndefined();
    expect(requests().map((r) => r.at)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(requests()[0].msg.headers.get('event')).toBe('keep-alive');
    expect(core.layer.size.clients).toBe(0);
  });

  it('timeoutMs resolves 408 early and stops the retransmissions; a late response is ignored', async () => {
    const { core, clock, requests } = rig();
    let result: RequestResult | undefined;
    void core.request('sip:a@192.0.2.20:5090', { method: 'OPTIONS', timeoutMs: 2000 }).then((r) => (result = r));
    clock.advance(2000);
    await flush();
    expect(result?.status).toBe(408);
    const n = requests().length;
    clock.advance(30_000);
    expect(requests()).toHaveLength(n);
    core.receive(reply(requests()[0].msg, 200), far);
    await flush();
    expect(result?.status).toBe(408);
    expect(core.layer.size.clients).toBe(0);
  });

  it('a URI it cannot reach over UDP resolves 503/416 at once; INVITE or BYE through request() is refused', async () => {
    const { core, requests } = rig();
    expect((await core.request('sip:a@192.0.2.20:5090;transport=tcp', { method: 'OPTIONS' })).status).toBe(503);
    expect((await core.request('sips:a@192.0.2.20', { method: 'OPTIONS' })).status).toBe(503);
    expect((await core.request('tel:+12125550100', { method: 'OPTIONS' })).status).toBe(416);
    await expect(core.request('sip:a@192.0.2.20', { method: 'INVITE' as 'OPTIONS' })).rejects.toThrow(RangeError);
    expect(requests()).toHaveLength(0);
  });

  it('a From in the headers replaces ours and gets our tag; Via/CSeq/Call-ID from the application are ignored', async () => {
    const { core, requests } = rig();
    void core.request('sip:a@192.0.2.20:5090', { method: 'OPTIONS', headers: { From: '<sip:+12125550199@carrier.example>', 'Call-ID': 'mine', CSeq: '1 BYE', via: 'SIP/2.0/UDP evil' } });
    const m = requests()[0].msg;
    const from = parseNameAddr(m.headers.get('from')!)!;
    expect(from.uri).toBe('sip:+12125550199@carrier.example');
    expect(from.tag).toBeTruthy();
    expect(m.headers.get('call-id')).not.toBe('mine');
    expect(m.headers.get('cseq')).toMatch(/^\d+ OPTIONS$/);
    expect(m.headers.getAll('via')).toHaveLength(1);
  });
});

describe('createUAC: Request-URI parameters, identity headers, timeoutMs (virtual time)', () => {
  it('sip:user@host:port;transport=udp: sent to host:port with the Request-URI intact and PAI, Privacy, Diversion as given', () => {
    const { core, requests } = rig();
    void core.invite('sip:2125550100@192.0.2.20:5090;transport=udp', {
      localSdp: SDP,
      from: '+12125550199',
      headers: {
        'P-Asserted-Identity': '<sip:+12125550199@198.51.100.1;user=phone>',
        Privacy: 'id',
        Diversion: '<sip:+12125550111@198.51.100.1>;reason=unconditional;counter=1',
      },
    }).catch(() => undefined);
    const inv = requests()[0];
    expect(inv.to).toEqual(far);
    expect(inv.msg.uri).toBe('sip:2125550100@192.0.2.20:5090;transport=udp');
    expect(inv.msg.headers.get('p-asserted-identity')).toBe('<sip:+12125550199@198.51.100.1;user=phone>');
    expect(inv.msg.headers.get('privacy')).toBe('id');
    expect(inv.msg.headers.get('diversion')).toBe('<sip:+12125550111@198.51.100.1>;reason=unconditional;counter=1');
    expect(parseNameAddr(inv.msg.headers.get('to')!)?.uri).toBe('sip:2125550100@192.0.2.20:5090;transport=udp');
  });

  it('timeoutMs after a provisional: CANCEL at once, rejects SipError(408); the 487 is ACKed', async () => {
    const { core, clock, requests } = rig();
    const p = core.invite('sip:b@192.0.2.20:5090', { localSdp: SDP, timeoutMs: 5000 });
    const inv = requests()[0].msg;
    core.receive(reply(inv, 180, { tag: 'r' }), far);
    clock.advance(4999);
    expect(requests().map((r) => r.msg.method)).toEqual(['INVITE']);
    clock.advance(1);
    await expect(p).rejects.toMatchObject({ name: 'SipError', status: 408 });
    const cancel = requests()[1].msg;
    expect(cancel.method).toBe('CANCEL');
    expect(parseVia(cancel.headers.get('via')!)?.branch).toBe(parseVia(inv.headers.get('via')!)?.branch);
    expect(cancel.headers.get('cseq')).toBe(`${inv.headers.get('cseq')!.split(' ')[0]} CANCEL`);
    core.receive(reply(cancel, 200), far);
    core.receive(reply(inv, 487, { tag: 'r' }), far);
    expect(requests().map((r) => r.msg.method)).toEqual(['INVITE', 'CANCEL', 'ACK']);
  });

  it('timeoutMs before any provisional: rejects 408 at once, CANCELs only when a provisional arrives (§9.1), ends a late 2xx with BYE', async () => {
    const { core, clock, requests } = rig();
    const p = core.invite('sip:b@192.0.2.20:5090', { localSdp: SDP, timeoutMs: 1000 });
    const inv = requests()[0].msg;
    clock.advance(1000);
    await expect(p).rejects.toBeInstanceOf(SipError);
    await expect(p).rejects.toMatchObject({ status: 408 });
    expect(requests().every((r) => r.msg.method === 'INVITE')).toBe(true);
    core.receive(reply(inv, 100), far);
    expect(requests().at(-1)!.msg.method).toBe('CANCEL');
    core.receive(reply(inv, 200, { tag: 'late', extra: ['Contact: <sip:b@192.0.2.20:5090>'] }), far);
    expect(requests().slice(-2).map((r) => r.msg.method)).toEqual(['ACK', 'BYE']);
    expect(core.dialogCount).toBe(0);
  });

  it('a final response before timeoutMs clears the timer: nothing happens at the deadline', async () => {
    const { core, clock, requests } = rig();
    const p = core.invite('sip:b@192.0.2.20:5090', { localSdp: SDP, timeoutMs: 1000 });
    core.receive(reply(requests()[0].msg, 486, { tag: 'x' }), far);
    await expect(p).rejects.toMatchObject({ status: 486 });
    clock.advance(5000);
    expect(requests().map((r) => r.msg.method)).toEqual(['INVITE', 'ACK']);
  });
});

describe('OPTIONS to the embedded port', () => {
  it('is answered 200 with Allow and Accept (RFC 3261 §11.2)', () => {
    const { core, responses } = rig();
    core.receive(crlf(['OPTIONS sip:198.51.100.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-opt', 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>', 'Call-ID: opt', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '']), { address: '192.0.2.10', port: 5060 });
    const r = responses()[0].msg;
    expect(r.status).toBe(200);
    expect(r.headers.getAll('allow')).toEqual(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'UPDATE', 'PRACK']);
    expect(r.headers.get('accept')).toBe('application/sdp');
    expect(parseNameAddr(r.headers.get('to')!)?.tag).toBeTruthy();
  });
});

describe.skipIf(!hasSipp())('request() and createUAC against SIPp', () => {
  let port: EmbeddedSignallingPort;
  beforeEach(async () => {
    port = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock });
  });
  afterEach(async () => {
    await port.close();
  });

  const startUas = async (file: string, extra: string[] = []) => {
    const sippPort = await freeUdpPort();
    const run = runSipp({ scenario: scenario(file), localPort: sippPort, args: ['-m', '1', ...extra], timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 300));
    return { sippPort, run };
  };

  it('OPTIONS to SIPp: 200 with its Allow and X-Probe headers', async () => {
    const { sippPort, run } = await startUas('sip-uas-options.xml');
    const r = await port.request(`sip:ping@127.0.0.1:${sippPort}`, { method: 'OPTIONS', timeoutMs: 3000 });
    expect(r.status).toBe(200);
    expect(r.get('X-Probe')).toMatch(/^sipp-/);
    expect(r.get('Allow')).toBe('INVITE');
    const s = await run;
    expect(s.exitCode, s.stdout.slice(-1500)).toBe(0);
  }, 20_000);

  it('MESSAGE to SIPp: 202, body sent as text/plain', async () => {
    const { sippPort, run } = await startUas('sip-uas-message.xml');
    const r = await port.request(`sip:2125550100@127.0.0.1:${sippPort};transport=udp`, { method: 'MESSAGE', body: 'ping', timeoutMs: 3000 });
    expect(r).toMatchObject({ status: 202, reason: 'Accepted' });
    const s = await run;
    expect(s.exitCode, s.stdout.slice(-1500)).toBe(0);
  }, 20_000);

  it('SIPp pings us with OPTIONS: 200 with Allow (INVITE among them) and Accept: application/sdp', async () => {
    const r = await runSipp({ scenario: scenario('sip-uac-options.xml'), target: `127.0.0.1:${port.port}`, args: ['-m', '3'], timeoutS: 10 });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    expect(r.stats.successful).toBe(3);
  }, 20_000);

  it('OPTIONS to a port where nothing listens: 408 after timeoutMs', async () => {
    const dead = await freeUdpPort();
    const t0 = Date.now();
    const r = await port.request(`sip:x@127.0.0.1:${dead}`, { method: 'OPTIONS', timeoutMs: 400 });
    expect(r.status).toBe(408);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('createUAC to sip:2125550100@127.0.0.1:PORT;transport=udp with P-Asserted-Identity, Privacy, Diversion: SIPp checks them and answers', async () => {
    const { sippPort, run } = await startUas('sip-uas-check-headers.xml');
    const d = await port.createUAC(`sip:2125550100@127.0.0.1:${sippPort};transport=udp`, {
      localSdp: SDP,
      from: '+12125550199',
      timeoutMs: 5000,
      headers: {
        'P-Asserted-Identity': '<sip:+12125550199@127.0.0.1;user=phone>',
        Privacy: 'id',
        Diversion: '<sip:+12125550111@127.0.0.1>;reason=unconditional;counter=1',
      },
    });
    expect(d.remoteSdp).toContain('m=audio');
    await d.destroy();
    const s = await run;
    expect(s.exitCode, s.stdout.slice(-1500)).toBe(0);
    expect(s.stats.successful).toBe(1);
  }, 20_000);

  it('createUAC timeoutMs against a SIPp that only rings: rejects 408, SIPp sees CANCEL and our ACK for its 487', async () => {
    const { sippPort, run } = await startUas('sip-uas-ring-no-answer.xml');
    const t0 = Date.now();
    await expect(port.createUAC(`sip:2125550100@127.0.0.1:${sippPort}`, { localSdp: SDP, timeoutMs: 700 })).rejects.toMatchObject({ name: 'SipError', status: 408 });
    expect(Date.now() - t0).toBeLessThan(2500);
    const s = await run;
    expect(s.exitCode, s.stdout.slice(-1500)).toBe(0);
    expect(s.stats.successful).toBe(1);
  }, 20_000);
});
