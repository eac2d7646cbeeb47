/** The call trail's ring: claiming by key, adoption of messages seen before the call, and every cap. */
import { describe, expect, it } from 'vitest';
import { CallTrail } from '../../src/calls/call-trail.js';
import { VirtualClock } from '../../src/util/clock.js';
import { tapKey, type TappedMessage } from '../../src/util/message-tap.js';

const sip = (callId: string, text = 'INVITE sip:x SIP/2.0', dir: 'in' | 'out' = 'in'): TappedMessage => ({ key: tapKey.sip(callId), protocol: 'sip', dir, bytes: Buffer.from(text) });
const isup = (tg: string, cic: number, type: number, opens = type === 1): TappedMessage => ({ key: tapKey.circuit(tg, cic), protocol: 'isup', dir: 'out', bytes: Buffer.from([cic, 0, type]), opens });
const labels = (t: CallTrail, id: string) => t.get(id)?.events.map((e) => e.msg.bytes.toString('latin1')) ?? [];

describe('CallTrail', () => {
  it('gives a call the messages of its keys, in order, including those seen before it claimed them', () => {
    const clock = new VirtualClock(1000);
    const t = new CallTrail({}, clock);
    t.record(sip('a@h', 'INVITE'));
    clock.advance(5);
    t.link(tapKey.sip('a@h'), 'call-1');
    t.link(tapKey.circuit('tg', 7), 'call-1');
    t.record(isup('tg', 7, 1));
    t.record(sip('a@h', '100'));
    t.record(sip('other@h', 'OPTIONS'));
    expect(t.get('call-1')!.events.map((e) => e.msg.protocol)).toEqual(['sip', 'isup', 'sip']);
    expect(t.get('call-1')!.events[0].t).toBe(1000);
    expect(labels(t, 'call-1')[2]).toBe('100');
    expect(t.list().map((s) => s.callId)).toEqual(['call-1']);
  });

  it('a circuit released by one call is not the next one\'s: only the IAM that opens it is adopted', () => {
    const t = new CallTrail({}, new VirtualClock(0));
    t.link(tapKey.circuit('tg', 3), 'call-1');
    t.record(isup('tg', 3, 0x10));
    t.unlink(tapKey.circuit('tg', 3), 'call-1');
    // Maintenance on the idle circuit, then an incoming IAM before the next call claims it.
    t.record(isup('tg', 3, 0x13));
    t.record(isup('tg', 3, 0x15));
    t.link(tapKey.circuit('tg', 3), 'call-x');
    expect(t.get('call-x')!.events).toEqual([]);
    t.unlink(tapKey.circuit('tg', 3), 'call-x');
    t.record(isup('tg', 3, 0x14));
    t.record(isup('tg', 3, 0x01));
    t.link(tapKey.circuit('tg', 3), 'call-2');
    expect(t.get('call-2')!.events.map((e) => e.msg.bytes[2])).toEqual([0x01]);
    expect(t.get('call-1')!.events.map((e) => e.msg.bytes[2])).toEqual([0x10]);
  });

  it('does not adopt what waited longer than the adoption window', () => {
    const clock = new VirtualClock(0);
    const t = new CallTrail({ adoptWindowMs: 1000 }, clock);
    t.record(sip('old@h'));
    clock.advance(2000);
    t.record(sip('old@h', 'ACK'));
    t.link(tapKey.sip('old@h'), 'c');
    expect(labels(t, 'c')).toEqual(['ACK']);
  });

  it('keeps at most maxCalls trails (the oldest call goes, with its keys) and maxEventsPerCall per call', () => {
    const t = new CallTrail({ maxCalls: 3, maxEventsPerCall: 4 }, new VirtualClock(0));
    for (let i = 0; i < 5; i++) t.link(tapKey.sip(`c${i}`), `call-${i}`);
    expect(t.size).toBe(3);
    expect(t.get('call-0')).toBeUndefined();
    t.record(sip('c0'));
    expect(t.get('call-0')).toBeUndefined();
    for (let i = 0; i < 10; i++) t.record(sip('c4', `m${i}`));
    const v = t.get('call-4')!;
    expect(v.events.map((e) => e.msg.bytes.toString())).toEqual(['m6', 'm7', 'm8', 'm9']);
    expect(v.dropped).toBe(6);
  });

  it('holds at most maxBytes: older calls are evicted for a newer one', () => {
    const big = 'x'.repeat(60_000);
    const t = new CallTrail({ maxBytes: 200_000, maxCalls: 100, maxEventsPerCall: 100 }, new VirtualClock(0));
    for (let i = 0; i < 10; i++) {
      t.link(tapKey.sip(`c${i}`), `call-${i}`);
      t.record(sip(`c${i}`, big));
    }
    expect(t.heldBytes).toBeLessThanOrEqual(200_000);
    expect(t.get('call-9')!.events.length).toBe(1);
    expect(t.get('call-0')).toBeUndefined();
  });

  it('bounds messages no call claims (a flood of unknown Call-IDs) by key count and bytes', () => {
    const t = new CallTrail({ maxPendingKeys: 16, maxPendingPerKey: 2, maxPendingBytes: 64 * 1024 }, new VirtualClock(0));
    for (let i = 0; i < 10_000; i++) t.record(sip(`flood-${i}`, 'y'.repeat(1000)));
    expect(t.heldBytes).toBeLessThanOrEqual(64 * 1024);
    for (let i = 0; i < 100; i++) t.record(sip('one', `r${i}`));
    t.link(tapKey.sip('one'), 'c');
    expect(labels(t, 'c')).toEqual(['r98', 'r99']);
  });

  it('is off with maxCalls 0', () => {
    const t = new CallTrail({ maxCalls: 0 });
    t.link(tapKey.sip('a'), 'c');
    t.record(sip('a'));
    expect(t.enabled).toBe(false);
    expect(t.get('c')).toBeUndefined();
    expect(t.heldBytes).toBe(0);
  });
});
