/** Wire-level MGCP failures as typed values (not operator errors: those live in src/errors.ts). */
import { describeReturnCode } from './constants.js';

export type MgcpErrorKind =
  /** The gateway answered with a 4xx/5xx/8xx return code. */
  | 'rejected'
  /** No final response within the retransmission budget (RFC 3435 §4.3). */
  | 'timeout'
  /** The layer was closed with the transaction outstanding. */
  | 'closed'
  /** The request could not be encoded (bad endpoint, SDP holding a "." line, ...). */
  | 'invalid';

export class MgcpError extends Error {
  override readonly name = 'MgcpError';

  constructor(
    readonly kind: MgcpErrorKind,
    /** Gateway return code for `rejected`. */
    readonly code: number | undefined,
    /** Gateway commentary, or what went wrong locally. */
    readonly text: string,
    readonly transactionId?: number,
  ) {
    super(code !== undefined ? `MGCP ${code} ${text || describeReturnCode(code)}` : `MGCP ${kind}: ${text}`);
  }
}
