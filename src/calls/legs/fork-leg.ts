/**
 * Parallel forking (simultaneous ring, RFC 3261 §16.7 in spirit): one terminating leg made of
 * several, started together with the same offer. The first to answer wins and the others are
 * released (CANCEL); progress from any leg is passed on once; when every leg has failed, the
 * best failure is reported (a busy or a decline beats a no-answer or an unreachable target).
 */
import { OfferRefused, type DialogKey, type LegDetails, type LegFailure, type TerminatingLeg, type TerminatingLegEvents } from './leg.js';

/** Q.850 16: the losing branches are cleared normally ("call completed elsewhere"). */
const CAUSE_NORMAL = 16;

/** Lower is better when choosing which failure to report. */
function rank(f: LegFailure): number {
  if (f.sipStatus !== undefined && f.sipStatus >= 600) return 0;
  if (f.cause === 17 || f.sipStatus === 486) return 1;
  if (f.cause === 21) return 2;
  if (f.unreachable) return 9;
  return 5;
}

export class ForkLeg implements TerminatingLeg {
  readonly kind: TerminatingLeg['kind'];
  events: TerminatingLegEvents = {};
  readonly settled: Promise<void>;
  private winner?: TerminatingLeg;
  private readonly failures: LegFailure[] = [];
  private alerted = false;
  private earlyMediaFrom?: TerminatingLeg;
  private released = false;

  constructor(private readonly legs: TerminatingLeg[]) {
    if (legs.length === 0) throw new Error('ForkLeg needs at least one leg');
    this.kind = legs[0].kind;
    this.settled = Promise.allSettled(legs.map((l) => l.settled)).then(() => undefined);
  }

  details(): LegDetails {
    return (this.winner ?? this.legs[this.legs.length - 1]).details();
  }

  start(offer: string | undefined): void {
    for (const leg of this.legs) {
      leg.events.onProgress = (p) => {
        if (this.winner || this.released) return;
        // Early media from one branch only (the first with SDP); alerting passed on once.
        if (p.sdp && !this.earlyMediaFrom) {
          this.earlyMediaFrom = leg;
          this.alerted ||= p.alerting;
          this.events.onProgress?.(p);
        } else if (p.alerting && !this.alerted) {
          this.alerted = true;
          this.events.onProgress?.({ alerting: true });
        }
      };
      leg.events.onAnswer = (sdp) => {
        if (this.winner || this.released) return leg.release(CAUSE_NORMAL);
        this.winner = leg;
        for (const other of this.legs) if (other !== leg) other.release(CAUSE_NORMAL, true);
        this.events.onAnswer?.(sdp);
      };
      leg.events.onFail = (f) => {
        this.failures.push(f);
        if (!this.winner && !this.released && this.failures.length === this.legs.length) {
          this.events.onFail?.([...this.failures].sort((a, b) => rank(a) - rank(b))[0]);
        }
      };
      leg.events.onRelease = (cause) => {
        if (leg === this.winner) this.events.onRelease?.(cause);
      };
      // The winner's party talks to the call from then on: its new offers and its transfer requests.
      leg.events.onOffer = (offer) => (leg === this.winner && this.events.onOffer ? this.events.onOffer(offer) : Promise.reject(new OfferRefused(481, 'branch not in the call')));
      leg.events.onRefer = (refer) => (leg === this.winner && this.events.onRefer ? this.events.onRefer(refer) : refer.refuse(481));
    }
    for (const leg of this.legs) leg.start(offer);
  }

  renegotiate(offer: string): Promise<string> {
    const w = this.winner;
    return w?.renegotiate ? w.renegotiate(offer) : Promise.reject(new OfferRefused(488, 'no answered branch takes offers'));
  }

  currentSdp(): string | undefined {
    return this.winner?.currentSdp?.();
  }

  dialogKey(): DialogKey | undefined {
    return this.winner?.dialogKey?.();
  }

  release(cause: number): void {
    this.released = true;
    if (this.winner) this.winner.release(cause);
    else for (const leg of this.legs) leg.release(cause);
  }
}
