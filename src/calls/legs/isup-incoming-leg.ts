/**
 * The originating leg of a call that arrived as an IAM: the circuit is ours (seized incoming),
 * its bearer is made on the circuit's gateway endpoint (the SDP offered to the called side), and
 * the called side's progress, answer and release go back as ACM/CPG, ANM and REL
 * (Q.764 §2.1.4–§2.3, T1.113.4; RFC 3398 §8 for the SIP interworking).
 */
import { lazyChild, type Logger } from '../../util/log.js';
import { BearerError } from '../../mgcp/bearer-port.js';
import type { IsupCallIndication, IsupSendRequest } from '../../ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../../ss7/isup/call-runner.js';
import { buildAcm, buildCpg, buildRel } from '../../ss7/isup/builders.js';
import { eventForMessage, messageForRequest } from '../../ss7/isup/call-messages.js';
import type { IamMessage, IsupMessage } from '../../ss7/isup/messages.js';
import type { IsupTrunkGroup } from '../../ss7/isup/service.js';
import { declineAllStreams } from '../sdp.js';
import { CircuitBearer, bearerCallId } from './circuit-bearer.js';
import { attachCircuit, type IsupLegDeps } from './isup-deps.js';
import { partyOfIam } from './isup-party.js';
import { LegSetupError, OfferRefused, type CallParty, type LegDetails, type LegFailure, type OriginatingLeg, type OriginatingLegEvents } from './leg.js';

const CAUSE_TEMPORARY_FAILURE = 41;
const CAUSE_RESOURCE_UNAVAILABLE = 47;
const CAUSE_NORMAL_UNSPECIFIED = 31;

export class IsupIncomingLeg implements OriginatingLeg {
  readonly kind = 'isup' as const;
  readonly party: CallParty;
  events: OriginatingLegEvents = {};
  readonly settled: Promise<void>;
  private settle!: () => void;
  private readonly runner: IsupCallRunner;
  private readonly detach: () => void;
  private bearer?: CircuitBearer;
  private remoteSdpGiven = false;
  /** The SDP offered for the circuit (the gateway's, or every stream declined when there is no gateway). */
  private offered?: string;
  /** ACM sent with the called party's status "subscriber free" (alerting), or "no indication". */
  private acmAlerting?: boolean;
  private pendingAcm: { alerting: boolean; inband: boolean } = { alerting: true, inband: false };
  private done = false;
  private readonly log: Logger;

  /** The circuit must already be seized incoming for `callRef`. */
  constructor(
    private readonly deps: IsupLegDeps,
    private readonly tg: IsupTrunkGroup,
    private readonly iam: IamMessage,
    private readonly callRef: string,
  ) {
    this.party = partyOfIam(iam);
    this.settled = new Promise((r) => (this.settle = r));
    this.log = lazyChild(deps.logger, { callId: callRef, tg: tg.id, cic: iam.cic });
    this.runner = new IsupCallRunner({
      clock: deps.clock,
      timers: deps.timers?.(tg.variant) ?? deps.isup.timersOf(tg.id),
      variant: tg.variant,
      send: (req) => this.send(req),
      indicate: (ind) => this.onIndication(ind),
      unexpected: (e, s) => this.log.warn({ event: e.name, state: s }, 'ISUP event unexpected in this call state; ignored'),
    });
    this.detach = attachCircuit(deps, tg.id, iam.cic, callRef, (msg) => this.onMessage(msg));
    this.runner.handle({ name: 'ISUP_IAM' });
  }

  details(): LegDetails {
    return { trunkGroup: this.tg.id, cic: this.iam.cic, gatewayEndpoint: this.bearer?.endpointSeen };
  }

  async prepareOffer(): Promise<string | undefined> {
    const endpoint = this.deps.trunkGroup(this.tg.id)?.endpointFor(this.iam.cic);
    if (!this.deps.bearer || !endpoint) return (this.offered = declineAllStreams('', this.deps.mediaAddress));
    this.bearer = new CircuitBearer(this.deps.bearer, endpoint, bearerCallId(this.callRef), this.log);
    try {
      // recvonly until answer: early media from the called side reaches the caller, nothing goes back.
      const conn = await this.bearer.create('recvonly');
      if (this.done) {
        await this.bearer.delete();
        throw new LegSetupError(CAUSE_TEMPORARY_FAILURE, 'caller released while the gateway connection was made');
      }
      return (this.offered = conn.localSdp ?? declineAllStreams('', this.deps.mediaAddress));
    } catch (err) {
      if (err instanceof LegSetupError) throw err;
      this.log.warn({ err: err instanceof BearerError ? err.message : err }, 'media gateway refused the connection for an incoming call');
      throw new LegSetupError(CAUSE_RESOURCE_UNAVAILABLE, 'gateway refused the connection');
    }
  }

  progress(p: { alerting: boolean; sdp?: string }): void {
    if (this.done) return;
    if (p.sdp) this.useRemoteSdp(p.sdp, 'recvonly');
    if (this.runner.state === 'incoming-setup') {
      // RFC 3398 §8.2.2 / Q.1912.5: 180 → ACM "subscriber free"; 183 → ACM "no indication" with in-band information.
      this.pendingAcm = { alerting: p.alerting, inband: !!p.sdp };
      this.runner.handle({ name: 'CC_ALERT_REQ' });
    } else if (this.runner.state === 'incoming-alerting' && p.alerting && this.acmAlerting === false) {
      // The called party is now being alerted after an ACM "no indication": CPG alerting (Q.764 §2.1.5).
      this.acmAlerting = true;
      this.runner.handle({ name: 'CC_PROGRESS_REQ' });
    }
  }

