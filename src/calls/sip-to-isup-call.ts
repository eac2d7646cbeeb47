/**
 * One call from a SIP trunk customer to the PSTN over ISUP (RFC 3398 interworking):
 * route → seize a circuit → gateway connection (CRCX) → IAM; ACM → 183 with the gateway's SDP,
 * ANM → 200; BYE → REL, RLC → DLCX; REL from the network → BYE, RLC, DLCX. Failures before
 * answer advance to the next route when the cause is in the advance list. Writes one CDR.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { TrunkGroupConfig } from '../class4/trunks/config.js';
import type { BearerConnection, BearerPort } from '../mgcp/bearer-port.js';
import { BearerError } from '../mgcp/bearer-port.js';
import type { Dialog, InboundRequest, InviteResponder, SignallingPort } from '../sip/port.js';
import { defaultIsupTimers, type IsupCallIndication, type IsupSendRequest } from '../ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../ss7/isup/call-runner.js';
import { buildIam } from '../ss7/isup/builders.js';
import { eventForMessage, messageForRequest } from '../ss7/isup/call-messages.js';
import type { IsupService } from '../ss7/isup/service.js';
import type { Cdr } from '../store/cdr-store.js';
import type { TrunkCustomer } from '../class4/trunks/trunk-customers.js';
import { endpointForCic } from '../class4/trunks/endpoint-map.js';
import { causeFromReasonHeader, reasonHeader, sipStatusForCause } from './interworking/cause-map.js';
import type { CallRouter, RouteCandidate, RoutePlan } from './route-plan.js';
import { declineAllStreams } from './sdp.js';
import { callReleaseCauseTotal, callSetupSeconds, callsActive, callsTotal, routeAdvanceTotal } from './metrics.js';

export interface CallDeps {
  sip: SignallingPort;
  isup: IsupService;
  router: CallRouter;
  /** Absent when no media gateway is configured (lab without osmo-mgw). */
  bearer?: BearerPort;
  trunkGroups: Map<string, TrunkGroupConfig>;
  /** Whether a trunk group can take a call now (SS7 destination, idle circuit, gateway up). */
  usable: (trunkGroup: string) => boolean;
  clock: Clock;
  logger: Logger;
  writeCdr: (cdr: Cdr) => void;
  /** Address to put in SDP the switch writes itself. */
  mediaAddress: string;
  /**
   * Answered calls are released by the switch after this long (0: never). Guards against calls
   * whose BYE or REL was lost for good, and caps fraud exposure per call.
   */
  maxCallDurationMs?: number;
}

/** Q.850 causes the switch itself uses here. */
const CAUSE_NO_ROUTE = 3;
const CAUSE_NORMAL = 16;
const CAUSE_NO_CIRCUIT = 34;
const CAUSE_TEMPORARY_FAILURE = 41;
const CAUSE_RESOURCE_UNAVAILABLE = 47;
const CAUSE_CALL_REJECTED = 21;
const CAUSE_NORMAL_UNSPECIFIED = 31;
const CAUSE_INVALID_NUMBER_FORMAT = 28;

type AttemptResult =
  | { kind: 'failed'; cause: number }
  | { kind: 'ended'; cause: number; releasedBy: 'caller' | 'callee' | 'switch' }
  | { kind: 'canceled' }
  /** Dual seizure on a circuit the far end controls: our IAM is void (Q.764 §2.9.1.4). */
  | { kind: 'glare'; cic: number };

export interface CallSnapshot {
  id: string;
  sipCallId: string;
  customer: string;
  calling?: string;
  called: string;
  state: string;
  trunkGroup?: string;
  cic?: number;
  carrier?: string;
  endpoint?: string;
  startTime: string;
  answerTime?: string;
}

