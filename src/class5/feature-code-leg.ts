/**
 * The far end of a feature-code call (e.g. *72 1003) when the switch has no announcement server:
 * it answers at once with every offered stream declined (RFC 3264 §6, port 0: no media, said
 * honestly) and clears the call `holdMs` later, so the caller's phone shows a call that was
 * connected and ended normally — the same confirmation a carrier gives without a prompt. A code
 * that could not be carried out never gets here: the caller gets a 4xx with a reason phrase.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { declineAllStreams } from '../calls/sdp.js';
import type { LegDetails, TerminatingLeg, TerminatingLegEvents } from '../calls/legs/leg.js';

const CAUSE_NORMAL = 16;

export class FeatureCodeLeg implements TerminatingLeg {
  readonly kind = 'sip' as const;
  events: TerminatingLegEvents = {};
  readonly settled: Promise<void>;
  private settle!: () => void;
  private timer?: TimerHandle;
  private done = false;

  constructor(
    private readonly o: { clock: Clock; mediaAddress: string; holdMs: number; label: string },
  ) {
    this.settled = new Promise((r) => (this.settle = r));
  }

  details(): LegDetails {
    return { target: this.o.label, sipStatus: 200 };
  }

  start(offer: string | undefined): void {
    this.events.onAnswer?.(declineAllStreams(offer ?? '', this.o.mediaAddress));
    this.timer = this.o.clock.setTimeout(() => this.finish(true), this.o.holdMs);
  }

  release(_cause: number): void {
    this.finish(false);
  }

  private finish(byUs: boolean): void {
    if (this.done) return;
    this.done = true;
    this.o.clock.clearTimeout(this.timer);
    this.settle();
    if (byUs) this.events.onRelease?.(CAUSE_NORMAL);
  }
}
