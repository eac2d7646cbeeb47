/**
 * The two mappings between basic call control and the wire: an FSM send request → the ISUP
 * message to send, and a received ISUP message → the FSM event. Shared by every user of
 * {@link IsupCallRunner} (the switch's calls, the tandem simulator).
 */
import type { IsupCallEvent, IsupSendRequest } from './call-fsm.js';
import { buildAcm, buildAnm, buildCpg, buildRel, buildRlc, buildRsc } from './builders.js';
import type { IamMessage, IsupMessage } from './messages.js';
import { q850Equivalent } from './params/cause.js';

/** The message for a send request on `cic`; the IAM comes from the caller, who knows the call. */
export function messageForRequest(req: IsupSendRequest, cic: number, iam: () => IamMessage): IsupMessage {
  switch (req.type) {
    case 'IAM':
      return iam();
    case 'ACM':
      return buildAcm(cic);
    case 'CPG':
      return buildCpg(cic);
    case 'ANM':
      return buildAnm(cic);
    case 'REL':
      return buildRel(cic, req.cause);
    case 'RLC':
      return buildRlc(cic);
    case 'RSC':
      return buildRsc(cic);
  }
}

/** The call-control event for a received message, or undefined when basic call does not use it. */
export function eventForMessage(msg: IsupMessage): IsupCallEvent | undefined {
  switch (msg.type) {
    case 'IAM':
      return { name: 'ISUP_IAM' };
    case 'ACM':
      return { name: 'ISUP_ACM' };
    case 'CON':
      return { name: 'ISUP_CON' };
    case 'ANM':
      return { name: 'ISUP_ANM' };
    case 'CPG':
      return { name: 'ISUP_CPG' };
    case 'REL':
      return { name: 'ISUP_REL', cause: q850Equivalent(msg.cause) };
    case 'RLC':
      return { name: 'ISUP_RLC' };
    default:
      return undefined;
  }
}
