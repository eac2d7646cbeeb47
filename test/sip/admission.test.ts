/**
 * Admission before state (defect 6 of "Reliability and security"): a refused stranger costs no
 * transaction, the refusal is stateless (RFC 3261 §8.2.6, §16.11), each source is rate limited
 * with bounded memory, and the log cannot be flooded. Virtual time.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SampledLog, SourceRateLimiter, type AdmissionSource, type AdmissionVerdict } from '../../src/sip/admission.js';
import { parseNameAddr } from '../../src/sip/header-values.js';
import type { Endpoint } from '../../src/sip/message.js';
import { crlf, inDialog, invite, SDP } from './fixtures.js';
import { rig, rigRegistry as registry } from './rig.js';

const customer: Endpoint = { address: '192.0.2.10', port: 5060 };
const stranger: Endpoint = { address: '203.0.113.66', port: 5060 };

async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

const onlyCustomer = (s: AdmissionSource): AdmissionVerdict => (s.address === customer.address ? 'accept' : 'reject');
const strangerInvite = (i: number) => invite({ branch: `z9hG4bK-s${i}`, callId: `stranger-${i}` });
const ack = (toTag: string, branch: string, callId: string) =>
  crlf(['ACK sip:+4930123456@198.51.100.1 SIP/2.0', `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`, 'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1', `To: <sip:+4930123456@198.51.100.1>;tag=${toTag}`, `Call-ID: ${callId}`, 'CSeq: 1 ACK', 'Content-Length: 0', '', '']);

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

describe('admission hook', () => {
  it("'reject': stateless 403 to the source, no transaction, nothing for the application; its ACK and retransmissions leave no state", async () => {
    const { core, invites, responses, clock } = rig({ admit: onlyCustomer });
    const before = await counter('softswitch_sip_admission_refused_total', { verdict: 'reject', method: 'INVITE' });
    core.receive(strangerInvite(1), stranger);
    const r = responses();
    expect(r.map((x) => x.msg.status)).toEqual([403]);
    expect(r[0].to).toEqual(stranger);
    expect(r[0].msg.headers.get('call-id')).toBe('stranger-1');
    const tag = parseNameAddr(r[0].msg.headers.get('to')!)!.tag!;
    expect(tag).toBeTruthy();
    expect(invites).toHaveLength(0);
    expect(core.layer.size.servers).toBe(0);
    core.receive(ack(tag, 'z9hG4bK-s1', 'stranger-1'), stranger);
    expect(responses()).toHaveLength(1);
    core.receive(strangerInvite(1), stranger);
    expect(responses().map((x) => x.msg.status)).toEqual([403, 403]);
    expect(core.layer.size.servers).toBe(0);
    expect(clock.pending).toBe(0);
    expect((await counter('softswitch_sip_admission_refused_total', { verdict: 'reject', method: 'INVITE' })) - before).toBe(2);
  });

  it("'drop': nothing is sent and nothing is kept, not even a 400 for a malformed request", async () => {
    const { core, out, clock } = rig({ admit: (s) => (s.address === customer.address ? 'accept' : 'drop') });
    const before = await counter('softswitch_sip_admission_refused_total', { verdict: 'drop' });
    core.receive(strangerInvite(1), stranger);
    core.receive(Buffer.from(strangerInvite(2).toString().replace(/Content-Length: \d+/, 'Content-Length: -1')), stranger);
    core.receive(crlf(['OPTIONS sip:x@198.51.100.1 SIP/2.0', 'Via: SIP/2.0/UDP 203.0.113.66;branch=z9hG4bK-o', 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>', 'Call-ID: o', 'CSeq: 1 OPTIONS', '', '']), stranger);
    expect(out).toHaveLength(0);
    expect(core.layer.size.servers).toBe(0);
    expect(clock.pending).toBe(0);
    expect((await counter('softswitch_sip_admission_refused_total', { verdict: 'drop' })) - before).toBe(3);
  });

  it('is asked with address, port, method (and header access) for new requests only: not for ACK, retransmissions, in-dialog requests or CANCEL of a pending INVITE', () => {
    const asked: AdmissionSource[] = [];
    const { core, invites, responses } = rig({ admit: (s) => (asked.push(s), 'accept') });
    core.receive(invite(), customer);
    core.receive(invite(), customer);
    expect(asked).toMatchObject([{ address: '192.0.2.10', port: 5060, method: 'INVITE' }]);
    // Policies that look past the source read the request's headers.
    expect(asked[0].header?.('cseq')).toMatch(/INVITE$/);
    invites[0].send(180);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), customer);
    core.receive(inDialog('INVITE', d.localTag, 2), customer);
    core.receive(inDialog('BYE', d.localTag, 3), customer);
    expect(asked).toHaveLength(1);
    core.receive(invite({ branch: 'z9hG4bK-2', callId: 'c2' }), customer);
    expect(asked).toHaveLength(2);
    core.receive(crlf(['CANCEL sip:+4930123456@198.51.100.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-2', 'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1', 'To: <sip:+4930123456@198.51.100.1>', 'Call-ID: c2', 'CSeq: 1 CANCEL', '', '']), customer);
    expect(asked).toHaveLength(2);
    expect(responses().slice(-2).map((r) => r.msg.status)).toEqual([200, 487]);
    core.receive(inDialog('BYE', 'no-such-dialog', 9), { address: '192.0.2.10', port: 5999 });
    expect(asked.at(-1)).toMatchObject({ address: '192.0.2.10', port: 5999, method: 'BYE' });
  });

  it('a peer the policy now refuses can still end its live call: the in-dialog BYE belongs to state, not to admission', () => {
    let open = true;
    const { core, invites, responses } = rig({ admit: () => (open ? 'accept' : 'reject') });
    core.receive(invite(), customer);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), customer);
    open = false;
    core.receive(inDialog('BYE', d.localTag, 2), customer);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(d.destroyed).toBe(true);
  });

  it('a hook that throws rejects (fails closed) and logs once per interval', () => {
    const { logger, lines } = capturingLogger();
    const { core, responses } = rig({
      logger,
      admit: () => {
        throw new Error('policy bug');
      },
    });
    for (let i = 0; i < 50; i++) core.receive(strangerInvite(i), stranger);
    expect(responses().every((r) => r.msg.status === 403)).toBe(true);
    expect(lines.filter((l) => /hook threw/.test(String(l.msg)))).toHaveLength(1);
  });

  it('the flood of the defect, in virtual time: without admission a stranger fills the transaction bound and the customer gets 503; with it the customer is served and the count stays flat', () => {
    const flood = (admit?: (s: AdmissionSource) => AdmissionVerdict) => {
      const r = rig({ maxServerTransactions: 100, admit });
      let peak = 0;
      for (let i = 0; i < 1000; i++) {
        r.core.receive(strangerInvite(i), stranger);
        peak = Math.max(peak, r.core.layer.size.servers);
        if (i % 50 === 0) r.clock.advance(40); // 1,000 INVITEs in 0.8 s, over the defect's 625/s
      }
      r.core.receive(invite({ branch: 'z9hG4bK-cust', callId: 'customer-call' }), customer);
      const last = r.responses().at(-1)!.msg;
      return { status: last.status, callId: last.headers.get('call-id'), peak, invitesToApp: r.invites.length };
    };
    const unprotected = flood();
    expect(unprotected.status).toBe(503);
    expect(unprotected.peak).toBe(100);
    const protectedRun = flood(onlyCustomer);
    expect(protectedRun).toMatchObject({ status: 100, callId: 'customer-call', peak: 0, invitesToApp: 1 });
  });
});

describe('per-source rate limit', () => {
  it('burst then rate; over it a stateless 503 with Retry-After; other sources unaffected', async () => {
    const { core, clock, invites, responses } = rig({ rateLimit: { ratePerS: 2, burst: 3, retryAfterS: 4 } });
    const before = await counter('softswitch_sip_rate_limited_total', { action: 'reject', method: 'INVITE' });
    for (let i = 0; i < 5; i++) core.receive(invite({ branch: `z9hG4bK-r${i}`, callId: `r${i}` }), customer);
    expect(invites).toHaveLength(3);
    const refused = responses().filter((r) => r.msg.status === 503);
    expect(refused.map((r) => r.msg.headers.get('retry-after'))).toEqual(['4', '4']);
    expect(core.layer.size.servers).toBe(3);
    core.receive(invite({ branch: 'z9hG4bK-other', callId: 'other' }), { address: '192.0.2.11', port: 5060 });
    expect(invites).toHaveLength(4);
    clock.advance(499);
    core.receive(invite({ branch: 'z9hG4bK-r5', callId: 'r5' }), customer);
    expect(invites).toHaveLength(4);
    clock.advance(1);
    core.receive(invite({ branch: 'z9hG4bK-r6', callId: 'r6' }), customer);
    expect(invites).toHaveLength(5);
    expect((await counter('softswitch_sip_rate_limited_total', { action: 'reject', method: 'INVITE' })) - before).toBe(3);
  });

  it('does not count retransmissions, ACKs or in-dialog requests: a customer at its rate still ends its calls', () => {
    const { core, invites, responses } = rig({ rateLimit: { ratePerS: 1, burst: 1 } });
    core.receive(invite(), customer);
    core.receive(invite(), customer);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), customer);
    core.receive(inDialog('BYE', d.localTag, 2), customer);
    expect(responses().map((r) => r.msg.status)).toEqual([100, 100, 200, 200]);
    expect(d.destroyed).toBe(true);
  });

  it("overLimit 'drop' sends nothing; a rejected source over its rate gets no more 403s (no reflection)", () => {
    const dropping = rig({ rateLimit: { ratePerS: 1, burst: 2, overLimit: 'drop' } });
    for (let i = 0; i < 10; i++) dropping.core.receive(invite({ branch: `z9hG4bK-d${i}`, callId: `d${i}` }), customer);
    expect(dropping.invites).toHaveLength(2);
    expect(dropping.responses().map((r) => r.msg.status)).toEqual([100, 100]);
    const refusing = rig({ admit: onlyCustomer, rateLimit: { ratePerS: 1, burst: 5 } });
    for (let i = 0; i < 100; i++) refusing.core.receive(strangerInvite(i), stranger);
    expect(refusing.responses().map((r) => r.msg.status)).toEqual([403, 403, 403, 403, 403]);
  });

  it("keyBy 'address-port' tells two sources on one address apart", () => {
    const { core, invites } = rig({ rateLimit: { ratePerS: 1, burst: 1, keyBy: 'address-port' } });
    core.receive(invite({ branch: 'z9hG4bK-p1', callId: 'p1' }), { address: '127.0.0.1', port: 5001 });
    core.receive(invite({ branch: 'z9hG4bK-p2', callId: 'p2' }), { address: '127.0.0.1', port: 5002 });
    core.receive(invite({ branch: 'z9hG4bK-p3', callId: 'p3' }), { address: '127.0.0.1', port: 5002 });
    expect(invites.map((i) => i.callId)).toEqual(['p1', 'p2']);
  });

  it('the source table is bounded: least recently seen sources are forgotten first', () => {
    const l = new SourceRateLimiter({ ratePerS: 1, burst: 1, maxSources: 100 });
    expect(l.take('10.0.0.1', 1, 0)).toBe(true);
    expect(l.take('10.0.0.1', 1, 0)).toBe(false);
    for (let i = 0; i < 10_000; i++) l.take(`10.1.${i >> 8}.${i & 255}`, 1, 0);
    expect(l.size).toBe(100);
    // 10.0.0.1 was forgotten (a full bucket again), the newest sources are still remembered.
    expect(l.take('10.0.0.1', 1, 0)).toBe(true);
    expect(l.take('10.1.39.15', 1, 0)).toBe(false);
    const { core } = rig({ rateLimit: { ratePerS: 10, burst: 10, maxSources: 50 } });
    for (let i = 0; i < 500; i++) core.receive(invite({ branch: `z9hG4bK-m${i}`, callId: `m${i}` }), { address: `198.18.${i >> 8}.${i & 255}`, port: 5060 });
    expect(core.rateLimitedSources).toBe(50);
  });

  it('refuses nonsense settings', () => {
    expect(() => new SourceRateLimiter({ ratePerS: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new SourceRateLimiter({ ratePerS: 1, burst: 0 })).toThrow(RangeError);
  });
});

describe('refusal log lines', () => {
  it('3,000 refusals in 0.6 s write one line per 10 s interval, the next line counting the suppressed ones', () => {
    const { logger, lines } = capturingLogger();
    const { core, clock } = rig({ logger, admit: onlyCustomer });
    for (let i = 0; i < 3000; i++) {
      core.receive(strangerInvite(i), stranger);
      if (i % 1000 === 0) clock.advance(200);
    }
    const refused = () => lines.filter((l) => /admission policy/.test(String(l.msg)));
    expect(refused()).toHaveLength(1);
    expect(refused()[0]).toMatchObject({ verdict: 'reject', method: 'INVITE', source: stranger, suppressedBefore: 0 });
    clock.advance(10_000);
    core.receive(strangerInvite(3001), stranger);
    expect(refused()).toHaveLength(2);
    expect(refused()[1].suppressedBefore).toBe(2999);
  });

  it('SampledLog: first at once, then at most one per interval', () => {
    const got: number[] = [];
    const s = new SampledLog(1000, (f) => got.push(f.suppressedBefore as number));
    for (let t = 0; t < 3000; t += 10) s.note(t, () => ({}));
    expect(got).toEqual([0, 99, 99]);
  });
});
