import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatMessageSummary, parseMessageSummary } from '../../../src/class5/mwi/message-summary.js';
import { subscriptionExpires, SubscriptionTable } from '../../../src/class5/mwi/subscriptions.js';

describe('message-summary body (RFC 3842 §5.2)', () => {
  it('parses the RFC’s example shape: status, account, counts with urgent ones; optional headers after a blank line are ignored', () => {
    const r = parseMessageSummary('Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 4/8 (1/2)\r\nFax-Message: 0/1\r\n\r\nTo: <alice@atlanta.example.com>\r\n');
    expect(r).toEqual({ ok: true, summary: { waiting: true, account: 'sip:alice@vmail.example.com', counts: { 'voice-message': { newMessages: 4, oldMessages: 8, urgentNew: 1, urgentOld: 2 }, 'fax-message': { newMessages: 0, oldMessages: 1 } } } });
  });

  it('round-trips through format', () => {
    const s = { waiting: false, account: 'sip:1001@acme.example', counts: { 'voice-message': { newMessages: 0, oldMessages: 3 } } };
    expect(parseMessageSummary(formatMessageSummary(s))).toEqual({ ok: true, summary: s });
  });

  it('refuses a missing or bad status, bad counts and oversized bodies with an error value', () => {
    expect(parseMessageSummary('Voice-Message: 1/2\r\n').ok).toBe(false);
    expect(parseMessageSummary('Messages-Waiting: maybe\r\n').ok).toBe(false);
    expect(parseMessageSummary('Messages-Waiting: yes\r\nVoice-Message: lots\r\n').ok).toBe(false);
    expect(parseMessageSummary(`Messages-Waiting: yes\r\n${'X-Pad: y\r\n'.repeat(1000)}`).ok).toBe(false);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 600 }), (t) => typeof parseMessageSummary(t).ok === 'boolean'), { numRuns: 2000 });
  });
});

describe('subscription expiry and table (RFC 6665 §4.2.1.1)', () => {
  const limits = { minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 3600 };
  it('default, cap, 0 as unsubscribe, 423 with Min-Expires below the minimum, 400 for junk', () => {
    expect(subscriptionExpires(undefined, limits)).toEqual({ ok: true, expiresS: 3600 });
    expect(subscriptionExpires('99999', limits)).toEqual({ ok: true, expiresS: 3600 });
    expect(subscriptionExpires('0', limits)).toEqual({ ok: true, expiresS: 0 });
    expect(subscriptionExpires('30', limits)).toEqual({ ok: false, status: 423, headers: { 'Min-Expires': '60' } });
    expect(subscriptionExpires('-1', limits)).toMatchObject({ ok: false, status: 400 });
  });

  it('bounds subscriptions per mailbox, counts NOTIFY CSeqs up, and hands out expired ones once', () => {
    const t = new SubscriptionTable({ maxPerMailbox: 2, maxTotal: 10 });
    const base = { tenant: 'acme', mailbox: '1001', localUri: 'sip:1001@acme.example', remoteUri: 'sip:1001@acme.example', remoteTarget: 'sip:1001@192.0.2.1', source: { address: '192.0.2.1', port: 5060 }, localTag: 'l' };
    const a = t.add({ ...base, callId: 'a', remoteTag: 'ra', expiresAt: 1000 });
    const b = t.add({ ...base, callId: 'b', remoteTag: 'rb', expiresAt: 5000 });
    expect(t.add({ ...base, callId: 'c', remoteTag: 'rc', expiresAt: 5000 })).toBe('mailbox-full');
    expect(t.ofMailbox('acme', '1001')).toHaveLength(2);
    expect(t.ofMailbox('globex', '1001')).toHaveLength(0);
    if (typeof a === 'string' || typeof b === 'string') throw new Error('not added');
    expect([t.nextCSeq(a), t.nextCSeq(a)]).toEqual([1, 2]);
    expect(t.takeExpired(2000).map((s) => s.callId)).toEqual(['a']);
    expect(t.takeExpired(2000)).toEqual([]);
    expect(t.size).toBe(1);
  });
});