export class SipToIsupCall {
  readonly id = randomUUID();
  private readonly log: Logger;
  private readonly startedAt: number;
  private answeredAt?: number;
  private state = 'routing';
  private plan?: RoutePlan;
  private candidate?: RouteCandidate;
  private cic?: number;
  private connection?: BearerConnection;
  private dialog?: Dialog;
  private finalStatus?: number;
  private canceled = false;
  /** Set by release() when no attempt is in progress yet (e.g. awaiting the gateway): stop before the IAM. */
  private abandonCause?: number;
  /** Gateway endpoint of the last bearer connection, for the CDR. */
  private endpointSeen?: string;
  /** Set while an attempt is in progress: releases it (caller CANCEL/BYE, switch shutdown). */
  private releaseAttempt?: (cause: number, by: 'caller' | 'switch') => void;
  readonly calling?: string;
  readonly called: string;

  constructor(
    private readonly deps: CallDeps,
    private readonly req: InboundRequest,
    private readonly res: InviteResponder,
    private readonly customer: TrunkCustomer,
  ) {
    this.startedAt = deps.clock.now();
    this.called = req.calledNumber;
    this.calling = callingNumber(req);
    this.log = deps.logger.child({ callId: this.id, sipCallId: req.callId, customer: customer.id });
    req.on('cancel', () => {
      this.canceled = true;
      this.log.info('caller canceled');
      this.releaseAttempt?.(CAUSE_NORMAL, 'caller');
    });
  }

  snapshot(): CallSnapshot {
    return {
      id: this.id,
      sipCallId: this.req.callId,
      customer: this.customer.id,
      calling: this.calling,
      called: this.called,
      state: this.state,
      trunkGroup: this.candidate?.trunkGroup,
      cic: this.cic,
      carrier: this.candidate?.carrier,
      endpoint: this.connection?.endpoint,
      startTime: new Date(this.startedAt).toISOString(),
      answerTime: this.answeredAt === undefined ? undefined : new Date(this.answeredAt).toISOString(),
    };
  }

  /** Switch shutdown or operator action: release the call cleanly on both sides. */
  release(cause = CAUSE_NORMAL): void {
    if (this.releaseAttempt) this.releaseAttempt(cause, 'switch');
    else this.abandonCause = cause;
  }

  /** Runs the call to its end; never rejects. */
  async run(): Promise<void> {
    callsActive.inc({ direction: 'sip-to-isup' });
    let outcome: AttemptResult = { kind: 'failed', cause: CAUSE_NO_ROUTE };
    try {
      outcome = await this.route();
    } catch (err) {
      this.log.error({ err }, 'call failed on an internal error');
      outcome = { kind: 'failed', cause: CAUSE_TEMPORARY_FAILURE };
    } finally {
      callsActive.dec({ direction: 'sip-to-isup' });
    }
    try {
      this.finish(outcome);
    } catch (err) {
      this.log.error({ err }, 'call end not fully recorded (final response or CDR failed)');
    }
  }

