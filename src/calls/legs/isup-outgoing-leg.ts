/**
 * A terminating leg on an ISUP trunk group: seize a circuit, make the bearer on its gateway
 * endpoint (CRCX with the caller's SDP), send the IAM, and report ACM/CPG/ANM/REL to the call.
 * Dual seizure on a circuit the far end controls backs off without a REL and repeats once on
 * another circuit (Q.764 §2.9.1.4 b), T1.113.4 §2.10.1.4).
 */
import { lazyChild, type Logger } from '../../util/log.js';
import { BearerError } from '../../mgcp/bearer-port.js';
import type { IsupCallIndication, IsupSendRequest } from '../../ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../../ss7/isup/call-runner.js';
import { buildIam, buildRlc, type IamRequest } from '../../ss7/isup/builders.js';
import { eventForMessage, messageForRequest } from '../../ss7/isup/call-messages.js';
import type { IsupMessage } from '../../ss7/isup/messages.js';
import { declineAllStreams } from '../sdp.js';
import { CircuitBearer, bearerCallId } from './circuit-bearer.js';
import { attachCircuit, type IsupLegDeps } from './isup-deps.js';
import { OfferRefused, type LegDetails, type TerminatingLeg, type TerminatingLegEvents } from './leg.js';

const CAUSE_NO_ROUTE = 3;
const CAUSE_NO_CIRCUIT = 34;
const CAUSE_TEMPORARY_FAILURE = 41;
const CAUSE_RESOURCE_UNAVAILABLE = 47;
const CAUSE_NORMAL_UNSPECIFIED = 31;

/** The IAM's content apart from the CIC and variant. */
export type OutgoingIam = Omit<IamRequest, 'cic' | 'variant'>;

type Phase = 'new' | 'seizing' | 'signalling' | 'answered' | 'done';

export class IsupOutgoingLeg implements TerminatingLeg {
  readonly kind = 'isup' as const;
  events: TerminatingLegEvents = {};
  readonly settled: Promise<void>;
  private settle!: () => void;
  private phase: Phase = 'new';
  private cic?: number;
  private bearer?: CircuitBearer;
  private runner?: IsupCallRunner;
  private detach?: () => void;
  /** Set by release() before the IAM is out: stop at the next step. */
  private abandoned = false;
  private log: Logger;
  /** The caller's SDP, kept for a repeat attempt after dual seizure. */
  private offer?: string;

  constructor(
    private readonly deps: IsupLegDeps,
    private readonly tgId: string,
    private readonly iam: OutgoingIam,
    /** The call's id: circuit owner reference and bearer call id. */
    private readonly callRef: string,
  ) {
    this.settled = new Promise((r) => (this.settle = r));
    this.log = lazyChild(deps.logger, { callId: callRef, tg: tgId });
  }

  details(): LegDetails {
    return { trunkGroup: this.tgId, cic: this.cic, gatewayEndpoint: this.bearer?.endpointSeen };
  }

  start(offer: string | undefined): void {
    this.offer = offer;
    void this.attempt().catch((err: unknown) => {
      this.log.error({ err }, 'outgoing ISUP leg failed on an internal error');
      this.fail(CAUSE_TEMPORARY_FAILURE);
    });
  }

  /** Set when the far end seized the circuit while our CRCX was pending and the rule gave it to them. */
  private yielded = false;

  release(cause: number): void {
    if (this.phase === 'done') return;
    if (this.phase === 'new' || this.phase === 'seizing') {
      this.abandoned = true;
      return;
    }
    const r = this.runner;
    if (!r || r.state === 'idle' || r.state === 'releasing') return;
    r.handle({ name: 'CC_RELEASE_REQ', cause });
  }

  /**
   * The SIP party's new offer (hold, resume, codec change), or a transfer target's SDP: MDCX on this
   * circuit's gateway connection. Without a gateway there is no media to re-point; every stream is declined.
   */
  renegotiate(offer: string): Promise<string> {
    if (this.bearer) return this.bearer.renegotiate(offer);
    if (this.answered !== undefined && !this.deps.bearer) return Promise.resolve(declineAllStreams(offer, this.deps.mediaAddress));
    return Promise.reject(new OfferRefused(488, 'no gateway connection on this circuit'));
  }

  /** The SDP the switch answered for this circuit (the gateway's, or every stream declined): a transfer offers it to the new far end. */
  currentSdp(): string | undefined {
    return this.bearer?.given ?? this.answered;
  }

  /** The SDP answered to the calling side for this circuit. */
  private answered?: string;

  private fail(cause: number): void {
    this.events.onFail?.({ cause });
  }

  /** Nothing of this leg is on a circuit (none seized, or already freed): it is over with `cause`. */
  private giveUp(cause: number): void {
    this.phase = 'done';
    this.settle();
    this.fail(cause);
  }

