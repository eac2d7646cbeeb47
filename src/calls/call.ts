/**
 * One call on the direction-neutral engine: an originating leg, terminating legs tried in the
 * plan's order, and the call state machine (./call-fsm.ts) whose actions this runner carries
 * out on the legs with the injected clock. Writes one CDR when every leg has settled.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../util/clock.js';
import { lazyChild, type Logger } from '../util/log.js';
import { CallFsm, type CallAction, type CallEvent, type CallState, type ReleasedBy } from './call-fsm.js';
import { chargeOf, type CallJournal, type Cdr, type CdrSink } from './cdr.js';
import { OfferRefused, type ConnectedLeg, type LegFailure, type OriginatingLeg, type ReferRequest, type TerminatingLeg } from './legs/leg.js';
import type { CallPlan, Destination } from './plan.js';
import { tapKey } from '../util/message-tap.js';
import type { TrailLinks } from './call-trail.js';
import { bearerCallId } from './legs/circuit-bearer.js';
import { Registry } from 'prom-client';
import { callMetrics, type CallMetrics } from './metrics.js';

/** Q.850 causes the engine itself uses. */
const CAUSE_NORMAL = 16;
const CAUSE_TEMPORARY_FAILURE = 41;

export interface CallOptions {
  clock: Clock;
  logger: Logger;
  writeCdr: CdrSink;
  /** Answered calls are released after this long (0 or absent: never). */
  maxCallDurationMs?: number;
  /** Where answered calls are written at once, so a crash cannot lose them. */
  journal?: CallJournal;
  /** Each call claims its signalling here (SIP Call-IDs, bearer call id) for its ladder. */
  trail?: TrailLinks;
  /** Where calls are counted (the switch's registry; default: one of the call's own, which nothing serves). */
  registry?: Registry;
  /** Carries out the parties' transfer requests (REFER); without it they are refused 501. */
  transfers?: { refer(call: Call, side: CallSide, refer: ReferRequest): void };
}

/** The two sides of a call: the originating (caller) and the current terminating (callee) leg. */
export type CallSide = 'caller' | 'callee';

export interface CallSnapshot {
  id: string;
  direction: string;
  state: CallState | 'ended';
  calling?: string;
  called: string;
  customer?: string;
  sipCallId?: string;
  trunkGroup?: string;
  cic?: number;
  inTrunkGroup?: string;
  inCic?: number;
  carrier?: string;
  target?: string;
  endpoint?: string;
  startTime: string;
  answerTime?: string;
}

export class Call {
  readonly id: string;
  private readonly fsm = new CallFsm();
  private readonly log: Logger;
  private readonly startedAt: number;
  private answeredAt?: number;
  private ended = false;
  private b?: TerminatingLeg;
  private destination?: Destination;
  private readonly bLegs: TerminatingLeg[] = [];
  private next = 0;
  private lastFailure?: LegFailure;
  private record?: { cause: number; by: ReleasedBy; canceled: boolean };
  private offer?: string;
  private durationCap?: TimerHandle;
  private readonly queue: CallEvent[] = [];
  private dispatching = false;
  private finished!: () => void;
  /** Resolves when the call has ended and its CDR is written; never rejects. */
  readonly done: Promise<void>;
  /** Resolves when set-up is over: answered, or ended without answer (overload admission counts calls in set-up). */
  readonly setupOver: Promise<void>;
  private setupEnded!: () => void;
  /** Settles at the first backward signal of an outgoing leg (progress, answer, failure), or when the call ends. */
  readonly responded: Promise<void>;
  private respondedNow!: () => void;
  private readonly m: CallMetrics;

