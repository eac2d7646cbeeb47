/**
 * A terminating leg toward a SIP destination (a trunk customer's PBX for a DID, later an
 * extension): INVITE with the originating side's SDP; 180/183 → progress, 200 → answer, a
 * failure status → failure with its Q.850 cause (the Reason header's when present, else
 * RFC 3398 §8.2.6.1... §7.2.4.1 mapping); CANCEL or BYE with a Reason header on release.
 * A destination that sends no response at all within `noResponseMs` counts as unreachable so
 * the call can fail over at once instead of after Timer B (RFC 3261 §17.1.1.2, 32 s).
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { lazyChild, type Logger } from '../../util/log.js';
import { SipError, type Dialog, type SignallingPort } from '../../sip/port.js';
import { causeForSipStatus, causeFromReasonHeader, reasonHeader } from '../interworking/cause-map.js';
import { LegOrigin } from '../sdp-origin.js';
import type { DialogKey, LegDetails, TerminatingLeg, TerminatingLegEvents } from './leg.js';
import { offerTo, serveOffers } from './sip-offers.js';
import { serveRefers } from './sip-refer.js';

const CAUSE_NORMAL = 16;
const CAUSE_NO_ANSWER = 19;
const CAUSE_RECOVERY_ON_TIMER_EXPIRY = 102;
const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export interface SipOutboundLegDeps {
  sip: SignallingPort;
  clock: Clock;
  logger: Logger;
}

export interface SipOutboundRequest {
  /** Request-URI, e.g. `sip:2125550100@198.51.100.7:5060;transport=udp`. */
  uri: string;
  /** From URI or user part. */
  from?: string;
  to?: string;
  headers?: Record<string, string>;
  /** No response at all within this long: unreachable (fail over). */
  noResponseMs: number;
  /** No final response within this long after a provisional: CANCEL, cause 19 (no answer). */
  answerTimeoutMs: number;
}

export class SipOutboundLeg implements TerminatingLeg {
  readonly kind = 'sip' as const;
  events: TerminatingLegEvents = {};
  readonly settled: Promise<void>;
  private settle!: () => void;
  private readonly abort = new AbortController();
  private dialog?: Dialog;
  /** The INVITE's Call-ID as a provisional response echoed it (before any dialog). */
  private earlyCallId?: string;
  private sipStatus?: number;
  private heard = false;
  private over = false;
  private timer?: TimerHandle;
  private readonly log: Logger;
  /** Every SDP to the called party continues one origin (RFC 3264 §8), whichever far end it came from. */
  private readonly origin = new LegOrigin();

  constructor(
    private readonly deps: SipOutboundLegDeps,
    private readonly req: SipOutboundRequest,
  ) {
    this.settled = new Promise((r) => (this.settle = r));
    this.log = lazyChild(deps.logger, { target: req.uri });
  }

  details(): LegDetails {
    return { sipCallId: this.dialog?.callId ?? this.earlyCallId, sipStatus: this.sipStatus, target: this.req.uri };
  }

  start(offer: string | undefined): void {
    this.timer = this.deps.clock.setTimeout(() => this.noResponse(), this.req.noResponseMs);
    this.deps.sip
      .createUAC(this.req.uri, {
        localSdp: this.origin.outgoing(offer),
        from: this.req.from,
        to: this.req.to,
        headers: this.req.headers,
        signal: this.abort.signal,
        onProvisional: (p) => {
          if (this.over) return;
          this.earlyCallId ??= p.get('call-id');
          if (!this.heard) {
            this.heard = true;
            this.deps.clock.clearTimeout(this.timer);
            this.timer = this.deps.clock.setTimeout(() => this.noAnswer(), this.req.answerTimeoutMs);
          }
          if (p.status === 180 || p.status === 183 || p.sdp) this.events.onProgress?.({ alerting: p.status === 180, sdp: p.sdp });
        },
      })
      .then(
        (dialog) => this.answered(dialog),
        (err: unknown) => this.failed(err),
      );
  }

