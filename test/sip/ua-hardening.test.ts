/** Flood bounds, merged requests, retransmission corner cases and reflection through Via (RFC 3261, RFC 3581). */
import { describe, expect, it } from 'vitest';
import { parseVia } from '../../src/sip/header-values.js';
import { SipHeaders, type Endpoint } from '../../src/sip/message.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { parseMessage } from '../../src/sip/parser.js';
import { crlf, inDialog, invite, SDP } from './fixtures.js';
import { rig, rigRegistry as registry } from './rig.js';

const caller: Endpoint = { address: '192.0.2.10', port: 5060 };

async function counterValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

describe('Via received/rport (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  it('a received or rport value written by the sender does not steer the response to a third party', () => {
    const { core, responses } = rig();
    const spoofed = invite().toString().replace('branch=z9hG4bK-abc-1', 'branch=z9hG4bK-abc-1;received=203.0.113.99;rport=7777');
    core.receive(Buffer.from(spoofed), caller);
    const r = responses()[0];
    expect(r.to).toEqual(caller);
    const via = parseVia(r.msg.headers.get('via')!)!;
    expect(via.params.has('received')).toBe(false);
    expect(via.params.get('rport')).toBe('5060');
  });
});

describe('bounded state under a flood (RFC 3261 §21.5.4)', () => {
  it('over maxServerTransactions a new INVITE or OPTIONS gets 503 with Retry-After, counted; in-dialog BYE still works', async () => {
    const { core, clock, invites, responses } = rig({ maxServerTransactions: 3, overloadRetryAfterS: 7 });
    const before = await counterValue('softswitch_sip_overload_rejected_total');
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    for (let i = 0; i < 3; i++) core.receive(invite({ branch: `z9hG4bK-f${i}`, callId: `flood-${i}` }), caller);
    expect(invites).toHaveLength(4);
    expect(core.layer.size.servers).toBe(3);
    core.receive(invite({ branch: 'z9hG4bK-over', callId: 'over' }), caller);
    const over = responses().at(-1)!;
    expect(over.msg.status).toBe(503);
    expect(over.msg.headers.get('retry-after')).toBe('7');
    expect(over.msg.headers.get('call-id')).toBe('over');
    expect(invites).toHaveLength(4);
    core.receive(crlf(['OPTIONS sip:198.51.100.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-o', 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>', 'Call-ID: o', 'CSeq: 1 OPTIONS', '', '']), caller);
    expect(responses().at(-1)!.msg.status).toBe(503);
    expect(core.layer.size.servers).toBe(3);
    core.receive(inDialog('BYE', d.localTag, 2), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(d.destroyed).toBe(true);
    expect((await counterValue('softswitch_sip_overload_rejected_total')) - before).toBe(2);
    for (const inv of invites.slice(1)) inv.send(486);
    clock.advance(40_000);
    expect(core.layer.size.servers).toBe(0);
    core.receive(invite({ branch: 'z9hG4bK-later', callId: 'later' }), caller);
    expect(invites).toHaveLength(5);
  });

  it('over maxDialogs a new INVITE gets 503 while the dialogs last', () => {
    const { core, invites, responses } = rig({ maxDialogs: 1 });
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    core.receive(invite({ branch: 'z9hG4bK-2', callId: 'second' }), caller);
    expect(responses().at(-1)!.msg.status).toBe(503);
    expect(responses().at(-1)!.msg.headers.has('retry-after')).toBe(true);
    expect(invites).toHaveLength(1);
  });

  it('an 8,000-character Call-ID and odd branch values ("__proto__", "constructor") are ordinary keys', () => {
    const { core, invites, responses } = rig();
    const callId = 'c'.repeat(8000);
    core.receive(invite({ callId, branch: 'z9hG4bK__proto__' }), caller);
    core.receive(invite({ callId, branch: 'z9hG4bK__proto__' }), caller);
    core.receive(invite({ callId: 'x', branch: 'constructor' }), caller);
    expect(invites.map((i) => i.callId.length)).toEqual([8000, 1]);
    expect(responses().map((r) => r.msg.status)).toEqual([100, 100, 100]);
    core.answer(invites[0], SDP);
    core.receive(invite({ callId, branch: 'z9hG4bK__proto__' }), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(invites).toHaveLength(2);
  });

  it('request methods from the wire do not create unbounded metric label values', async () => {
    const { core } = rig();
    for (let i = 0; i < 50; i++) {
      core.receive(crlf([`M${i}X sip:198.51.100.1 SIP/2.0`, `Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-m${i}`, 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>', `Call-ID: m${i}`, `CSeq: 1 M${i}X`, '', '']), caller);
    }
    const m = await registry.getSingleMetric('softswitch_sip_messages_received_total')!.get();
    expect(m.values.filter((v) => /^M\d+X$/.test(String(v.labels.kind)))).toEqual([]);
  });
});

describe('merged requests and retransmissions', () => {
  it('the same INVITE arriving again on another branch is a merged request: 482, no second call (§8.2.2.2)', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    core.receive(invite({ branch: 'z9hG4bK-forked' }), { address: '192.0.2.11', port: 5060 });
    expect(invites).toHaveLength(1);
    const last = responses().at(-1)!;
    expect(last.msg.status).toBe(482);
    expect(parseVia(last.msg.headers.get('via')!)?.branch).toBe('z9hG4bK-forked');
    // Also after the first one was answered, while its dialog lives.
    core.answer(invites[0], SDP);
    core.receive(invite({ branch: 'z9hG4bK-forked-2' }), caller);
    expect(responses().at(-1)!.msg.status).toBe(482);
    expect(invites).toHaveLength(1);
  });

  it('once the first INVITE was refused, the same request on a new branch is a new attempt, not merged', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    invites[0].send(302, undefined, { headers: { Contact: '<sip:+4930999@198.51.100.1>' } });
    core.receive(invite({ branch: 'z9hG4bK-retry' }), caller);
    expect(invites).toHaveLength(2);
    expect(responses().map((r) => r.msg.status)).toEqual([100, 302, 100]);
  });

  it('a retransmitted re-INVITE after our 2xx gets the 2xx again, not 500 (RFC 6026 §7.1)', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    core.receive(inDialog('INVITE', d.localTag, 2), caller);
    core.receive(inDialog('INVITE', d.localTag, 2), caller);
    expect(responses().slice(-2).map((r) => [r.msg.status, r.msg.headers.get('cseq')])).toEqual([[200, '2 INVITE'], [200, '2 INVITE']]);
  });

  it('a destroy listener that throws from the no-ACK timer does not break the timer run', () => {
    const { core, clock, invites, requests } = rig();
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    d.on('destroy', () => {
      throw new Error('application bug');
    });
    expect(() => clock.advance(33_000)).not.toThrow();
    expect(requests()[0].msg.method).toBe('BYE');
  });
});

describe('header injection (RFC 3261 §7.3.1)', () => {
  it('CR or LF in a reason phrase, Request-URI or header name never splits the message', () => {
    const h = new SipHeaders().append('Via', 'SIP/2.0/UDP h;branch=z9hG4bK1').append('X-A\r\nX-Evil', 'v').append('Call-ID', 'c\rX-Evil: 2');
    const res = parseMessage(serializeMessage({ kind: 'response', version: 'SIP/2.0', status: 486, reason: 'Busy\r\nX-Evil: 1', headers: h, body: Buffer.alloc(0) }));
    expect(res.ok).toBe(true);
    expect(res.ok && res.message.headers.has('x-evil')).toBe(false);
    const req = parseMessage(serializeMessage({ kind: 'request', version: 'SIP/2.0', method: 'BYE', uri: 'sip:a@h\r\nX-Evil: 3', headers: h, body: Buffer.alloc(0) }));
    expect(req.ok).toBe(true);
    expect(req.ok && req.message.headers.has('x-evil')).toBe(false);
  });

  it('a bare CR inside Call-ID, From and To copied into our response stays inside its header', () => {
    const { core, responses } = rig();
    const bad = invite().toString().replace('Call-ID: call-1@192.0.2.10', 'Call-ID: call-1\rX-Evil: 1').replace('To: <sip:+4930123456@198.51.100.1>', 'To: <sip:+4930123456@198.51.100.1>\rX-Evil: 2');
    core.receive(Buffer.from(bad), caller);
    for (const r of responses()) {
      expect(r.msg.headers.has('x-evil')).toBe(false);
      expect(r.raw.toString('latin1')).not.toMatch(/\r(?!\n)/);
    }
    expect(responses().length).toBeGreaterThan(0);
  });
});
