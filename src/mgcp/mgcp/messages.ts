/** Decoded MGCP messages (RFC 3435 §3.1): a discriminated union on `type`. */

/** One parameter line, name upper-cased (RFC 3435 §3.2.2), value as sent without surrounding blanks. */
export interface MgcpParam {
  readonly name: string;
  readonly value: string;
}

export interface MgcpCommand {
  readonly type: 'command';
  /** Upper-cased verb; the decoder only yields known verbs (others become a 504 error value). */
  readonly verb: string;
  readonly transactionId: number;
  readonly endpoint: string;
  /** e.g. "1.0"; a profile name after the version is kept in `profile`. */
  readonly version: string;
  readonly profile?: string;
  readonly params: readonly MgcpParam[];
  /** Session description after the empty line, lines joined by CRLF with a final CRLF. */
  readonly sdp?: string;
}

export interface MgcpResponse {
  readonly type: 'response';
  readonly code: number;
  readonly transactionId: number;
  /** Package name for 8xx codes (RFC 3435 §3.3), without the slash. */
  readonly packageName?: string;
  readonly comment: string;
  readonly params: readonly MgcpParam[];
  readonly sdp?: string;
}

/**
 * Why a message cannot be accepted, with the return code to answer (RFC 3435 §2.4) and the
 * transaction id when it could be read, so the receiver can reply instead of dropping.
 */
export interface MgcpDecodeError {
  readonly type: 'error';
  readonly code: number;
  readonly reason: string;
  readonly transactionId?: number;
  /** True when the offending message was a response (never answered). */
  readonly inResponse?: boolean;
}

export type MgcpMessage = MgcpCommand | MgcpResponse;
export type MgcpDecoded = MgcpMessage | MgcpDecodeError;

/** The value of the first parameter named `name` (case-insensitive). */
export function paramValue(msg: { params: readonly MgcpParam[] }, name: string): string | undefined {
  const upper = name.toUpperCase();
  for (const p of msg.params) if (p.name === upper) return p.value;
  return undefined;
}

export function command(
  verb: string,
  transactionId: number,
  endpoint: string,
  params: readonly MgcpParam[] = [],
  sdp?: string,
): MgcpCommand {
  return { type: 'command', verb, transactionId, endpoint, version: '1.0', params, ...(sdp ? { sdp } : {}) };
}

export function response(
  code: number,
  transactionId: number,
  comment: string,
  params: readonly MgcpParam[] = [],
  sdp?: string,
): MgcpResponse {
  return { type: 'response', code, transactionId, comment, params, ...(sdp ? { sdp } : {}) };
}
