import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/util/clock.js';
import { defaultIsupTimers, type IsupCallIndication, type IsupSendRequest } from '../../../src/ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../../../src/ss7/isup/call-runner.js';

function harness(variant: 'ansi' | 'itu' = 'ansi') {
  const clock = new VirtualClock();
  const sent: IsupSendRequest[] = [];
  const ind: IsupCallIndication[] = [];
  const unexpected: string[] = [];
  const call = new IsupCallRunner({
    clock,
    timers: defaultIsupTimers(variant),
    send: (m) => sent.push(m),
    indicate: (i) => ind.push(i),
    unexpected: (e, s) => unexpected.push(`${e.name}@${s}`),
  });
  return { clock, sent, ind, call, unexpected };
}

describe('ISUP basic call (Q.764 / T1.113.4)', () => {
  it('outgoing call: IAM, ACM, ANM, our REL, RLC', () => {
    const { call, sent, ind, clock } = harness();
    call.handle({ name: 'CC_SETUP_REQ' });
    call.handle({ name: 'ISUP_ACM' });
    call.handle({ name: 'ISUP_ANM' });
    expect(call.state).toBe('answered');
    call.handle({ name: 'CC_RELEASE_REQ', cause: 16 });
    call.handle({ name: 'ISUP_RLC' });
    expect(call.state).toBe('idle');
    expect(sent).toEqual([{ type: 'IAM' }, { type: 'REL', cause: 16 }]);
    expect(ind.map((i) => i.kind)).toEqual(['alerting', 'answer', 'release-complete']);
    expect(clock.pending).toBe(0);
  });

  it('far end releases first: RLC at once and a released indication with its cause', () => {
    const { call, sent, ind, clock } = harness();
    call.handle({ name: 'CC_SETUP_REQ' });
    call.handle({ name: 'ISUP_ACM' });
    call.handle({ name: 'ISUP_ANM' });
    call.handle({ name: 'ISUP_REL', cause: 16 });
    expect(sent.at(-1)).toEqual({ type: 'RLC' });
    expect(ind.at(-1)).toEqual({ kind: 'released', cause: 16, by: 'remote' });
    expect(call.state).toBe('idle');
    expect(clock.pending).toBe(0);
  });

  it('T7 expiry without ACM releases with cause 102', () => {
    const { call, sent, ind, clock } = harness();
    call.handle({ name: 'CC_SETUP_REQ' });
    clock.advance(29_999);
    expect(call.state).toBe('outgoing-setup');
    clock.advance(1);
    expect(sent.at(-1)).toEqual({ type: 'REL', cause: 102 });
    expect(ind.at(-1)).toEqual({ kind: 'released', cause: 102, by: 'local-timer' });
    expect(call.state).toBe('releasing');
  });

  it('T1 repeats REL until RLC; T5 sends RSC and alerts maintenance', () => {
    const { call, sent, ind, clock } = harness('ansi');
    call.handle({ name: 'CC_SETUP_REQ' });
    call.handle({ name: 'CC_RELEASE_REQ', cause: 31 });
    clock.advance(10_000);
    clock.advance(10_000);
    expect(sent.filter((m) => m.type === 'REL')).toHaveLength(3);
    clock.advance(40_000);
    expect(sent.at(-1)).toEqual({ type: 'RSC' });
    expect(ind.some((i) => i.kind === 'maintenance-alert')).toBe(true);
    expect(call.state).toBe('idle');
    expect(clock.pending).toBe(0);
  });

  it('T9 expiry while alerting releases with cause 19; CON answers at once', () => {
    const a = harness('itu');
    a.call.handle({ name: 'CC_SETUP_REQ' });
    a.call.handle({ name: 'ISUP_ACM' });
    a.clock.advance(180_000);
    expect(a.sent.at(-1)).toEqual({ type: 'REL', cause: 19 });
    const b = harness('itu');
    b.call.handle({ name: 'CC_SETUP_REQ' });
    b.call.handle({ name: 'ISUP_CON' });
    expect(b.call.state).toBe('answered');
  });

  it('incoming call: IAM, ACM, ANM; release collision answered with RLC', () => {
    const { call, sent, ind } = harness();
    call.handle({ name: 'ISUP_IAM' });
    call.handle({ name: 'CC_ALERT_REQ' });
    call.handle({ name: 'CC_ANSWER_REQ' });
    call.handle({ name: 'CC_RELEASE_REQ', cause: 16 });
    call.handle({ name: 'ISUP_REL', cause: 16 });
    expect(sent.map((m) => m.type)).toEqual(['ACM', 'ANM', 'REL', 'RLC']);
    expect(ind.map((i) => i.kind)).toEqual(['setup', 'release-complete']);
    expect(call.state).toBe('idle');
  });

  it('reports events the state does not accept and changes nothing', () => {
    const { call, unexpected } = harness();
    expect(call.handle({ name: 'ISUP_ANM' })).toBe(false);
    expect(call.state).toBe('idle');
    expect(unexpected).toEqual(['ISUP_ANM@idle']);
  });
});