  private async attempt(avoidCic?: number): Promise<void> {
    const { isup, deps } = { isup: this.deps.isup, deps: this.deps };
    const tg = isup.trunkGroup(this.tgId);
    const media = deps.trunkGroup(this.tgId);
    if (!tg || !media) {
      this.log.warn('route names a trunk group that is not configured; skipped (routing.carriers[].trunkGroups must name ids from trunkGroups[])');
      return this.giveUp(CAUSE_NO_ROUTE);
    }
    if (this.abandoned) return this.finish();
    if (!deps.usable(tg.id)) {
      return this.giveUp(CAUSE_NO_CIRCUIT);
    }
    const circuit = tg.circuits.seizeOutgoing(this.callRef, avoidCic);
    if (!circuit) {
      return this.giveUp(CAUSE_NO_CIRCUIT);
    }
    const cic = circuit.cic;
    this.cic = cic;
    this.log = this.log.child({ cic });
    this.phase = 'seizing';
    // Owned from seizure on: an IAM from the far end while our gateway connection is being made is a
    // dual seizure for the ISUP service to decide (Q.764 §2.9.1.4), not an IAM on an idle circuit.
    this.detach = attachCircuit(this.deps, this.tgId, cic, this.callRef, (msg) => this.onMessage(msg));

    let localSdp: string | undefined;
    const endpoint = media.endpointFor(cic);
    if (deps.bearer && endpoint) {
      this.bearer = new CircuitBearer(deps.bearer, endpoint, bearerCallId(this.callRef), this.log);
      try {
        localSdp = (await this.bearer.create('sendrecv', this.offer || undefined)).localSdp;
      } catch (err) {
        tg.circuits.release(cic, this.callRef);
        if (this.yielded) return this.retryElsewhere(cic);
        this.detach?.();
        this.detach = undefined;
        this.log.warn({ err: err instanceof BearerError ? err.message : err }, 'media gateway refused the connection');
        return this.giveUp(CAUSE_RESOURCE_UNAVAILABLE);
      }
      if (this.abandoned) {
        tg.circuits.release(cic, this.callRef);
        return this.finish();
      }
      if (this.yielded) {
        await this.bearer.delete();
        return this.retryElsewhere(cic);
      }
      if (tg.circuits.get(cic)?.callRef !== this.callRef) {
        // Q.764 §2.10.3.1: the far end reset the circuit (RSC/GRS) while the gateway worked; it may be another call's now.
        this.log.warn('circuit reset by the far end before the IAM; connection deleted');
        this.detach?.();
        this.detach = undefined;
        await this.bearer.delete();
        return this.giveUp(CAUSE_TEMPORARY_FAILURE);
      }
    }
    const answerSdp = localSdp ?? declineAllStreams(this.offer ?? '', deps.mediaAddress);
    this.answered = answerSdp;
    this.phase = 'signalling';
    this.signal(cic, media.variant, localSdp, answerSdp);
  }

  private signal(cic: number, variant: 'ansi' | 'itu', gatewaySdp: string | undefined, answerSdp: string): void {
    const { isup } = this.deps;
    const iam = () => buildIam({ ...this.iam, cic, variant });
    let iamRefused = false;
    const send = (req: IsupSendRequest) => {
      const msg = messageForRequest(req, cic, iam);
      if (!isup.send(this.tgId, msg) && req.type === 'IAM') iamRefused = true;
    };
    const runner = new IsupCallRunner({
      clock: this.deps.clock,
      timers: this.deps.timers?.(variant) ?? isup.timersOf(this.tgId),
      variant,
      send,
      indicate: (ind) => this.onIndication(ind, gatewaySdp, answerSdp),
      unexpected: (e, s) => this.log.warn({ event: e.name, state: s }, 'ISUP event unexpected in this call state; ignored'),
    });
    this.runner = runner;
    this.log.info({ called: this.iam.called, lrn: this.iam.lrn }, 'IAM: seizing circuit');
    runner.handle({ name: 'CC_SETUP_REQ', ...(this.deps.trunkGroup(this.tgId)?.continuityCheck?.() ? { continuityCheck: true } : {}) });
    if (iamRefused) {
      // The link went down between the availability check and the IAM: no call exists on the circuit.
      this.log.warn('IAM not sent: no route to the destination now');
      void this.finish();
      this.fail(CAUSE_TEMPORARY_FAILURE);
    }
  }

