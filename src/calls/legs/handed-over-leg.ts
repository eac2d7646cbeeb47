/**
 * An answered leg moving from one call to another (transfer, RFC 3515/3891): it plays either role
 * in the new call. As the originating leg it offers the party's current SDP and "answers" by
 * re-INVITEing its party with the new far end's SDP; as a terminating leg it "starts" by
 * re-INVITEing its party with the new caller's SDP and reports that answer. Until the party has
 * taken the new session (joined), the old call still owns the leg; on joining, the old call lets
 * go of it (`detach`) and its events go to the new call.
 */
import { causeForSipStatus } from '../interworking/cause-map.js';
import {
  OfferRefused,
  type CallParty,
  type ConnectedLeg,
  type DialogKey,
  type LegDetails,
  type LegFailure,
  type OriginatingLeg,
  type OriginatingLegEvents,
  type TerminatingLeg,
  type TerminatingLegEvents,
} from './leg.js';

const CAUSE_NORMAL = 16;

export interface HandOver {
  /** The party as the new call presents it (its CDR's calling and called). */
  party: CallParty;
  /** The old call lets go of the leg (no longer releases it, waits for it or hears from it); false when it already released it. */
  detach(): boolean;
  /** The party took the new session: the leg is the new call's. */
  onJoined?(): void;
  /** The new call gave up before the party joined (the leg stays with the old call). */
  onNotJoined?(failure: LegFailure): void;
}

export class HandedOverLeg implements OriginatingLeg, TerminatingLeg {
  readonly kind: ConnectedLeg['kind'];
  readonly party: CallParty;
  events: OriginatingLegEvents & TerminatingLegEvents = {};
  readonly settled: Promise<void>;
  private settle!: () => void;
  private joined = false;
  private over = false;

  constructor(
    private readonly inner: ConnectedLeg,
    private readonly handOver: HandOver,
  ) {
    this.kind = inner.kind;
    this.party = handOver.party;
    const own = new Promise<void>((r) => (this.settle = r));
    this.settled = own.then(() => (this.joined ? inner.settled : undefined));
  }

  details(): LegDetails {
    return this.inner.details();
  }

  currentSdp(): string | undefined {
    return this.inner.currentSdp?.();
  }

  dialogKey(): DialogKey | undefined {
    return this.inner.dialogKey?.();
  }

  async prepareOffer(): Promise<string | undefined> {
    return this.inner.currentSdp?.();
  }

  /** The party is in a call already: nothing to tell it while the new far end rings. */
  progress(): void {}

  /** Originating role: the new far end answered with `sdp`; the party is re-INVITEd with it. */
  async answer(sdp?: string): Promise<boolean> {
    if (this.over) return false;
    try {
      if (sdp) await this.offerToParty(sdp);
    } catch (err) {
      this.notJoined(err);
      return false;
    }
    return this.join();
  }

  /** Terminating role: the new caller's offer goes to the party; its answer is the new call's answer. */
  start(offer: string | undefined): void {
    const answer = offer ? this.offerToParty(offer) : Promise.resolve(this.inner.currentSdp?.());
    answer.then(
      (sdp) => {
        if (this.over) return;
        if (!this.join()) return this.events.onFail?.({ cause: CAUSE_NORMAL });
        this.events.onAnswer?.(sdp || undefined);
      },
      (err: unknown) => {
        const failure = this.notJoined(err);
        this.events.onFail?.(failure);
      },
    );
  }

  reject(failure: LegFailure): void {
    if (this.joined) return this.inner.release(failure.cause);
    this.notJoined(failure);
  }

  release(cause: number): void {
    if (this.joined) return this.inner.release(cause);
    this.notJoined({ cause });
  }

  renegotiate(offer: string): Promise<string> {
    if (!this.inner.renegotiate) return Promise.reject(new OfferRefused(488, 'the party cannot take a new offer'));
    return this.inner.renegotiate(offer);
  }

  private offerToParty(offer: string): Promise<string> {
    if (!this.inner.renegotiate) return Promise.reject(new OfferRefused(488, 'the party cannot take a new offer'));
    return this.inner.renegotiate(offer);
  }

  private join(): boolean {
    if (this.over) return false;
    if (!this.handOver.detach()) {
      this.notJoined({ cause: CAUSE_NORMAL });
      return false;
    }
    this.joined = true;
    this.over = true;
    this.inner.events = {
      onRelease: (cause) => this.events.onRelease?.(cause),
      onOffer: (offer) => (this.events.onOffer ? this.events.onOffer(offer) : Promise.reject(new OfferRefused(488, 'no call takes offers'))),
      onRefer: (refer) => (this.events.onRefer ? this.events.onRefer(refer) : refer.refuse(403)),
    };
    this.settle();
    this.handOver.onJoined?.();
    return true;
  }

  private notJoined(reason: unknown): LegFailure {
    const failure: LegFailure =
      reason instanceof OfferRefused
        ? { cause: causeForSipStatus(reason.status), sipStatus: reason.status }
        : typeof (reason as LegFailure)?.cause === 'number'
          ? (reason as LegFailure)
          : { cause: 41 };
    if (this.over) return failure;
    this.over = true;
    this.settle();
    this.handOver.onNotJoined?.(failure);
    return failure;
  }
}