  private async route(): Promise<AttemptResult> {
    const plan = this.deps.router.plan({ called: this.called, calling: this.calling, customer: this.customer.routingCustomer });
    this.plan = plan;
    if (plan.invalid) {
      this.log.info({ reason: plan.invalid }, 'called number invalid');
      return { kind: 'failed', cause: CAUSE_INVALID_NUMBER_FORMAT };
    }
    if (plan.blocked) {
      this.log.info({ reason: plan.blocked }, 'destination blocked');
      return { kind: 'failed', cause: CAUSE_CALL_REJECTED };
    }
    if (plan.candidates.length === 0) {
      if (plan.congested) {
        this.log.warn('every route to the called number is busy or unavailable');
        return { kind: 'failed', cause: CAUSE_NO_CIRCUIT };
      }
      this.log.info('no route for the called number');
      return { kind: 'failed', cause: CAUSE_NO_ROUTE };
    }
    let last: AttemptResult = { kind: 'failed', cause: CAUSE_NO_ROUTE };
    for (let i = 0; i < plan.candidates.length; i++) {
      if (this.canceled) return { kind: 'canceled' };
      if (this.abandonCause !== undefined) return { kind: 'failed', cause: this.abandonCause };
      const candidate = plan.candidates[i];
      this.candidate = candidate;
      last = await this.attempt(candidate, plan);
      if (last.kind === 'glare') {
        // Q.764 §2.9.1.4 b): the non-controlling exchange repeats the attempt once, on another circuit.
        if (this.canceled) return { kind: 'canceled' };
        if (this.abandonCause !== undefined) return { kind: 'failed', cause: this.abandonCause };
        this.log.info({ cic: last.cic }, 'dual seizure: repeating the attempt on another circuit');
        last = await this.attempt(candidate, plan, last.cic);
        if (last.kind === 'glare') last = { kind: 'failed', cause: CAUSE_NO_CIRCUIT };
      }
      if (last.kind !== 'failed') return last;
      const more = i + 1 < plan.candidates.length;
      if (!more || !plan.advanceOn(last.cause) || this.canceled || this.abandonCause !== undefined) break;
      routeAdvanceTotal.inc({ from_carrier: candidate.carrier, cause: String(last.cause) });
      this.log.info({ carrier: candidate.carrier, cause: last.cause, next: plan.candidates[i + 1].carrier }, 'route advance');
    }
    return this.canceled ? { kind: 'canceled' } : last;
  }

