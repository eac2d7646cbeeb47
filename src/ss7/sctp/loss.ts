/**
 * How the patched package reports the end of an association: COMMUNICATION LOST (RFC 9260 §10.2)
 * with an event name and the error causes of the ABORT received or sent. Turned here into the
 * transport's 'down' reason.
 */

/** Event names of the package's COMMUNICATION LOST (patches/sctp+1.0.0.patch, association.js `_destroy`). */
export type PkgLossEvent =
  | 'abort'
  | 'no-user-data'
  | 'invalid-init-ack'
  | 'shutdown-guard'
  | 'user-abort'
  | 'aborted'
  | 'heartbeat'
  | 'retransmit-timeout'
  | 'init-timeout'
  | 'shutdown-timeout'
  | 'icmp'
  | 'endpoint-closed'
  | 'destroyed';

/** An error cause as the package decodes (received ABORT) or encodes (sent ABORT) it. */
export interface PkgErrorCause {
  cause?: string;
  cause_code?: number;
  tsn?: number;
  abort_reason?: string;
  additional_information?: string;
  stream_id?: number;
}

const REASONS: Record<PkgLossEvent, string> = {
  abort: 'peer aborted',
  'no-user-data': 'ABORT sent: DATA chunk without user data (RFC 9260 §6.2)',
  'invalid-init-ack': 'ABORT sent: INIT ACK with no inbound streams (RFC 9260 §3.3.3)',
  'shutdown-guard': 'ABORT sent: T5-shutdown-guard expired',
  'user-abort': 'aborted by user',
  aborted: 'ABORT sent',
  heartbeat: 'peer unreachable (heartbeat)',
  'retransmit-timeout': 'peer unreachable (DATA retransmissions)',
  'init-timeout': 'no answer to INIT (Max.Init.Retransmits)',
  'shutdown-timeout': 'peer unreachable during SHUTDOWN (T2-shutdown)',
  icmp: 'peer unreachable (ICMP)',
  'endpoint-closed': 'transport closed',
  destroyed: 'association destroyed',
};

/** Events where an ABORT crossed the wire (counted in `softswitch_sctp_aborts_total`). */
export const ABORT_EVENTS: ReadonlySet<string> = new Set<PkgLossEvent>(['abort', 'no-user-data', 'invalid-init-ack', 'shutdown-guard', 'aborted']);

/** RFC 9260 §3.3.10 cause names as the package spells them (defs.js CAUSE_CODES). */
const CAUSE_NAMES: Record<string, string> = {
  INVALID_STREAM_IDENTIFIER: 'Invalid Stream Identifier',
  MISSING_MANDATORY_PARAMETER: 'Missing Mandatory Parameter',
  STALE_COOKIE_ERROR: 'Stale Cookie',
  OUT_OF_RESOURCE: 'Out of Resource',
  UNRESOLVABLE_ADDRESS: 'Unresolvable Address',
  UNRECONGNIZED_CHUNK_TYPE: 'Unrecognized Chunk Type',
  INVALID_MANDATORY_PARAMETER: 'Invalid Mandatory Parameter',
  UNRECONGNIZED_PARAMETERS: 'Unrecognized Parameters',
  NO_USER_DATA: 'No User Data',
  COOKIE_RECEIVED_WHILE_SHUTTING_DOWN: 'Cookie Received While Shutting Down',
  RESTART_WITH_NEW_ADDRESSES: 'Restart with New Addresses',
  USER_INITIATED_ABORT: 'User-Initiated Abort',
  PROTOCOL_VIOLATION: 'Protocol Violation',
};

function describeCause(c: PkgErrorCause): string {
  const name = (c.cause && CAUSE_NAMES[c.cause]) ?? `cause ${c.cause_code ?? '?'}`;
  if (c.cause === 'NO_USER_DATA' && c.tsn !== undefined) return `${name} (TSN ${c.tsn})`;
  const text = c.abort_reason ?? c.additional_information;
  return text ? `${name}: ${text}` : name;
}

/** The 'down' reason for a COMMUNICATION LOST, e.g. "peer aborted: No User Data (TSN 7)". */
export function lossReason(event: string | undefined, causes?: PkgErrorCause[]): string {
  const base = REASONS[event as PkgLossEvent] ?? 'communication lost';
  return causes?.length && event === 'abort' ? `${base}: ${causes.map(describeCause).join('; ')}` : base;
}