  constructor(
    private readonly a: OriginatingLeg,
    private readonly plan: CallPlan,
    private readonly opts: CallOptions,
    id?: string,
  ) {
    this.id = id ?? randomUUID();
    this.startedAt = opts.clock.now();
    this.m = callMetrics(opts.registry ?? new Registry());
    this.done = new Promise<void>((resolve) => (this.finished = resolve));
    this.setupOver = new Promise<void>((resolve) => (this.setupEnded = resolve));
    this.responded = new Promise<void>((resolve) => (this.respondedNow = resolve));
    const d = a.details();
    this.log = lazyChild(opts.logger, { callId: this.id, ...(d.sipCallId ? { sipCallId: d.sipCallId } : {}), ...(d.cic !== undefined ? { inTg: d.trunkGroup, inCic: d.cic } : {}) });
    a.events.onRelease = (cause) => this.dispatch({ name: 'A_RELEASE', cause });
    a.events.onOffer = (offer) => this.relayOffer('caller', offer);
    a.events.onRefer = (refer) => this.referFrom('caller', refer);
    if (opts.trail) {
      if (d.sipCallId) opts.trail.link(tapKey.sip(d.sipCallId), this.id);
      opts.trail.link(tapKey.mgcp(bearerCallId(this.id)), this.id);
    }
  }

  /** A SIP terminating leg's Call-ID, once it is known, claims that leg's messages for this call. */
  private linkLeg(leg: TerminatingLeg): void {
    const id = leg.kind === 'sip' ? leg.details().sipCallId : undefined;
    if (id) this.opts.trail!.link(tapKey.sip(id), this.id);
  }

  get state(): CallState | 'ended' {
    return this.ended ? 'ended' : this.fsm.state;
  }

  get direction(): string {
    return this.plan.direction;
  }

  /** Starts the call; `done` resolves when it has ended. */
  start(): Promise<void> {
    this.m.callsActive.inc({ direction: this.plan.direction });
    void this.begin();
    return this.done;
  }

  /** Switch shutdown or an operator: release the call on every side with `cause`. */
  release(cause = CAUSE_NORMAL): void {
    this.dispatch({ name: 'RELEASE_REQ', cause });
  }

  private async begin(): Promise<void> {
    const refuse = this.plan.refuse;
    if (refuse) {
      this.log.info({ cause: refuse.cause, why: refuse.why }, 'call refused by policy');
      this.dispatch({ name: 'NO_ROUTE', failure: refuse });
      return;
    }
    try {
      this.offer = await this.a.prepareOffer();
    } catch (err) {
      const cause = typeof (err as { cause?: unknown }).cause === 'number' ? (err as { cause: number }).cause : CAUSE_TEMPORARY_FAILURE;
      this.log.warn({ err: (err as Error).message, cause }, 'media for the call could not be set up');
      this.dispatch({ name: 'NO_ROUTE', failure: { cause } });
      return;
    }
    this.dispatch({ name: 'START' });
  }

