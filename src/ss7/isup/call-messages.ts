/**
 * The two mappings between basic call control and the wire: an FSM send request → the ISUP
 * message to send, and a received ISUP message → the FSM event. Shared by every user of
 * {@link IsupCallRunner} (the switch's calls, the tandem simulator, the service's own releases).
 */
import type { IsupCallEvent, IsupSendRequest } from './call-fsm.js';
import { buildAcm, buildAnm, buildCpg, buildRel, buildRlc, buildRsc } from './builders.js';
import type { IamMessage, InfMessage, IsupMessage } from './messages.js';
import { q850Equivalent } from './params/cause.js';

/** Builders for requests whose content only the call knows; defaults are used when absent. */
export interface RequestContext {
  /** The answer to an INR (Q.764 §2.1.6.2); default: "calling party address not available", solicited. */
  inf?: () => InfMessage;
}

/** The message for a send request on `cic`; the IAM comes from the caller, who knows the call. */
export function messageForRequest(req: IsupSendRequest, cic: number, iam: () => IamMessage, ctx?: RequestContext): IsupMessage {
  switch (req.type) {
    case 'IAM': {
      const m = iam();
      // Q.764 §2.1.8: nature of connection bits DC = 01, continuity check required on this circuit.
      return req.continuityCheck ? { ...m, natureOfConnection: { ...m.natureOfConnection, continuityCheck: 1 } } : m;
    }
    case 'SAM':
      return { type: 'SAM', cic, subsequentNumber: { digits: req.digits }, optional: [] };
    case 'ACM':
      return buildAcm(cic);
    case 'CPG':
      return buildCpg(cic);
    case 'ANM':
      return buildAnm(cic);
    case 'REL': {
      const rel = buildRel(cic, req.cause);
      // Q.764 §2.11.1: an overloaded exchange puts its automatic congestion level in the REL it sends.
      if (req.acl) rel.optional.push({ name: 'automaticCongestionLevel', value: req.acl });
      return rel;
    }
    case 'RLC':
      return buildRlc(cic);
    case 'RSC':
      return buildRsc(cic);
    case 'INR':
      return {
        type: 'INR',
        cic,
        informationRequest: { callingAddress: true, holding: false, callingCategory: true, chargeInfo: false, maliciousCallId: false, other: 0 },
        optional: [],
      };
    case 'INF':
      return (
        ctx?.inf?.() ?? {
          type: 'INF',
          cic,
          information: { callingAddressResponse: 1, holdProvided: false, callingCategoryIncluded: false, chargeInfoIncluded: false, solicited: true, other: 0 },
          optional: [],
        }
      );
    case 'SUS':
    case 'RES':
      return { type: req.type, cic, suspendResume: { networkInitiated: req.networkInitiated, other: 0 }, optional: [] };
    case 'LPA':
      return { type: 'LPA', cic };
  }
}

/** The call-control event for a received message, or undefined when basic call does not use it. */
export function eventForMessage(msg: IsupMessage): IsupCallEvent | undefined {
  switch (msg.type) {
    case 'IAM':
      return { name: 'ISUP_IAM', continuityCheck: msg.natureOfConnection.continuityCheck };
    case 'SAM':
      return { name: 'ISUP_SAM', digits: msg.subsequentNumber.digits };
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
    case 'COT':
      return { name: 'ISUP_COT', success: msg.continuity.successful };
    case 'CCR':
      return { name: 'ISUP_CCR' };
    case 'INR':
      return { name: 'ISUP_INR' };
    case 'INF':
      return { name: 'ISUP_INF' };
    case 'SUS':
    case 'RES':
      return { name: msg.type === 'SUS' ? 'ISUP_SUS' : 'ISUP_RES', networkInitiated: msg.suspendResume.networkInitiated };
    default:
      return undefined;
  }
}
