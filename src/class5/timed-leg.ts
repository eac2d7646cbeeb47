/**
 * A ring timer around any terminating leg (a find-me-follow-me PSTN leg has none of its own):
 * no answer within `ringMs` releases the inner leg and fails with Q.850 19 (no answer), SIP 480.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { LegDetails, TerminatingLeg, TerminatingLegEvents } from '../calls/legs/leg.js';

const CAUSE_NO_ANSWER = 19;

export class TimedLeg implements TerminatingLeg {
  readonly kind: TerminatingLeg['kind'];
  events: TerminatingLegEvents = {};
  private timer?: TimerHandle;
  private over = false;

  constructor(
    private readonly inner: TerminatingLeg,
    private readonly clock: Clock,
    private readonly ringMs: number,
  ) {
    this.kind = inner.kind;
  }

  get settled(): Promise<void> {
    return this.inner.settled;
  }

  details(): LegDetails {
    return this.inner.details();
  }

  start(offer: string | undefined): void {
    this.inner.events = {
      onProgress: (p) => !this.over && this.events.onProgress?.(p),
      onAnswer: (sdp) => {
        if (this.over) return;
        this.clock.clearTimeout(this.timer);
        this.events.onAnswer?.(sdp);
      },
      onFail: (f) => {
        if (this.over) return;
        this.over = true;
        this.clock.clearTimeout(this.timer);
        this.events.onFail?.(f);
      },
      onRelease: (cause) => this.events.onRelease?.(cause),
    };
    this.timer = this.clock.setTimeout(() => {
      if (this.over) return;
      this.over = true;
      this.inner.release(CAUSE_NO_ANSWER);
      this.events.onFail?.({ cause: CAUSE_NO_ANSWER, sipStatus: 480 });
    }, this.ringMs);
    this.inner.start(offer);
  }

  release(cause: number, completedElsewhere?: boolean): void {
    this.over = true;
    this.clock.clearTimeout(this.timer);
    this.inner.release(cause, completedElsewhere);
  }
}
