/**
 * Operator alarms of the ASP: its ASPUP/ASPAC/ASPIA/ASPDN go unanswered (RFC 4666 §4.3.4.1 lets
 * layer management take over T(ack) retransmission) or the SG refuses them with ERR
 * (§4.3.4.1 management blocking, ASP Identifier; §4.3.4.3 routing context, traffic mode).
 */
import { decodeM3uaLenient, messageName, typeOfCode } from './codec.js';
import { ERROR_CODE_NAMES, ErrorCode } from './constants.js';
import { isDecodeError, type M3uaMessageType } from './messages.js';

export type AspRequest = 'ASPUP' | 'ASPAC' | 'ASPIA' | 'ASPDN';

export interface M3uaAlarm {
  /** true when raised, false when the condition cleared (the request was acknowledged or withdrawn). */
  raised: boolean;
  code: 'M3UA_ACK_TIMEOUT' | 'M3UA_REQUEST_REFUSED';
  request: AspRequest;
  /** Requests sent so far without an acknowledgement. */
  attempts: number;
  /** For M3UA_REQUEST_REFUSED: the RFC 4666 §3.8.1 code of the SG's ERR. */
  errorCode?: number;
  /** Retries go on while raised: every `retryMs` after a refusal; backing off from T(ack) up to `retryMs` after timeouts. */
  retryMs?: number;
  association: string;
  message: string;
}

/** ERR codes by which an SG refuses each request (RFC 4666 §4.3.4.1, §4.3.4.3, §4.3.4.4). */
export const REFUSALS: Record<AspRequest, readonly number[]> = {
  ASPUP: [ErrorCode.REFUSED_MANAGEMENT_BLOCKING, ErrorCode.ASP_ID_REQUIRED, ErrorCode.INVALID_ASP_ID],
  ASPAC: [
    ErrorCode.REFUSED_MANAGEMENT_BLOCKING,
    ErrorCode.INVALID_ROUTING_CONTEXT,
    ErrorCode.NO_CONFIGURED_AS_FOR_ASP,
    ErrorCode.UNSUPPORTED_TRAFFIC_MODE,
  ],
  ASPIA: [ErrorCode.INVALID_ROUTING_CONTEXT, ErrorCode.NO_CONFIGURED_AS_FOR_ASP],
  ASPDN: [],
};

const HINTS: Record<number, string> = {
  [ErrorCode.REFUSED_MANAGEMENT_BLOCKING]: 'the SG operator has blocked this ASP; ask them to unblock it',
  [ErrorCode.ASP_ID_REQUIRED]: 'the SG requires an ASP Identifier: set aspIdentifier for this ASP to the value provisioned on the SG',
  [ErrorCode.INVALID_ASP_ID]: 'the SG does not know this ASP Identifier: align aspIdentifier with the SG provisioning',
  [ErrorCode.INVALID_ROUTING_CONTEXT]: 'the routing context(s) configured here are not provisioned for this ASP on the SG: align routingContexts with the SG',
  [ErrorCode.NO_CONFIGURED_AS_FOR_ASP]: 'the SG has no AS for this ASP: provision the ASP in an AS on the SG or configure its routing context here',
  [ErrorCode.UNSUPPORTED_TRAFFIC_MODE]: 'the traffic mode configured here differs from the AS on the SG: align trafficMode with the SG',
};

export function alarmMessage(a: Omit<M3uaAlarm, 'message'>, rcs: readonly number[] | undefined): string {
  const rcText = rcs?.length ? ` (routing context ${rcs.join(',')})` : '';
  const seconds = a.retryMs === undefined ? undefined : Math.round(a.retryMs / 1000);
  const retry = seconds === undefined ? '' : a.code === 'M3UA_REQUEST_REFUSED' ? `; retrying every ${seconds} s` : `; still retrying, backing off to every ${seconds} s`;
  if (!a.raised) return `${a.request} acknowledged by the SG on ${a.association}${rcText}; alarm cleared`;
  if (a.code === 'M3UA_REQUEST_REFUSED') {
    const name = ERROR_CODE_NAMES[a.errorCode ?? -1] ?? `code ${a.errorCode}`;
    return `SG refused ${a.request} on ${a.association}${rcText} with ERR "${name}": ${HINTS[a.errorCode ?? -1] ?? 'check the SG provisioning for this ASP'}${retry}`;
  }
  const what =
    a.request === 'ASPUP'
      ? 'check that the far end of this association is an SG running M3UA and that this ASP is provisioned there'
      : a.request === 'ASPAC'
        ? 'check that the SG has this ASP in an AS with matching routing context and traffic mode'
        : 'the SG does not answer; the association may need to be reset';
  return `${a.request} unanswered after ${a.attempts} attempts on ${a.association}${rcText}: ${what}${retry}`;
}

/** The message type an ERR's Diagnostic Information starts with (RFC 4666 §3.8.1: the offending message). */
export function diagnosticType(diag: Buffer | undefined): M3uaMessageType | undefined {
  if (!diag || diag.length < 4 || diag[0] !== 1) return undefined;
  return typeOfCode(diag[2], diag[3]);
}

/** "ASPAC (ASP Active) rc=1055" or the header's name and hex, for logs. */
export function describeDiagnostic(diag: Buffer | undefined): string | undefined {
  if (!diag || diag.length === 0) return undefined;
  const type = diagnosticType(diag);
  if (!type) return `unrecognised: ${diag.subarray(0, 16).toString('hex')}`;
  const m = decodeM3uaLenient(diag, []);
  const rc = !isDecodeError(m) && 'routingContext' in m && Array.isArray(m.routingContext) ? ` rc=${m.routingContext.join(',')}` : '';
  return `${messageName(type)}${rc}${isDecodeError(m) ? ` (first ${diag.length} bytes)` : ''}`;
}
