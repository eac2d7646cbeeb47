/**
 * A REFER inside an answered SIP leg's dialog as the engine's ReferRequest (RFC 3515): refused with a
 * final status, or accepted with 202 and followed by NOTIFYs in the same dialog (the implicit
 * subscription, §2.4.4) whose message/sipfrag bodies carry the status line of the transfer's
 * progress (§2.4.5): "SIP/2.0 100 Trying" at once, then the final outcome, which terminates it.
 */
import type { Logger } from '../../util/log.js';
import { reasonPhrase } from '../../sip/constants.js';
import type { Dialog, InboundRequest, RequestResponder } from '../../sip/port.js';
import type { ReferRequest } from './leg.js';
import { foreignRefer, type DialogPeer } from './refer-guard.js';

/** How long the implicit subscription is said to last while the transfer is in progress (RFC 3515 §2.4.4). */
const SUBSCRIPTION_EXPIRES_S = 60;

export function sipFrag(status: number, reason?: string): string {
  return `SIP/2.0 ${status} ${reason ?? reasonPhrase(status)}\r\n`;
}

export class SipReferRequest implements ReferRequest {
  readonly referTo: string;
  readonly referredBy?: string;
  /** RFC 3515 §2.4.6: NOTIFYs carry the REFER's CSeq number as the event id. */
  private readonly eventId: string;
  private last: Promise<void> = Promise.resolve();
  private terminated = false;

  constructor(
    private readonly dialog: Dialog,
    req: InboundRequest,
    private readonly res: RequestResponder,
    private readonly log: Logger,
  ) {
    this.referTo = req.get('refer-to') ?? '';
    this.referredBy = req.get('referred-by');
    this.eventId = (req.get('cseq') ?? '').trim().split(/\s+/)[0] ?? '';
  }

  refuse(status: number, reason?: string): void {
    if (!this.res.finalResponseSent) this.res.send(status, reason);
    this.terminated = true;
  }

  accept(): void {
    if (this.res.finalResponseSent) return;
    this.res.send(202, 'Accepted');
    void this.notify(100);
  }

  notify(status: number, reason?: string): Promise<void> {
    if (this.terminated) return this.last;
    const final = status >= 200;
    if (final) this.terminated = true;
    const headers: Record<string, string> = {
      Event: this.eventId ? `refer;id=${this.eventId}` : 'refer',
      'Subscription-State': final ? 'terminated;reason=noresource' : `active;expires=${SUBSCRIPTION_EXPIRES_S}`,
    };
    // One NOTIFY at a time, in order: a final one must not overtake the 100 Trying.
    this.last = this.last.then(async () => {
      const r = await this.dialog.request('NOTIFY', { headers, body: sipFrag(status, reason), contentType: 'message/sipfrag;version=2.0' });
      if (r.status >= 300) this.log.info({ status: r.status, sipfrag: status }, 'refer NOTIFY refused by the transferor');
    });
    return this.last;
  }
}

/**
 * Hands REFERs in `dialog` to `handler()` (read at each REFER); 400 without Refer-To (RFC 3515 §2.4.1),
 * 403 when the call has no transfer handler, and 403 (400 when malformed) when the REFER is not the
 * dialog peer's own (./refer-guard.ts: its Referred-By or its source address says someone else).
 */
export function serveRefers(dialog: Dialog, handler: () => ((r: ReferRequest) => void) | undefined, log: Logger, peer: DialogPeer = {}): void {
  dialog.on('refer', (req: InboundRequest, res: RequestResponder) => {
    const h = handler();
    const refer = new SipReferRequest(dialog, req, res, log);
    if (!refer.referTo) return refer.refuse(400, 'Bad Request (Refer-To missing)');
    const foreign = foreignRefer({ referredBy: refer.referredBy, from: req.from.uri, sourceAddress: req.sourceAddress }, peer);
    if (foreign) {
      log.warn({ status: foreign.status, why: foreign.why, referredBy: refer.referredBy, from: req.from.uri, source: req.sourceAddress }, 'REFER refused: not the dialog peer’s own (check for a spoofed transfer request)');
      return refer.refuse(foreign.status);
    }
    if (!h) return refer.refuse(403, 'Forbidden (transfer not available on this call)');
    h(refer);
  });
}
