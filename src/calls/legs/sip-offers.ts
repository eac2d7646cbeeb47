/**
 * New offers inside an answered SIP dialog, for the SIP legs: the party's re-INVITE/UPDATE goes to
 * the call (which asks the other side) and the answer comes back in the 200; the call's offer to
 * the party is a re-INVITE whose answer it gets back. SIP failures become OfferRefused.
 */
import type { Logger } from '../../util/log.js';
import { SipError, type AckInfo, type Dialog, type InboundRequest, type InviteResponder } from '../../sip/port.js';
import type { LegOrigin } from '../sdp-origin.js';
import { OfferRefused, type OfferHandler } from './leg.js';

/**
 * Answers the party's offers in `dialog` through `handler()` (read at each offer). A re-INVITE
 * without SDP gets our current SDP as the offer (RFC 3264 §4); the answer in its ACK, when it
 * changes the party's description, goes to the handler as the party's new description (its own
 * answer is not needed: the party already holds ours). Answers continue the leg's `origin` (RFC 3264 §8).
 */
export function serveOffers(dialog: Dialog, handler: () => OfferHandler | undefined, log: Logger, origin: LegOrigin): void {
  dialog.on('modify', (req: InboundRequest, res: InviteResponder) => {
    const h = handler();
    if (!req.body) {
      const before = dialog.remoteSdp;
      res.send(200, undefined, { body: dialog.localSdp });
      const onAck = (info?: AckInfo) => {
        dialog.off('ack', onAck);
        if (!info?.sdp || info.sdp === before || !h) return;
        h(info.sdp).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'answer in the ACK could not be applied to the other side'));
      };
      dialog.on('ack', onAck);
      return;
    }
    if (!h) return res.send(488, 'Not Acceptable Here');
    h(req.body).then(
      (answer) => {
        if (!dialog.destroyed && !res.finalResponseSent) res.send(200, undefined, { body: origin.outgoing(answer) });
      },
      (err: unknown) => {
        const status = err instanceof OfferRefused ? err.status : 500;
        if (!(err instanceof OfferRefused)) log.error({ err }, 'offer handling failed (a bug); answered 500');
        if (dialog.destroyed || res.finalResponseSent) return;
        res.send(status, undefined, status === 500 ? { headers: { 'Retry-After': '2' } } : {});
      },
    );
  });
}

/**
 * Our re-INVITE to the party with the other side's offer, its o= line continuing the leg's `origin`;
 * its answer, or OfferRefused with a status the other side can be given. A refused offer changes
 * nothing in the session (RFC 3261 §14.1), so the leg's origin goes back to where it was.
 */
export async function offerTo(dialog: Dialog | undefined, offer: string, origin: LegOrigin): Promise<string> {
  if (!dialog || dialog.destroyed) throw new OfferRefused(481, 'the dialog is gone');
  const before = origin.mark();
  try {
    return await dialog.modify(origin.outgoing(offer));
  } catch (err) {
    origin.restore(before);
    if (!(err instanceof SipError)) throw new OfferRefused(500, (err as Error).message);
    // 491 passes through so the offerer backs off and retries (RFC 3261 §14.1); 488/606 refuse the
    // description; anything else is this hop's failure.
    const status = err.status === 491 || err.status === 488 ? err.status : err.status === 606 ? 488 : 500;
    throw new OfferRefused(status, `party answered ${err.status}`);
  }
}
