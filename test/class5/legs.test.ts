/** The two legs Class 5 adds, in virtual time: the ring timer around a leg, and the feature-code answer. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/util/clock.js';
import type { LegFailure, TerminatingLeg, TerminatingLegEvents } from '../../src/calls/legs/leg.js';
import { TimedLeg } from '../../src/class5/timed-leg.js';
import { FeatureCodeLeg } from '../../src/class5/feature-code-leg.js';

class ScriptedLeg implements TerminatingLeg {
  readonly kind = 'isup' as const;
  events: TerminatingLegEvents = {};
  readonly settled = Promise.resolve();
  released: Array<[number, boolean | undefined]> = [];
  start(): void {}
  release(cause: number, elsewhere?: boolean): void {
    this.released.push([cause, elsewhere]);
  }
  details() {
    return {};
  }
}

describe('TimedLeg', () => {
  it('no answer within the ring time: releases the inner leg and fails with 19 / 480, once', () => {
    const clock = new VirtualClock();
    const inner = new ScriptedLeg();
    const leg = new TimedLeg(inner, clock, 10_000);
    const fails: LegFailure[] = [];
    leg.events.onFail = (f) => fails.push(f);
    leg.start(undefined);
    clock.advance(9_999);
    expect(fails).toEqual([]);
    clock.advance(1);
    expect(fails).toEqual([{ cause: 19, sipStatus: 480 }]);
    expect(inner.released).toEqual([[19, undefined]]);
    inner.events.onFail?.({ cause: 16 });
    expect(fails).toHaveLength(1);
  });

  it('an answer in time stops the timer; a fork’s completed-elsewhere release is passed on', () => {
    const clock = new VirtualClock();
    const inner = new ScriptedLeg();
    const leg = new TimedLeg(inner, clock, 10_000);
    const answers: Array<string | undefined> = [];
    leg.events.onAnswer = (sdp) => answers.push(sdp);
    leg.start(undefined);
    inner.events.onAnswer?.('v=0');
    clock.advance(60_000);
    expect(answers).toEqual(['v=0']);
    expect(inner.released).toEqual([]);
    const other = new TimedLeg(new ScriptedLeg(), clock, 10_000);
    other.start(undefined);
    other.release(16, true);
    expect((other as unknown as { inner: ScriptedLeg }).inner.released).toEqual([[16, true]]);
    expect(clock.pending).toBe(0);
  });
});

describe('FeatureCodeLeg', () => {
  it('answers at once with every offered stream declined, then releases normally after holdMs', () => {
    const clock = new VirtualClock();
    const leg = new FeatureCodeLeg({ clock, mediaAddress: '192.0.2.1', holdMs: 1000, label: 'feature:cfu' });
    const seen: string[] = [];
    leg.events.onAnswer = (sdp) => seen.push(sdp ?? '');
    leg.events.onRelease = (cause) => seen.push(`release ${cause}`);
    leg.start('v=0\r\nm=audio 4000 RTP/AVP 0 8\r\nm=video 5000 RTP/AVP 96\r\n');
    expect(seen[0]).toMatch(/m=audio 0 RTP\/AVP 0 8\r\nm=video 0 RTP\/AVP 96/);
    clock.advance(1000);
    expect(seen[1]).toBe('release 16');
    leg.release(16);
    expect(seen).toHaveLength(2);
  });
});