  private async attempt(candidate: RouteCandidate, plan: RoutePlan, avoidCic?: number): Promise<AttemptResult> {
    const { isup, bearer } = this.deps;
    const tgConfig = this.deps.trunkGroups.get(candidate.trunkGroup);
    const tg = isup.trunkGroup(candidate.trunkGroup);
    if (!tgConfig || !tg) {
      this.log.warn({ trunkGroup: candidate.trunkGroup }, 'route names a trunk group that is not configured; skipped (routing.carriers[].trunkGroups must name ids from trunkGroups[])');
      return { kind: 'failed', cause: CAUSE_NO_ROUTE };
    }
    if (!this.deps.usable(tg.id)) return { kind: 'failed', cause: CAUSE_NO_CIRCUIT };
    const circuit = tg.circuits.seizeOutgoing(this.id, avoidCic);
    if (!circuit) return { kind: 'failed', cause: CAUSE_NO_CIRCUIT };
    const cic = circuit.cic;
    this.cic = cic;
    const log = this.log.child({ tg: tg.id, cic });
    this.state = 'seizing-bearer';

    let localSdp: string;
    if (bearer && tgConfig.gateway) {
      try {
        this.connection = await bearer.createConnection({
          endpoint: endpointForCic(tgConfig, cic),
          callId: this.id.replaceAll('-', '').slice(0, 32),
          mode: 'sendrecv',
          remoteSdp: this.req.body || undefined,
        });
        this.endpointSeen = this.connection.endpoint;
        localSdp = this.connection.localSdp ?? declineAllStreams(this.req.body, this.deps.mediaAddress);
        log.info({ endpoint: this.connection.endpoint, connectionId: this.connection.connectionId }, 'bearer connection created');
      } catch (err) {
        tg.circuits.release(cic, this.id);
        log.warn({ err: err instanceof BearerError ? err.message : err }, 'media gateway refused the connection');
        return { kind: 'failed', cause: CAUSE_RESOURCE_UNAVAILABLE };
      }
      if (this.canceled || this.abandonCause !== undefined) {
        tg.circuits.release(cic, this.id);
        await this.deleteConnection(log);
        return this.canceled ? { kind: 'canceled' } : { kind: 'failed', cause: this.abandonCause! };
      }
      if (tg.circuits.get(cic)?.callRef !== this.id) {
        // Q.764 §2.10.3.1: the far end reset the circuit (RSC/GRS) while the gateway worked; it may be another call's now.
        log.warn('circuit reset by the far end before the IAM; connection deleted');
        await this.deleteConnection(log);
        return { kind: 'failed', cause: CAUSE_TEMPORARY_FAILURE };
      }
    } else {
      localSdp = declineAllStreams(this.req.body, this.deps.mediaAddress);
    }

    this.state = 'awaiting-acm';
    return new Promise<AttemptResult>((resolve) => {
      let answered = false;
      let outcome: AttemptResult | undefined;
      /** The 200 OK being sent after ANM; the attempt ends only once it has settled. */
      let answering: Promise<void> | undefined;
      let releasedBySwitch = false;
      let provisionalSent = false;
      const iam = () => buildIam({ cic, variant: tg.variant, called: plan.called, calledNai: plan.calledNai, calling: this.calling, lrn: plan.lrn });
      const send = (req: IsupSendRequest) => {
        const msg = messageForRequest(req, cic, iam);
        log.debug({ type: msg.type }, 'ISUP tx');
        if (!isup.send(tg.id, msg) && req.type === 'IAM') {
          // The link went down between the availability check and the IAM: no call exists on the circuit.
          done({ kind: 'failed', cause: CAUSE_TEMPORARY_FAILURE });
        }
      };
      const runner = new IsupCallRunner({
        clock: this.deps.clock,
        timers: defaultIsupTimers(tg.variant),
        send,
        indicate: (ind) => onIndication(ind),
        unexpected: (e, s) => log.warn({ event: e.name, state: s }, 'ISUP event unexpected in this call state; ignored'),
      });
      const detach = isup.attach(tg.id, cic, (msg) => {
        log.debug({ type: msg.type }, 'ISUP rx');
        if (msg.type === 'IAM') {
          // Dual seizure on a circuit the far end controls (the ISUP service decided): back off, send nothing.
          if (runner.state === 'outgoing-setup') done({ kind: 'glare', cic });
          else log.warn({ state: runner.state }, 'IAM on a circuit in a call past set-up; ignored');
          return;
        }
        if (msg.type === 'RSC') {
          // The far end reset the circuit (already answered by the ISUP service).
          log.warn('circuit reset by the far end during the call');
          this.dialog?.destroy({ headers: { Reason: reasonHeader(CAUSE_TEMPORARY_FAILURE) } }).catch(() => undefined);
          return done(answered ? { kind: 'ended', cause: CAUSE_TEMPORARY_FAILURE, releasedBy: 'callee' } : { kind: 'failed', cause: CAUSE_TEMPORARY_FAILURE });
        }
        const event = eventForMessage(msg);
        if (event) runner.handle(event);
        else log.debug({ type: msg.type }, 'ISUP message not used by basic call; ignored');
      });

      let durationCap: TimerHandle | undefined;
      const done = (result: AttemptResult) => {
        this.deps.clock.clearTimeout(durationCap);
        if (outcome) return;
        outcome = result;
        this.releaseAttempt = undefined;
        runner.dispose();
        detach();
        tg.circuits.release(cic, this.id);
        void this.deleteConnection(log)
          .then(() => answering)
          .then(() => {
            // The caller got 200 OK after the ISUP side had begun to release: the call was answered after all.
            if (result.kind === 'failed' && this.dialog && !answered) {
              return resolve({ kind: 'ended', cause: result.cause, releasedBy: releasedBySwitch ? 'switch' : 'callee' });
            }
            resolve(result);
          });
      };

      /** Our REL is out; the attempt ends when RLC (or T5) completes the release. */
      let pendingAfterRelease: AttemptResult | undefined;
      this.releaseAttempt = (cause, by) => {
        if (runner.state === 'idle' || runner.state === 'releasing') return;
        if (by === 'switch') releasedBySwitch = true;
        pendingAfterRelease = answered ? { kind: 'ended', cause, releasedBy: by } : by === 'caller' ? { kind: 'canceled' } : { kind: 'failed', cause };
        if (by === 'switch' && this.dialog) this.dialog.destroy({ headers: { Reason: reasonHeader(cause) } }).catch(() => undefined);
        runner.handle({ name: 'CC_RELEASE_REQ', cause });
      };

      const onIndication = (ind: IsupCallIndication) => {
        switch (ind.kind) {
          case 'alerting':
          case 'progress':
            this.state = 'alerting';
            if (!provisionalSent && !this.res.finalResponseSent) {
              provisionalSent = true;
              // RFC 3398 §8.2.2: ACM → 180, or 183 with SDP when the network provides in-band tones.
              if (this.connection?.localSdp) this.res.send(183, 'Session Progress', { body: localSdp });
              else this.res.send(180, 'Ringing');
            }
            return;
          case 'answer':
            this.state = 'answering';
            answering = this.answer(localSdp, log).then(
              (dialog) => {
                if (!dialog) return; // canceled in the meantime: releaseAttempt already ran
                this.answeredAt = this.deps.clock.now();
                callSetupSeconds.observe((this.answeredAt - this.startedAt) / 1000);
                const gone = outcome ?? pendingAfterRelease;
                if (gone) {
                  // REL, reset or a switch release came while the 200 OK was on its way: RFC 3398 §8.2.3, BYE.
                  const cause = gone.kind === 'canceled' || gone.kind === 'glare' ? CAUSE_NORMAL : gone.cause;
                  log.info({ cause }, 'ISUP side released while answering; BYE to the caller');
                  dialog.destroy({ headers: { Reason: reasonHeader(cause) } }).catch((err) => log.warn({ err }, 'BYE to the caller failed'));
                  return;
                }
                answered = true;
                this.state = 'answered';
                const cap = this.deps.maxCallDurationMs ?? 0;
                if (cap > 0) {
                  durationCap = this.deps.clock.setTimeout(() => {
                    log.warn({ maxCallDurationMs: cap }, 'call reached the maximum call duration; released by the switch');
                    this.releaseAttempt?.(CAUSE_NORMAL, 'switch');
                  }, cap);
                }
              },
              () => undefined,
            );
            return;
          case 'released': {
            // The network released (REL) or set-up supervision expired: clear the SIP side first.
            // Q.850 has no cause 0: a REL carrying it is treated as 31, normal unspecified.
            const cause = ind.cause >= 1 && ind.cause <= 127 ? ind.cause : CAUSE_NORMAL_UNSPECIFIED;
            this.state = 'releasing';
            if (answered && this.dialog) {
              this.dialog.destroy({ headers: { Reason: reasonHeader(cause) } }).catch((err) => log.warn({ err }, 'BYE to the caller failed'));
              if (ind.by === 'remote') return done({ kind: 'ended', cause, releasedBy: 'callee' });
              pendingAfterRelease = { kind: 'ended', cause, releasedBy: 'switch' };
              return;
            }
            if (ind.by === 'remote') return done({ kind: 'failed', cause });
            pendingAfterRelease = { kind: 'failed', cause };
            return;
          }
          case 'release-complete':
            return done(pendingAfterRelease ?? { kind: 'ended', cause: CAUSE_NORMAL, releasedBy: 'switch' });
          case 'maintenance-alert':
            log.error({ reason: ind.reason }, 'circuit needs maintenance: the far end did not complete release; reset sent');
            return;
          case 'setup':
            return;
        }
      };

      this.log.info({ tg: tg.id, cic, carrier: candidate.carrier, called: plan.called, lrn: plan.lrn }, 'IAM: seizing circuit');
      runner.handle({ name: 'CC_SETUP_REQ' });
    });
  }