  release(cause: number, completedElsewhere = false): void {
    if (this.dialog) {
      if (this.dialog.destroyed) return;
      this.dialog.destroy({ headers: { Reason: reasonHeader(cause) } }).catch((err: unknown) => this.log.warn({ err }, 'BYE to the called party failed'));
      this.end();
      return;
    }
    this.over = true;
    // RFC 3326 §2 (and RFC 3261 §16.7 for forks): a branch that lost to another's answer says so.
    this.abort.abort(completedElsewhere ? COMPLETED_ELSEWHERE : undefined);
    if (!this.heard) this.end(); // nothing to CANCEL yet; a late 2xx is answered with ACK+BYE by the stack
  }

  private answered(dialog: Dialog): void {
    this.deps.clock.clearTimeout(this.timer);
    this.sipStatus = 200;
    this.dialog = dialog;
    if (this.over) {
      void dialog.destroy({ headers: { Reason: reasonHeader(CAUSE_NORMAL) } }).catch(() => undefined);
      return this.end();
    }
    serveOffers(dialog, () => this.events.onOffer, this.log, this.origin);
    serveRefers(dialog, () => this.events.onRefer, this.log);
    dialog.on('destroy', (info) => {
      const cause = causeFromReasonHeader(info.reason) ?? CAUSE_NORMAL;
      this.log.info({ cause, by: info.by }, 'called party released (BYE)');
      this.end();
      this.events.onRelease?.(cause);
    });
    this.events.onAnswer?.(dialog.remoteSdp || undefined);
  }

  /** The caller's new offer: a re-INVITE to the called party. */
  renegotiate(offer: string): Promise<string> {
    return offerTo(this.dialog, offer, this.origin);
  }

  /** The party's SDP as last offered or answered in the dialog. */
  currentSdp(): string | undefined {
    return this.dialog?.remoteSdp || undefined;
  }

  dialogKey(): DialogKey | undefined {
    const d = this.dialog;
    return d && !d.destroyed ? { callId: d.callId, localTag: d.localTag, remoteTag: d.remoteTag } : undefined;
  }

  private failed(err: unknown): void {
    this.deps.clock.clearTimeout(this.timer);
    const wasOver = this.over;
    this.over = true;
    this.end();
    if (wasOver) return;
    if (err instanceof SipError) {
      this.sipStatus = err.status;
      const cause = causeFromReasonHeader(err.reasonHeader) ?? causeForSipStatus(err.status);
      this.log.info({ status: err.status, cause }, 'called party refused');
      // 408 from the stack is its own timeout (Timer B): nothing came back. A 503 is an answer, not silence.
      this.events.onFail?.({ cause, sipStatus: err.status, unreachable: err.status === 408 && !this.heard });
      return;
    }
    this.log.warn({ err }, 'INVITE to the called party failed');
    this.events.onFail?.({ cause: 41, unreachable: true });
  }

  /** Not even a 100 Trying: the destination is down or unreachable. */
  private noResponse(): void {
    if (this.over || this.heard) return;
    this.log.warn({ afterMs: this.req.noResponseMs }, 'no response from the SIP destination; failing over');
    this.over = true;
    this.sipStatus = 408;
    this.abort.abort();
    this.end();
    this.events.onFail?.({ cause: CAUSE_RECOVERY_ON_TIMER_EXPIRY, sipStatus: 408, unreachable: true });
  }

  private noAnswer(): void {
    if (this.over) return;
    this.log.info({ afterMs: this.req.answerTimeoutMs }, 'no answer from the called party; canceling');
    this.over = true;
    this.abort.abort();
    this.events.onFail?.({ cause: CAUSE_NO_ANSWER, sipStatus: 480 });
    // settled when the CANCEL's 487 (or the stack's give-up) rejects the INVITE
  }

  private end(): void {
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.settle();
  }
}