  async answer(sdp?: string): Promise<boolean> {
    if (this.done) return false;
    if (sdp) this.useRemoteSdp(sdp, 'sendrecv');
    else void this.bearer?.modify({ mode: 'sendrecv' });
    const ok = this.runner.handle({ name: 'CC_ANSWER_REQ' });
    if (ok) this.log.info('ANM: call answered');
    return ok;
  }

  /**
   * The SIP party's new offer (hold, resume, codec change), or a transfer target's SDP: MDCX on this
   * circuit's gateway connection, re-pointing it. The far exchange stays connected either way: ISUP
   * knows nothing of it. Without a gateway there is no media to re-point; every stream is declined.
   */
  renegotiate(offer: string): Promise<string> {
    if (this.bearer) return this.bearer.renegotiate(offer);
    if (this.offered !== undefined && !this.deps.bearer) return Promise.resolve(declineAllStreams(offer, this.deps.mediaAddress));
    return Promise.reject(new OfferRefused(488, 'no gateway connection on this circuit'));
  }

  /** What the switch offers for this circuit now: a transfer offers it to the new far end. */
  currentSdp(): string | undefined {
    return this.bearer?.given ?? this.offered;
  }

  reject(failure: LegFailure): void {
    this.congestionLevel = failure.congestionLevel;
    this.releaseCircuit(failure.cause);
  }

  /** Set by a refusal for our own overload: REL carries the automatic congestion level. */
  private congestionLevel?: 1 | 2;

  release(cause: number): void {
    this.releaseCircuit(cause);
  }

  private releaseCircuit(cause: number): void {
    if (this.done) return;
    const s = this.runner.state;
    if (s === 'idle' || s === 'releasing') return;
    this.runner.handle({ name: 'CC_RELEASE_REQ', cause: cause >= 1 && cause <= 127 ? cause : CAUSE_NORMAL_UNSPECIFIED });
  }

  private useRemoteSdp(sdp: string, mode: 'recvonly' | 'sendrecv'): void {
    if (!this.bearer) return;
    if (this.remoteSdpGiven && mode === 'recvonly') return;
    const first = !this.remoteSdpGiven;
    this.remoteSdpGiven = true;
    void this.bearer.modify(first ? { mode, remoteSdp: sdp } : { mode });
  }

  private send(req: IsupSendRequest): void {
    const cic = this.iam.cic;
    let msg: IsupMessage;
    if (req.type === 'ACM') {
      const acm = buildAcm(cic);
      const { alerting, inband } = this.pendingAcm;
      this.acmAlerting = alerting;
      msg =
        acm.type === 'ACM'
          ? {
              ...acm,
              backwardCall: { ...acm.backwardCall, calledStatus: alerting ? 1 : 0 },
              optional: inband ? [{ name: 'optionalBackwardCallIndicators', value: { inbandInfo: true, callDiversion: false, segmentation: false, mlppUser: false, other: 0 } }] : [],
            }
          : acm;
    } else if (req.type === 'CPG') {
      msg = buildCpg(cic, 1);
    } else if (req.type === 'REL' && this.congestionLevel) {
      // Q.764 §2.11.1 / T1.113.4 §2.11: an overloaded exchange says so in the REL it sends.
      const rel = buildRel(cic, req.cause);
      msg = { ...rel, optional: [...rel.optional, { name: 'automaticCongestionLevel', value: this.congestionLevel }] };
    } else {
      msg = messageForRequest(req, cic, () => this.iam);
    }
    if (!this.deps.isup.send(this.tg.id, msg)) this.log.warn({ type: msg.type }, 'ISUP message not sent: no route to the far exchange now');
  }

  private onMessage(msg: IsupMessage): void {
    if (msg.type === 'RSC') {
      // The far end reset the circuit; the ISUP service answered it and freed the circuit.
      this.log.warn('circuit reset by the far end during the call');
      void this.finish();
      this.events.onRelease?.(CAUSE_TEMPORARY_FAILURE);
      return;
    }
    const event = eventForMessage(msg);
    if (event) this.runner.handle(event);
    else this.log.debug({ type: msg.type }, 'ISUP message not used by basic call; ignored');
  }

  private onIndication(ind: IsupCallIndication): void {
    switch (ind.kind) {
      case 'released': {
        const cause = ind.cause >= 1 && ind.cause <= 127 ? ind.cause : CAUSE_NORMAL_UNSPECIFIED;
        if (ind.by === 'remote') {
          this.log.info({ cause }, 'caller released (REL)');
          queueMicrotask(() => void this.finish());
        }
        this.events.onRelease?.(cause);
        return;
      }
      case 'release-complete':
        return void this.finish();
      case 'maintenance-alert':
        this.log.error({ reason: ind.reason }, 'circuit needs maintenance: the far end did not complete release; reset sent');
        return;
      default:
        return;
    }
  }

  private async finish(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.runner.dispose();
    this.detach();
    this.tg.circuits.release(this.iam.cic, this.callRef);
    await this.bearer?.delete();
    this.settle();
  }
}
