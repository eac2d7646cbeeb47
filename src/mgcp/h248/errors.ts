/** Wire-level H.248 failures as typed values (operator errors live in src/errors.ts). */
import { describeError } from './constants.js';

export type H248ErrorKind =
  /** The peer answered with an error descriptor (H.248.1 §14.2 code). */
  | 'rejected'
  /** No reply within the retransmission budget, or none after TransactionPending (Annex D.1). */
  | 'timeout'
  /** The layer was closed with the transaction outstanding. */
  | 'closed'
  /** The request could not be encoded, or the reply did not carry what the request needs. */
  | 'invalid';

export class H248Error extends Error {
  override readonly name = 'H248Error';

  constructor(
    readonly kind: H248ErrorKind,
    /** The peer's error code for `rejected`. */
    readonly code: number | undefined,
    /** The peer's error text, or what went wrong locally. */
    readonly text: string,
    readonly transactionId?: number,
  ) {
    super(code !== undefined ? `H.248 error ${code} ${text || describeError(code)}` : `H.248 ${kind}: ${text}`);
  }
}
