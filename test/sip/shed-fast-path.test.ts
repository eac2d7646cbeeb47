/**
 * The UA core while shedding: new INVITEs refused from their raw bytes (503 + Retry-After +
 * Reason), a retransmission answered with the same 503 even after shedding stops, the ACK of that
 * 503 absorbed, and nothing of an admitted call (its retransmitted INVITE, ACK, BYE) ever refused.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseNameAddr } from '../../src/sip/header-values.js';
import type { AdmissionHook } from '../../src/sip/admission.js';
import { crlf, inDialog, invite, SDP } from './fixtures.js';
import { rig } from './rig.js';
import { inviteServerKey } from '../../src/sip/shed-fast-path.js';
import { parseMessage } from '../../src/sip/parser.js';
import { scanRequest } from '../../src/sip/raw-request.js';
import { serverKey } from '../../src/sip/transaction/layer.js';
import type { SipRequest } from '../../src/sip/message.js';

const caller = { address: '192.0.2.10', port: 5060 };

function shedRig(opts: { hook?: AdmissionHook; rateLimit?: { ratePerS: number; burst: number } } = {}) {
  let shedding = false;
  const registry = new Registry();
  const r = rig({
    registry,
    overloadRetryAfterS: 7,
    rateLimit: opts.rateLimit,
    shedding: () => shedding,
    admit: opts.hook ?? ((src) => (shedding && src.method === 'INVITE' && !/;\s*tag=/.test(src.header?.('to') ?? '') ? 'overload' : 'accept')),
  });
  const counted = async (kind: string) => (await registry.getSingleMetric('softswitch_sip_shed_fast_path_total')!.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
  return { ...r, setShedding: (on: boolean) => (shedding = on), counted };
}

const ackFor = (toTag: string, branch = 'z9hG4bK-abc-1') =>
  crlf([
    'ACK sip:+4930123456@198.51.100.1 SIP/2.0',
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`,
    'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1',
    `To: <sip:+4930123456@198.51.100.1>;tag=${toTag}`,
    'Call-ID: call-1@192.0.2.10',
    'CSeq: 1 ACK',
    'Content-Length: 0',
    '',
    '',
  ]);

describe('shedding fast path in the UA core', () => {
  it('refuses a new INVITE with 503, Retry-After and Reason cause 42, keeping no transaction', async () => {
    const { core, invites, responses, setShedding, counted } = shedRig();
    setShedding(true);
    core.receive(invite(), caller);
    expect(invites).toHaveLength(0);
    const [res] = responses();
    expect(res.msg.status).toBe(503);
    expect(res.msg.headers.get('retry-after')).toBe('7');
    expect(res.msg.headers.get('reason')).toBe('Q.850;cause=42');
    expect(res.to).toEqual({ address: '192.0.2.10', port: 5060 });
    expect(core.layer.size.servers).toBe(0);
    expect(await counted('invite-refused')).toBe(1);
  });

  it('a retransmission gets the same 503 (same To tag) even after shedding stopped; the ACK is absorbed', async () => {
    const { core, invites, responses, setShedding, counted } = shedRig();
    setShedding(true);
    core.receive(invite(), caller);
    setShedding(false);
    core.receive(invite(), caller);
    expect(invites).toHaveLength(0);
    const tags = responses().map((r) => parseNameAddr(r.msg.headers.get('to')!)!.tag);
    expect(responses().map((r) => r.msg.status)).toEqual([503, 503]);
    expect(tags[1]).toBe(tags[0]);
    core.receive(ackFor(tags[0]!), caller);
    expect(await counted('invite-again')).toBe(1);
    expect(await counted('ack-absorbed')).toBe(1);
    expect(responses()).toHaveLength(2);
    // Another call, once shedding stopped, is a call.
    core.receive(invite({ callId: 'call-2@192.0.2.10', branch: 'z9hG4bK-other' }), caller);
    expect(invites).toHaveLength(1);
  });

  it('keeps the call trail out of refusals: their INVITE, 503 and ACK bypass the trace, an admitted call is traced', () => {
    const traced: string[] = [];
    const untraced: Buffer[] = [];
    let shedding = true;
    const r = rig({
      registry: new Registry(),
      shedding: () => shedding,
      admit: (src) => (shedding && src.method === 'INVITE' ? 'overload' : 'accept'),
      traceIn: (buf) => traced.push(buf.toString('latin1').split(' ')[0]),
      sendUntraced: (buf) => untraced.push(buf),
    });
    r.core.receive(invite(), caller);
    expect(untraced).toHaveLength(1);
    expect(untraced[0].toString('latin1')).toMatch(/^SIP\/2\.0 503 /);
    expect(r.responses()).toHaveLength(0); // nothing through the traced send
    const tag = parseNameAddr(/^To: (.*)$/m.exec(untraced[0].toString('latin1'))![1].trim())!.tag!;
    r.core.receive(ackFor(tag), caller);
    expect(traced).toEqual([]);
    shedding = false;
    r.core.receive(invite({ callId: 'call-2@192.0.2.10', branch: 'z9hG4bK-other' }), caller);
    expect(traced).toEqual(['INVITE']);
    expect(r.invites).toHaveLength(1);
    expect(r.responses().map((x) => x.msg.status)).toContain(100);
  });

  it('never refuses what belongs to an admitted call: its retransmitted INVITE, its ACK and its BYE', () => {
    const { core, invites, responses, setShedding } = shedRig();
    core.receive(invite(), caller);
    expect(invites).toHaveLength(1);
    setShedding(true);
    core.receive(invite(), caller); // retransmission while the call rings
    expect(responses().map((r) => r.msg.status)).toEqual([100, 100]);
    const d = core.answer(invites[0], SDP);
    core.receive(invite(), caller); // retransmission after the 2xx (Timer L)
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    core.receive(inDialog('BYE', d.localTag, 2), caller);
    const statuses = responses().map((r) => r.msg.status);
    expect(statuses).not.toContain(503);
    expect(statuses.at(-1)).toBe(200);
    expect(invites).toHaveLength(1);
  });

  it('what the admission policy does not refuse for overload goes the full way, the policy asked once', () => {
    let asked = 0;
    const { core, responses, setShedding } = shedRig({
      hook: () => {
        asked++;
        return 'reject';
      },
    });
    setShedding(true);
    core.receive(invite(), caller);
    expect(asked).toBe(1);
    expect(responses().map((r) => r.msg.status)).toEqual([403]);
  });

  it('an INVITE the scanner cannot read with certainty is left to the full parser (and refused there)', () => {
    const { core, responses, setShedding } = shedRig();
    setShedding(true);
    const folded = Buffer.from(invite().toString('latin1').replace('Max-Forwards: 70', 'Max-Forwards:\r\n 70'), 'latin1');
    core.receive(folded, caller);
    expect(responses().map((r) => r.msg.status)).toEqual([503]);
  });

  it('the source rate limit applies first, as on the full path: over it, its own 503 (not remembered)', () => {
    const { core, responses, setShedding } = shedRig({ rateLimit: { ratePerS: 1, burst: 1 } });
    setShedding(true);
    core.receive(invite(), caller);
    core.receive(invite({ callId: 'call-2@192.0.2.10', branch: 'z9hG4bK-two' }), caller);
    const [first, second] = responses();
    expect([first.msg.status, first.msg.headers.get('retry-after'), first.msg.headers.get('reason')]).toEqual([503, '7', 'Q.850;cause=42']);
    expect([second.msg.status, second.msg.headers.get('retry-after'), second.msg.headers.get('reason')]).toEqual([503, '5', undefined]);
  });
});

describe('the server key read from raw bytes', () => {
  it('is the transaction layer\'s key for the same INVITE (mixed-case host, with and without a port), and none for an RFC 2543 branch', () => {
    const cases = [
      invite(),
      invite({ port: 5080 }),
      Buffer.from(invite().toString('latin1').replace('Via: SIP/2.0/UDP 192.0.2.10:5060;', 'Via: SIP/2.0/UDP PBX.Example.COM;'), 'latin1'),
    ];
    for (const buf of cases) {
      const parsed = parseMessage(buf);
      if (!parsed.ok) throw new Error('fixture does not parse');
      const key = inviteServerKey(scanRequest(buf)!);
      expect(key).toBeDefined();
      expect(key).toBe(serverKey(parsed.message as SipRequest));
    }
    expect(inviteServerKey(scanRequest(invite({ branch: '1234-old' }))!)).toBeUndefined();
  });
});
