/**
 * One signalling port, two INVITE consumers: Class 5 takes the INVITEs it claims (subscribers
 * calling), the trunk intake gets the rest through the returned view of the port.
 */
import type { InboundRequest, InviteResponder, SignallingPort } from '../sip/port.js';

export function claimInvites(sip: SignallingPort, claimant: { claims(req: InboundRequest): boolean; onInvite(req: InboundRequest, res: InviteResponder): void }): SignallingPort {
  let rest: ((req: InboundRequest, res: InviteResponder) => void) | undefined;
  sip.onInvite((req, res) => {
    if (claimant.claims(req)) claimant.onInvite(req, res);
    else if (rest) rest(req, res);
    else res.send(480);
  });
  return {
    onInvite: (handler) => void (rest = handler),
    onRequest: (method, handler) => sip.onRequest(method, handler),
    createUAS: (req, res, opts) => sip.createUAS(req, res, opts),
    createUAC: (uri, opts) => sip.createUAC(uri, opts),
    request: (uri, opts) => sip.request(uri, opts),
    close: () => sip.close(),
  };
}