  /** Events are handled one at a time, in order, even when a leg reports during an action. */
  private dispatch(event: CallEvent): void {
    if (this.ended) return;
    // The first backward signal of an outgoing leg (overload admission times it).
    if (event.name === 'B_PROGRESS' || event.name === 'B_ANSWER' || event.name === 'B_FAIL' || event.name === 'B_RELEASE') this.respondedNow();
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        const before = this.fsm.state;
        const { actions, accepted } = this.fsm.handle(e);
        if (!accepted) {
          this.log.debug({ event: e.name, state: before }, 'call event not relevant in this state; ignored');
          continue;
        }
        for (const action of actions) {
          try {
            this.perform(action);
          } catch (err) {
            this.log.error({ err, action: action.kind }, 'call action failed (a bug); the call goes on');
          }
        }
        if (this.fsm.state === 'releasing' && before !== 'releasing') this.whenSettled();
      }
    } finally {
      this.dispatching = false;
    }
  }

  private perform(action: CallAction): void {
    switch (action.kind) {
      case 'next-attempt':
        return this.nextAttempt(action.failure);
      case 'a-progress':
        return this.a.progress({ alerting: action.alerting, sdp: action.sdp });
      case 'a-answer':
        this.a.answer(action.sdp).then(
          (ok) => this.dispatch({ name: ok ? 'A_ANSWERED' : 'A_ANSWER_FAILED' }),
          (err: unknown) => {
            this.log.info({ err: (err as Error).message }, 'caller gone before the answer reached it');
            this.dispatch({ name: 'A_ANSWER_FAILED' });
          },
        );
        return;
      case 'a-reject':
        return this.a.reject(action.failure);
      case 'a-release':
        if (this.detached.has('caller')) return;
        return this.a.release(action.cause ?? this.record?.cause ?? CAUSE_NORMAL);
      case 'b-release':
        if (this.detached.has('callee')) return;
        return this.b?.release(action.cause);
      case 'record':
        if (!this.record) this.record = { cause: action.cause, by: action.by, canceled: action.canceled ?? false };
        return;
      case 'answered':
        this.answeredAt = this.opts.clock.now();
        this.m.callSetupSeconds.observe((this.answeredAt - this.startedAt) / 1000);
        this.log.info({ setupMs: this.answeredAt - this.startedAt }, 'call answered');
        this.setupEnded();
        if (this.opts.journal) {
          const unjournaled = (err: unknown) => this.log.error({ err }, 'answered call could not be journaled (check the store: disk space, permissions, database reachable); a crash now would lose its CDR');
          try {
            void this.opts.journal.answered(this.buildCdr(this.answeredAt, { cause: CAUSE_NORMAL, by: 'switch' }))?.catch(unjournaled);
          } catch (err) {
            unjournaled(err);
          }
        }
        return;
      case 'start-duration-cap': {
        const cap = this.opts.maxCallDurationMs ?? 0;
        if (cap > 0) {
          this.durationCap = this.opts.clock.setTimeout(() => {
            this.durationCap = undefined;
            this.log.warn({ maxCallDurationMs: cap }, 'call reached the maximum call duration; released by the switch');
            this.dispatch({ name: 'MAX_DURATION' });
          }, cap);
        }
        return;
      }
      case 'stop-duration-cap':
        this.opts.clock.clearTimeout(this.durationCap);
        this.durationCap = undefined;
        return;
    }
  }

  /** Route advance: the next destination if the last failure allows it, else the call fails. */
  private nextAttempt(failure?: LegFailure): void {
    if (failure) this.lastFailure = failure;
    if (failure && this.destination) this.plan.observe?.(this.destination, failure);
    const more = this.next < this.plan.destinations.length;
    if (failure && this.destination) {
      if (!more || !this.plan.advanceOn(failure)) {
        return this.dispatch({ name: 'NO_ROUTE', failure: more ? failure : (this.plan.exhausted?.(failure) ?? failure) });
      }
      this.m.routeAdvanceTotal.inc({ from_carrier: this.destination.carrier ?? this.destination.label, cause: String(failure.cause) });
      this.log.info({ from: this.destination.label, cause: failure.cause, sipStatus: failure.sipStatus, next: this.plan.destinations[this.next].label }, 'route advance');
    }
    if (!more) return this.dispatch({ name: 'NO_ROUTE', failure: this.lastFailure ?? { cause: 3 } });
    const dest = this.plan.destinations[this.next++];
    this.destination = dest;
    let leg: TerminatingLeg;
    try {
      leg = dest.leg();
    } catch (err) {
      this.log.error({ err, destination: dest.label }, 'terminating leg could not be created; trying the next destination');
      return this.dispatch({ name: 'B_FAIL', failure: { cause: CAUSE_TEMPORARY_FAILURE } });
    }
    this.b = leg;
    this.bLegs.push(leg);
    // A leg reports only while it is the current one: a late report from an abandoned leg is not this call's business.
    const current = this.opts.trail ? () => (this.linkLeg(leg), this.b === leg) : () => this.b === leg;
    leg.events.onProgress = (p) => current() && this.dispatch({ name: 'B_PROGRESS', alerting: p.alerting, sdp: p.sdp });
    leg.events.onAnswer = (sdp) => current() && this.dispatch({ name: 'B_ANSWER', sdp });
    leg.events.onFail = (f) => current() && this.dispatch({ name: 'B_FAIL', failure: f });
    leg.events.onRelease = (cause) => current() && this.dispatch({ name: 'B_RELEASE', cause });
    leg.events.onOffer = (offer) => (current() ? this.relayOffer('callee', offer) : Promise.reject(new OfferRefused(481, 'leg no longer in the call')));
    leg.events.onRefer = (refer) => (current() ? this.referFrom('callee', refer) : refer.refuse(481));
    this.dispatch({ name: 'ATTEMPT' });
    this.log.info({ destination: dest.label, carrier: dest.carrier, trunkGroup: dest.trunkGroup }, 'placing terminating leg');
    leg.start(this.offer);
  }

  /** An offer in progress on this call (one at a time: a second, from either side, is glare). */
  private offerInFlight = false;

  /**
   * A party's new offer on the answered call (hold, resume, codec change, RFC 3264 §8 / RFC 6337):
   * the other leg renegotiates (a re-INVITE to its SIP party, or an MDCX on its gateway connection)
   * and its answer goes back. Crossing offers get 491 (RFC 3261 §14.2), so both parties back off.
   */
  private async relayOffer(from: 'caller' | 'callee', offer: string): Promise<string> {
    let status = 200;
    try {
      if (this.ended || this.fsm.state !== 'answered') throw new OfferRefused(491, 'the call is not in a state to take a new offer');
      if (this.offerInFlight) throw new OfferRefused(491, 'another offer is in progress on this call');
      const other = from === 'caller' ? this.b : this.a;
      if (!other?.renegotiate) throw new OfferRefused(488, 'the other side cannot take a new offer');
      this.offerInFlight = true;
      try {
        const answer = await other.renegotiate(offer);
        this.log.info({ from }, 'new offer answered by the other side');
        return answer;
      } finally {
        this.offerInFlight = false;
      }
    } catch (err) {
      const refused = err instanceof OfferRefused ? err : new OfferRefused(500, (err as Error).message);
      status = refused.status;
      this.log.info({ from, status, why: refused.message }, 'new offer refused');
      throw refused;
    } finally {
      this.m.callOffersTotal.inc({ from, status: String(status) });
    }
  }

  // ---- transfer (./transfer.ts carries it out; these are the call's side of it) ----------------

  /** Legs a transfer moved to another call: this call no longer releases them or waits for them. */
  private readonly detached = new Set<CallSide>();

  private referFrom(side: CallSide, refer: ReferRequest): void {
    if (!this.opts.transfers) return refer.refuse(501, 'Not Implemented (no transfer service)');
    this.log.info({ side, referTo: refer.referTo }, 'transfer requested (REFER)');
    this.opts.transfers.refer(this, side, refer);
  }

  /** The policy this call was placed with (its transfer policy, parties and CDR fields). */
  get callPlan(): CallPlan {
    return this.plan;
  }

  /** The party's number on a side as the call knows it (calling for the caller, called for the callee). */
  numberOn(side: CallSide): string | undefined {
    return side === 'caller' ? this.a.party.calling : this.a.party.called;
  }

  /** The answered leg on a side, while the call is answered and still holds it. */
  legOn(side: CallSide): ConnectedLeg | undefined {
    if (this.ended || this.fsm.state !== 'answered' || this.detached.has(side)) return undefined;
    return side === 'caller' ? this.a : this.b;
  }

  /** A transfer takes the leg on `side` to another call; false when this call no longer holds it. */
  detach(side: CallSide): boolean {
    if (this.ended || this.fsm.state !== 'answered' || this.detached.has(side)) return false;
    this.detached.add(side);
    this.log.info({ side }, 'leg handed over to another call (transfer)');
    return true;
  }

  /** The transfer is complete: the transferor's leg is released (BYE) and this call ends. */
  endByTransfer(transferor: CallSide): void {
    this.dispatch({ name: 'TRANSFERRED', transferor });
  }

  /** In releasing: once every leg has freed its resources, the call is over. */
  private whenSettled(): void {
    const legs = [...(this.detached.has('caller') ? [] : [this.a.settled]), ...this.bLegs.filter((l) => !(l === this.b && this.detached.has('callee'))).map((l) => l.settled)];
    void Promise.allSettled(legs).then(() => this.finish());
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.opts.clock.clearTimeout(this.durationCap);
    this.m.callsActive.dec({ direction: this.plan.direction });
    const end = this.opts.clock.now();
    const rec = this.record ?? { cause: CAUSE_NORMAL, by: 'switch' as const, canceled: false };
    const outcome = this.answeredAt !== undefined ? 'answered' : rec.canceled ? 'canceled' : 'failed';
    const cdr = this.buildCdr(end, rec);
    this.m.callsTotal.inc({ direction: this.plan.direction, outcome });
    this.m.callReleaseCauseTotal.inc({ cause: String(rec.cause) });
    const byTg = { direction: this.plan.direction, trunk_group: cdr.trunkGroup ?? cdr.inTrunkGroup ?? 'none' };
    this.m.attempts.inc(byTg);
    if (this.answeredAt !== undefined) {
      this.m.answers.inc(byTg);
      this.m.answeredSeconds.inc(byTg, cdr.billableMs / 1000);
    } else this.m.failures.inc({ ...byTg, cause: String(rec.cause) });
    try {
      this.opts.writeCdr(cdr);
    } catch (err) {
      this.log.error({ err }, 'CDR could not be written (check the store: disk space, permissions); call details follow in this log line');
      this.log.error({ cdr }, 'unwritten CDR');
    }
    this.log.info({ outcome, cause: rec.cause, releasedBy: rec.by, sipStatus: cdr.sipStatus, billableMs: cdr.billableMs }, 'call ended');
    this.setupEnded();
    this.respondedNow();
    this.finished();
  }

  private buildCdr(end: number, rec: { cause: number; by: ReleasedBy }): Cdr {
    const a = this.a.details();
    const b = this.b?.details() ?? {};
    const d = this.destination;
    return {
      callId: this.id,
      sipCallId: a.sipCallId ?? b.sipCallId,
      direction: this.plan.direction,
      customer: this.plan.cdr.customer,
      calling: this.a.party.calling,
      called: this.a.party.called,
      routedNumber: this.plan.cdr.routedNumber,
      lrn: this.plan.cdr.lrn,
      carrier: d?.carrier,
      trunkGroup: b.trunkGroup,
      cic: b.cic,
      rate: d?.rate,
      deckVersion: d?.deck,
      charge: this.answeredAt === undefined ? undefined : chargeOf(d?.rate, end - this.answeredAt),
      jurisdiction: this.plan.cdr.jurisdiction,
      startTime: new Date(this.startedAt).toISOString(),
      answerTime: this.answeredAt === undefined ? undefined : new Date(this.answeredAt).toISOString(),
      endTime: new Date(end).toISOString(),
      durationMs: end - this.startedAt,
      billableMs: this.answeredAt === undefined ? 0 : end - this.answeredAt,
      cause: rec.cause,
      sipStatus: a.sipStatus ?? b.sipStatus,
      releasedBy: rec.by,
      gatewayEndpoint: b.gatewayEndpoint ?? a.gatewayEndpoint,
      inTrunkGroup: this.a.kind === 'isup' ? a.trunkGroup : undefined,
      inCic: this.a.kind === 'isup' ? a.cic : undefined,
      target: b.target,
      transferredBy: this.plan.cdr.transferredBy,
      transferredFrom: this.plan.cdr.transferredFrom,
    };
  }

  snapshot(): CallSnapshot {
    const a = this.a.details();
    const b = this.b?.details() ?? {};
    return {
      id: this.id,
      direction: this.plan.direction,
      state: this.state,
      calling: this.a.party.calling,
      called: this.a.party.called,
      customer: this.plan.cdr.customer,
      sipCallId: a.sipCallId ?? b.sipCallId,
      trunkGroup: b.trunkGroup,
      cic: b.cic,
      inTrunkGroup: this.a.kind === 'isup' ? a.trunkGroup : undefined,
      inCic: this.a.kind === 'isup' ? a.cic : undefined,
      carrier: this.destination?.carrier,
      target: b.target,
      endpoint: b.gatewayEndpoint ?? a.gatewayEndpoint,
      startTime: new Date(this.startedAt).toISOString(),
      answerTime: this.answeredAt === undefined ? undefined : new Date(this.answeredAt).toISOString(),
    };
  }
}