  private onMessage(msg: IsupMessage): void {
    const runner = this.runner;
    if (!runner) return this.beforeIam(msg);
    if (msg.type === 'IAM') {
      // Dual seizure on a circuit the far end controls (the ISUP service decided): back off, send nothing.
      if (runner.state === 'outgoing-setup') return void this.backOff();
      this.log.warn({ state: runner.state }, 'IAM on a circuit in a call past set-up; ignored');
      return;
    }
    if (msg.type === 'RSC') {
      // The far end reset the circuit (the ISUP service has answered it and freed the circuit).
      this.log.warn('circuit reset by the far end during the call');
      const answered = this.phase === 'answered';
      void this.finish();
      if (answered) this.events.onRelease?.(CAUSE_TEMPORARY_FAILURE);
      else this.fail(CAUSE_TEMPORARY_FAILURE);
      return;
    }
    const event = eventForMessage(msg);
    if (event) {
      if (msg.type === 'ACM') this.alerting = msg.backwardCall.calledStatus === 1;
      runner.handle(event);
    } else this.log.debug({ type: msg.type }, 'ISUP message not used by basic call; ignored');
  }

  /**
   * A message on our circuit before our IAM went out. IAM: the ISUP service found the far end
   * controls the circuit (else it would have disregarded the IAM): give it up now, synchronously,
   * so the service offers their call as incoming, and carry on elsewhere once the CRCX is back.
   * RSC: the service freed the circuit; the check after the CRCX sees it.
   */
  private beforeIam(msg: IsupMessage): void {
    if (this.cic === undefined) return;
    if (msg.type === 'REL') {
      // Q.764 §2.3.1: a REL on a circuit with no call of ours on the wire is still answered with RLC.
      this.deps.isup.send(this.tgId, buildRlc(this.cic));
      return;
    }
    if (msg.type !== 'IAM' || this.phase !== 'seizing') return;
    this.log.info('dual seizure before our IAM: the far end controls the circuit; moving to another circuit');
    this.detach?.();
    this.detach = undefined;
    this.deps.isup.trunkGroup(this.tgId)?.circuits.release(this.cic, this.callRef);
    this.yielded = true;
  }

  /** From the last ACM: whether the called party is being alerted (T1.113.3 §3.5 / Q.763 §3.5 called party's status 1). */
  private alerting = true;

  private async backOff(): Promise<void> {
    const cic = this.cic!;
    this.log.info('dual seizure: the far end controls the circuit; repeating the attempt on another circuit');
    this.runner?.dispose();
    this.detach?.();
    this.runner = undefined;
    this.detach = undefined;
    // The service hands the far end's IAM to incoming call handling once we have let go of the circuit.
    const tg = this.deps.isup.trunkGroup(this.tgId);
    tg?.circuits.release(cic, this.callRef);
    await this.bearer?.delete();
    this.bearer = undefined;
    if (this.glared) {
      return this.giveUp(CAUSE_NO_CIRCUIT);
    }
    this.glared = true;
    this.phase = 'new';
    this.cic = undefined;
    await this.attempt(cic);
  }

  private glared = false;

  /** Q.764 §2.9.1.4 b) in spirit: the circuit went to the far end; one more try on another circuit. */
  private async retryElsewhere(cic: number): Promise<void> {
    this.yielded = false;
    this.detach?.();
    this.detach = undefined;
    this.bearer = undefined;
    this.cic = undefined;
    if (this.glared) {
      return this.giveUp(CAUSE_NO_CIRCUIT);
    }
    this.glared = true;
    this.phase = 'new';
    await this.attempt(cic);
  }

  private onIndication(ind: IsupCallIndication, gatewaySdp: string | undefined, answerSdp: string): void {
    switch (ind.kind) {
      case 'alerting':
        return this.events.onProgress?.({ alerting: this.alerting, sdp: gatewaySdp });
      case 'progress':
        return this.events.onProgress?.({ alerting: true, sdp: gatewaySdp });
      case 'answer':
        this.phase = 'answered';
        return this.events.onAnswer?.(answerSdp);
      case 'released': {
        // Q.850 has no cause 0: a REL carrying it is treated as 31, normal unspecified.
        const cause = ind.cause >= 1 && ind.cause <= 127 ? ind.cause : CAUSE_NORMAL_UNSPECIFIED;
        const answered = this.phase === 'answered';
        // By the far end: RLC follows at once (the FSM sends it). By a timer: our REL is out, RLC awaited.
        if (ind.by === 'remote') queueMicrotask(() => void this.finish());
        if (answered) this.events.onRelease?.(cause);
        else this.fail(cause);
        return;
      }
      case 'release-complete':
        return void this.finish();
      case 'maintenance-alert':
        this.log.error({ reason: ind.reason }, 'circuit needs maintenance: the far end did not complete release; reset sent');
        return;
      case 'setup':
        return;
    }
  }

  /** Frees everything this leg holds: runner, circuit, bearer; settles once. */
  private async finish(): Promise<void> {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.runner?.dispose();
    this.detach?.();
    if (this.cic !== undefined) this.deps.isup.trunkGroup(this.tgId)?.circuits.release(this.cic, this.callRef);
    await this.bearer?.delete();
    this.settle();
  }
}
