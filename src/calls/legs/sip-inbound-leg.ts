/**
 * The originating leg of a call that arrived as a SIP INVITE: its SDP is the offer; progress,
 * answer and failure go back as 180/183, 200 and a failure status with a Reason header
 * (RFC 3398 §8.2, RFC 3326); CANCEL and BYE release the call.
 */
import { lazyChild, type Logger } from '../../util/log.js';
import type { Dialog, InboundRequest, InviteResponder, SignallingPort } from '../../sip/port.js';
import { causeFromReasonHeader, reasonHeader, sipStatusForCause } from '../interworking/cause-map.js';
import { declineAllStreams } from '../sdp.js';
import { LegOrigin } from '../sdp-origin.js';
import type { CallParty, DialogKey, LegDetails, LegFailure, OriginatingLeg, OriginatingLegEvents } from './leg.js';
import { offerTo, serveOffers } from './sip-offers.js';
import { serveRefers } from './sip-refer.js';

const CAUSE_NORMAL = 16;

export interface SipInboundLegDeps {
  sip: SignallingPort;
  logger: Logger;
  /** Address for SDP the switch writes itself. */
  mediaAddress: string;
}

export class SipInboundLeg implements OriginatingLeg {
  readonly kind = 'sip' as const;
  events: OriginatingLegEvents = {};
  readonly settled: Promise<void>;
  private settle!: () => void;
  private dialog?: Dialog;
  private provisionalSent = false;
  private sipStatus?: number;
  private answering = false;
  private released = false;
  private readonly log: Logger;
  /** Every SDP to the caller continues one origin (RFC 3264 §8), whichever far end it came from. */
  private readonly origin = new LegOrigin();

  constructor(
    private readonly deps: SipInboundLegDeps,
    private readonly req: InboundRequest,
    private readonly res: InviteResponder,
    readonly party: CallParty,
  ) {
    this.settled = new Promise((r) => (this.settle = r));
    this.log = lazyChild(deps.logger, { sipCallId: req.callId });
    req.on('cancel', () => {
      this.log.info('caller canceled');
      this.sipStatus = 487;
      if (!this.answering) this.settle();
      this.events.onRelease?.(CAUSE_NORMAL);
    });
  }

  details(): LegDetails {
    return { sipCallId: this.req.callId, sipStatus: this.sipStatus };
  }

  async prepareOffer(): Promise<string | undefined> {
    return this.req.body || undefined;
  }

  progress(p: { alerting: boolean; sdp?: string }): void {
    if (this.provisionalSent || this.res.finalResponseSent) return;
    this.provisionalSent = true;
    // RFC 3398 §8.2.2: ACM → 180, or 183 with SDP when the network provides in-band tones.
    if (p.sdp) this.res.send(183, 'Session Progress', { body: this.origin.outgoing(p.sdp) });
    else if (p.alerting) this.res.send(180, 'Ringing');
    else this.res.send(183, 'Session Progress');
  }

  async answer(sdp?: string): Promise<boolean> {
    if (this.req.canceled) return false;
    this.answering = true;
    let dialog: Dialog;
    try {
      dialog = await this.deps.sip.createUAS(this.req, this.res, { localSdp: this.origin.outgoing(sdp ?? declineAllStreams(this.req.body, this.deps.mediaAddress)) });
    } catch (err) {
      this.log.info({ err: (err as Error).message }, 'caller gone before answer');
      this.answering = false;
      this.settle();
      return false;
    }
    this.answering = false;
    this.dialog = dialog;
    this.sipStatus = 200;
    serveOffers(dialog, () => this.events.onOffer, this.log, this.origin);
    // The caller's signalling came from the INVITE's source: its REFERs must too.
    serveRefers(dialog, () => this.events.onRefer, this.log, { address: this.req.sourceAddress });
    dialog.on('destroy', (info) => {
      const cause = causeFromReasonHeader(info.reason) ?? CAUSE_NORMAL;
      this.log.info({ cause, by: info.by }, 'caller released (BYE)');
      this.released = true;
      this.settle();
      this.events.onRelease?.(cause);
    });
    return true;
  }

  /** The called side's new offer: a re-INVITE to the caller. */
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

  reject(failure: LegFailure): void {
    if (!this.res.finalResponseSent && !this.req.canceled) {
      const status = failure.sipStatus && failure.sipStatus >= 300 ? failure.sipStatus : sipStatusForCause(failure.cause);
      this.sipStatus = status;
      const headers: Record<string, string> = { Reason: reasonHeader(failure.cause) };
      if (failure.retryAfterS) headers['Retry-After'] = String(failure.retryAfterS);
      this.res.send(status, undefined, { headers });
    }
    if (!this.answering) this.settle();
  }

  release(cause: number): void {
    this.released = true;
    if (this.dialog) this.bye(cause);
    else if (!this.answering) this.reject({ cause });
  }

  private bye(cause: number): void {
    const d = this.dialog;
    if (!d || d.destroyed) return this.settle();
    d.destroy({ headers: { Reason: reasonHeader(cause) } })
      .catch((err: unknown) => this.log.warn({ err }, 'BYE to the caller failed'))
      .finally(() => this.settle());
  }
}
