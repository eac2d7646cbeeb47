/**
 * H.248.1 v1 text codec (RFC 3525 Annex B) with v3 segmentation (segmented TransactionReply,
 * SegmentReply): pure functions between bytes and {@link Message}s.
 * `decode` never throws: any byte sequence yields a message or an {@link H248DecodeError} value
 * carrying the error code to answer with (§8.2: 400 for the message, 403 for a request).
 * Text is latin1 so every byte round-trips. `encode` writes the pretty or the compact form.
 */
import { ERR, LIMITS } from './constants.js';
import type { H248Decoded, H248DecodeError, Message, Mid, Transaction } from './messages.js';
import { TextParser, type ParseContext } from './text-parser.js';
import { ParseFailure } from './text-scanner.js';
import { EncodeFailure, TextWriter } from './text-writer.js';

export type TextEncoding = 'pretty' | 'compact';

export interface EncodeOptions {
  /** Long tokens with one item a line ("pretty", the default) or short tokens without white space. */
  readonly encoding?: TextEncoding;
}

const writers = { pretty: new TextWriter(false), compact: new TextWriter(true) };

/** Decodes one message (a UDP datagram carries exactly one, Annex D.1). */
export function decode(input: Uint8Array | string): H248Decoded {
  const length = typeof input === 'string' ? input.length : input.length;
  if (length === 0) return { type: 'error', code: ERR.SYNTAX_IN_MESSAGE, reason: 'empty message', offset: 0 };
  if (length > LIMITS.maxMessageBytes)
    return { type: 'error', code: ERR.SYNTAX_IN_MESSAGE, reason: `message larger than ${LIMITS.maxMessageBytes} bytes`, offset: 0 };
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.length).toString('latin1');
  const ctx: ParseContext = { transactions: [] };
  const parser = new TextParser(text, ctx);
  try {
    return parser.message();
  } catch (e) {
    if (!(e instanceof ParseFailure)) {
      // A parser defect must not take the receiver down; report it as a syntax error.
      return { type: 'error', code: ERR.SYNTAX_IN_MESSAGE, reason: `decoder fault: ${String(e)}`, offset: parser.offset };
    }
    const err: H248DecodeError = {
      type: 'error',
      code: ctx.inRequest ? ERR.SYNTAX_IN_TRANSACTION : ERR.SYNTAX_IN_MESSAGE,
      reason: e.reason,
      offset: e.offset,
      ...(ctx.mid ? { mid: ctx.mid } : {}),
      ...(ctx.version !== undefined ? { version: ctx.version } : {}),
      ...(ctx.transactionId !== undefined ? { transactionId: ctx.transactionId, inRequest: ctx.inRequest === true } : {}),
      ...(ctx.transactions.length > 0 ? { transactions: ctx.transactions } : {}),
    };
    return err;
  }
}

/** Why `msg` cannot be written in the text encoding, or undefined when it can. */
export function checkEncodable(msg: Message): string | undefined {
  try {
    writers.pretty.message(msg);
    return undefined;
  } catch (e) {
    if (e instanceof EncodeFailure) return e.reason;
    return `not a message: ${String(e)}`;
  }
}

/** The text of `msg`; throws TypeError for a message {@link checkEncodable} refuses (a programming error). */
export function encodeText(msg: Message, opts: EncodeOptions = {}): string {
  try {
    return writers[opts.encoding ?? 'pretty'].message(msg);
  } catch (e) {
    if (e instanceof EncodeFailure) throw new TypeError(`H.248 message cannot be encoded: ${e.reason}`);
    throw e;
  }
}

export function encode(msg: Message, opts: EncodeOptions = {}): Buffer {
  return Buffer.from(encodeText(msg, opts), 'latin1');
}

/** The text of one transaction alone (for sizing a message before adding it). */
export function encodeTransaction(t: Transaction, opts: EncodeOptions = {}): string {
  try {
    return writers[opts.encoding ?? 'pretty'].transaction(t);
  } catch (e) {
    if (e instanceof EncodeFailure) throw new TypeError(`H.248 transaction cannot be encoded: ${e.reason}`);
    throw e;
  }
}

/** The encoding a received message used: compact when its header starts with "!/". */
export function detectEncoding(input: Uint8Array | string): TextEncoding {
  const text = typeof input === 'string' ? input.slice(0, 200) : Buffer.from(input.buffer, input.byteOffset, Math.min(input.length, 200)).toString('latin1');
  return /^\s*(?:[Aa][Uu](?:[Tt][Hh][Ee][Nn][Tt][Ii][Cc][Aa][Tt][Ii][Oo][Nn])?\s*=[^\n]*\n\s*)?!\//.test(text) ? 'compact' : 'pretty';
}

/** An mId written as in a message header ("<mg1.example.net>:2944", "[10.0.0.5]:2944", "mg1"), or undefined. */
export function parseMid(text: string): Mid | undefined {
  const t = text.trim();
  const parser = new TextParser(t, { transactions: [] });
  try {
    const mid = parser.mid();
    return parser.offset === t.length ? mid : undefined;
  } catch (e) {
    if (e instanceof ParseFailure) return undefined;
    throw e;
  }
}