  /** 200 OK to the caller; a BYE from the caller then releases the ISUP side. */
  private async answer(localSdp: string, log: Logger): Promise<Dialog | undefined> {
    if (this.canceled) return undefined;
    let dialog: Dialog;
    try {
      dialog = await this.deps.sip.createUAS(this.req, this.res, { localSdp });
    } catch (err) {
      log.info({ err: (err as Error).message }, 'caller gone before answer; releasing the circuit');
      this.releaseAttempt?.(CAUSE_NORMAL, 'caller');
      return undefined;
    }
    this.dialog = dialog;
    this.finalStatus = 200;
    dialog.on('destroy', (info) => {
      const cause = causeFromReasonHeader(info.reason) ?? CAUSE_NORMAL;
      log.info({ cause, by: info.by }, 'caller released (BYE)');
      this.releaseAttempt?.(cause, 'caller');
    });
    return dialog;
  }

  private async deleteConnection(log: Logger): Promise<void> {
    const conn = this.connection;
    if (!conn || !this.deps.bearer) return;
    this.connection = undefined;
    try {
      await this.deps.bearer.deleteConnection(conn);
      log.info({ endpoint: conn.endpoint, connectionId: conn.connectionId }, 'bearer connection deleted');
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : err, endpoint: conn.endpoint }, 'DLCX failed; the gateway may hold the connection until audited');
    }
  }

  private finish(outcome: AttemptResult): void {
    const end = this.deps.clock.now();
    let cause: number;
    let outcomeLabel: string;
    let releasedBy: Cdr['releasedBy'];
    if (outcome.kind === 'canceled') {
      cause = CAUSE_NORMAL;
      outcomeLabel = 'canceled';
      releasedBy = 'caller';
      this.finalStatus = 487;
    } else if (outcome.kind === 'ended') {
      cause = outcome.cause;
      outcomeLabel = 'answered';
      releasedBy = outcome.releasedBy;
    } else {
      cause = outcome.kind === 'glare' ? CAUSE_NO_CIRCUIT : outcome.cause;
      outcomeLabel = 'failed';
      releasedBy = 'callee';
      if (!this.res.finalResponseSent && !this.canceled) {
        const status = sipStatusForCause(cause);
        this.finalStatus = status;
        this.res.send(status, undefined, { headers: { Reason: reasonHeader(cause) } });
      }
    }
    callsTotal.inc({ direction: 'sip-to-isup', outcome: outcomeLabel });
    callReleaseCauseTotal.inc({ cause: String(cause) });
    this.deps.writeCdr({
      callId: this.id,
      sipCallId: this.req.callId,
      direction: 'sip-to-isup',
      customer: this.customer.id,
      calling: this.calling,
      called: this.called,
      routedNumber: this.plan?.called,
      lrn: this.plan?.lrn,
      carrier: this.candidate?.carrier,
      trunkGroup: this.candidate?.trunkGroup,
      cic: this.cic,
      rate: this.candidate?.rate,
      jurisdiction: this.plan?.jurisdiction,
      startTime: new Date(this.startedAt).toISOString(),
      answerTime: this.answeredAt === undefined ? undefined : new Date(this.answeredAt).toISOString(),
      endTime: new Date(end).toISOString(),
      durationMs: end - this.startedAt,
      billableMs: this.answeredAt === undefined ? 0 : end - this.answeredAt,
      cause,
      sipStatus: this.finalStatus,
      releasedBy,
      gatewayEndpoint: this.endpointSeen,
    });
    this.state = 'ended';
    this.log.info({ outcome: outcomeLabel, cause, sipStatus: this.finalStatus, billableMs: this.answeredAt === undefined ? 0 : end - this.answeredAt }, 'call ended');
  }

}

/** The caller's number: P-Asserted-Identity (trusted trunk), else From's user part; digits only. */
export function callingNumber(req: InboundRequest): string | undefined {
  const pai = req.get('P-Asserted-Identity');
  const fromPai = pai ? /sip:\+?(\d+)@|tel:\+?(\d+)/.exec(pai) : null;
  const raw = fromPai ? (fromPai[1] ?? fromPai[2]) : req.from.user.replace(/^\+/, '');
  if (!/^\d{1,20}$/.test(raw ?? '')) return undefined;
  // NANP callers given as 1+10 digits are signalled in national format.
  return raw.length === 11 && raw.startsWith('1') ? raw.slice(1) : raw;
}
