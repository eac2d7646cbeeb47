import { describe, expect, it } from 'vitest';
import { LineFsm, LINE_ACCEPTS, toneForCause, type LineAction } from '../../../src/class5/lines/line-fsm.js';
import { parseDigitMap } from '../../../src/mgcp/mgcp/digit-map.js';

const dm = parseDigitMap('(xxxx|[2-9]xxxxxx|1[2-9]xxxxxxxxx|911|0T)');
if (!dm.ok) throw new Error(dm.error);
const fsm = () => new LineFsm({ digitMap: dm.map, permanentSignalMs: 30_000 });
const requests = (a: LineAction[]) => a.filter((x) => x.kind === 'request') as Extract<LineAction, { kind: 'request' }>[];

describe('line state machine', () => {
  it('START asks for off-hook; off-hook gives dial tone with the digit map and the permanent-signal timer', () => {
    const f = fsm();
    expect(requests(f.handle({ name: 'START' }))[0]).toMatchObject({ events: [{ event: 'L/hd', actions: ['N'] }], signals: [] });
    const a = f.handle({ name: 'OFF_HOOK' });
    expect(f.state).toBe('dialing');
    expect(requests(a)[0]).toMatchObject({ signals: ['L/dl'], digitMap: true });
    expect(requests(a)[0].events.map((e) => e.event)).toEqual(['L/hu', 'D/[0-9#*T]']);
    expect(a).toContainEqual({ kind: 'start-timer', timer: 'permanent-signal', ms: 30_000 });
  });

  it('digits that complete the map place the call; ringback on alerting; answer; on-hook hangs up and re-arms off-hook', () => {
    const f = fsm();
    f.handle({ name: 'OFF_HOOK' });
    const a = f.handle({ name: 'DIGITS', collected: '1002' });
    expect(a).toContainEqual({ kind: 'digit-map', outcome: 'complete', collected: '1002' });
    expect(a).toContainEqual({ kind: 'place-call', dialled: '1002' });
    expect(a).toContainEqual({ kind: 'stop-timer', timer: 'permanent-signal' });
    expect(f.state).toBe('calling');
    expect(requests(f.handle({ name: 'CALL_PROGRESS', alerting: true, earlyMedia: false }))[0].signals).toEqual(['L/rt']);
    expect(f.handle({ name: 'CALL_PROGRESS', alerting: true, earlyMedia: true })).toEqual([]);
    expect(requests(f.handle({ name: 'CALL_ANSWERED' }))[0]).toMatchObject({ signals: [] });
    expect(f.state).toBe('connected');
    expect(f.handle({ name: 'FLASH' })).toEqual([]);
    const h = f.handle({ name: 'ON_HOOK' });
    expect(h[0]).toEqual({ kind: 'hang-up', cause: 16 });
    expect(requests(h)[0].events[0].event).toBe('L/hd');
    expect(f.state).toBe('idle');
  });

  it('the timer ends an ambiguous or timed string; a mismatch gets reorder until on-hook', () => {
    const f = fsm();
    f.handle({ name: 'OFF_HOOK' });
    expect(f.handle({ name: 'DIGITS', collected: '0T' })).toContainEqual({ kind: 'place-call', dialled: '0' });
    const g = fsm();
    g.handle({ name: 'OFF_HOOK' });
    const a = g.handle({ name: 'DIGITS', collected: '12T' });
    expect(a).toContainEqual({ kind: 'digit-map', outcome: 'mismatch', collected: '12T' });
    expect(requests(a)[0].signals).toEqual(['L/ro']);
    expect(g.state).toBe('lockout');
    expect(g.handle({ name: 'DIGITS', collected: '1002' })).toEqual([]);
    g.handle({ name: 'ON_HOOK' });
    expect(g.state).toBe('idle');
  });

  it('busy gets the busy tone, congestion causes the congestion tone, others reorder', () => {
    expect(toneForCause(17)).toBe('L/bz');
    expect(toneForCause(34)).toBe('G/cg');
    expect(toneForCause(1)).toBe('L/ro');
    const f = fsm();
    f.handle({ name: 'OFF_HOOK' });
    f.handle({ name: 'DIGITS', collected: '1002' });
    expect(requests(f.handle({ name: 'CALL_FAILED', cause: 17 }))[0].signals).toEqual(['L/bz']);
    expect(f.state).toBe('lockout');
  });

  it('permanent signal: no number dialled in time gives reorder', () => {
    const f = fsm();
    f.handle({ name: 'OFF_HOOK' });
    expect(requests(f.handle({ name: 'TIMER', timer: 'permanent-signal' }))[0].signals).toEqual(['L/ro']);
    expect(f.state).toBe('lockout');
  });

  it('an incoming call rings an idle line; off-hook answers (ringing stops); busy lines refuse with 17', () => {
    const f = fsm();
    expect(requests(f.handle({ name: 'INCOMING' }))[0]).toMatchObject({ events: [{ event: 'L/hd' }], signals: ['L/rg'] });
    expect(f.handle({ name: 'INCOMING' })).toEqual([{ kind: 'refuse-incoming', cause: 17 }]);
    const a = f.handle({ name: 'OFF_HOOK' });
    expect(a).toContainEqual({ kind: 'answer' });
    expect(requests(a)[0].signals).toEqual([]);
    expect(f.state).toBe('connected');
    expect(requests(f.handle({ name: 'FAR_RELEASE', cause: 16 }))[0].signals).toEqual(['L/ro']);
    const g = fsm();
    g.handle({ name: 'INCOMING' });
    g.handle({ name: 'INCOMING_CANCELLED' });
    expect(g.state).toBe('idle');
  });

  it('START in a call releases it; events a state does not take change nothing', () => {
    const f = fsm();
    f.handle({ name: 'OFF_HOOK' });
    f.handle({ name: 'DIGITS', collected: '1002' });
    expect(f.handle({ name: 'START' })[0]).toEqual({ kind: 'hang-up', cause: 16 });
    expect(f.state).toBe('idle');
    f.handle({ name: 'INCOMING' });
    expect(f.handle({ name: 'START' })[0]).toEqual({ kind: 'hang-up', cause: 16 });
    for (const [state, names] of Object.entries(LINE_ACCEPTS)) expect(names.length, state).toBeGreaterThan(0);
    expect(f.handle({ name: 'ON_HOOK' })).toEqual([]);
    expect(f.handle({ name: 'CALL_ANSWERED' })).toEqual([]);
    expect(f.state).toBe('idle');
  });
});
