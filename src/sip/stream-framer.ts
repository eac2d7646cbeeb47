/**
 * Splits a SIP byte stream (TCP, TLS) into messages (RFC 3261 §18.3): the header section ends at
 * the first empty line and Content-Length, mandatory on a stream, says how many body bytes follow.
 * Between messages, CRLFCRLF is a keep-alive ping and a lone CRLF its pong (RFC 5626 §3.5.1).
 * Pure and total over Buffers: any bytes give events, never an exception. A framing error is
 * final for the connection: the stream cannot be resynchronised, so the owner answers and closes.
 */

export type FrameEvent =
  /** One whole message, header section and body. */
  | { type: 'message'; bytes: Buffer }
  /** CRLFCRLF between messages: answer with one CRLF (RFC 5626 §4.4.1). */
  | { type: 'ping' }
  /** A lone CRLF between messages (the answer to a ping of ours). */
  | { type: 'pong' }
  /**
   * The stream cannot be framed any further: 400 (no or bad Content-Length, §18.3) or 413 (a
   * message beyond the per-connection bound, §21.4.11). `head` is the header section when it was
   * read, so a request can still be answered.
   */
  | { type: 'error'; status: 400 | 413; reason: string; head?: Buffer };

const CR = 0x0d;
const LF = 0x0a;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** Content-Length or its compact form `l` at the start of a header line (§7.3.3), value up to the line end. */
const CONTENT_LENGTH = /(?:^|\r\n)(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/gi;

/** The Content-Length of a header section: a number, 'missing', or 'bad' (not digits, or two that differ). */
export function streamContentLength(head: string): number | 'missing' | 'bad' {
  let value: string | undefined;
  for (const m of head.matchAll(CONTENT_LENGTH)) {
    const v = m[1].trim();
    if (!/^\d{1,9}$/.test(v)) return 'bad';
    if (value !== undefined && Number(value) !== Number(v)) return 'bad';
    value = v;
  }
  return value === undefined ? 'missing' : Number(value);
}

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Where the search for the end of the header section resumes (bytes before it were searched). */
  private searchFrom = 0;
  private failed = false;

  /** @param maxMessageBytes the most a message (headers and body) may take, and so the most buffered. */
  constructor(private readonly maxMessageBytes = 65_535) {}

  /** Bytes held, waiting for the rest of a message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Takes the next bytes read from the stream; returns what they complete. After an error, nothing more. */
  push(chunk: Buffer): FrameEvent[] {
    if (this.failed) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: FrameEvent[] = [];
    for (;;) {
      const ev = this.next();
      if (!ev) break;
      out.push(ev);
      if (ev.type === 'error') {
        this.failed = true;
        this.buf = Buffer.alloc(0);
        break;
      }
    }
    return out;
  }

  /** One event from the front of the buffer, or undefined when more bytes are needed. */
  private next(): FrameEvent | undefined {
    let b = this.buf;
    // Between messages (RFC 5626 §3.5.1; RFC 3261 §7.5 lets CRLFs precede a start line). A stray
    // CR or LF that is neither ping nor pong is skipped.
    while (b.length > 0 && (b[0] === CR || b[0] === LF)) {
      if (b[0] === CR && b.length < 2) return undefined;
      if (b[0] === LF || b[1] !== LF) {
        b = this.skip(1);
        continue;
      }
      if (b.length < 4) {
        // CRLF then something else is a pong; CRLF then CR may still become a ping.
        if (b.length === 3 && b[2] !== CR) return this.consume(2, { type: 'pong' });
        return undefined;
      }
      if (b[2] === CR && b[3] === LF) return this.consume(4, { type: 'ping' });
      return this.consume(2, { type: 'pong' });
    }
    if (b.length === 0) return undefined;
    const end = b.indexOf(HEADER_END, Math.max(0, this.searchFrom - 3));
    if (end < 0) {
      if (b.length > this.maxMessageBytes) return { type: 'error', status: 413, reason: `no end of headers in ${b.length} bytes` };
      this.searchFrom = b.length;
      return undefined;
    }
    const headBytes = end + 4;
    const head = b.subarray(0, headBytes);
    const length = streamContentLength(b.toString('latin1', 0, end));
    if (length === 'missing') return { type: 'error', status: 400, reason: 'Content-Length missing on a stream (RFC 3261 §18.3)', head: Buffer.from(head) };
    if (length === 'bad') return { type: 'error', status: 400, reason: 'bad Content-Length', head: Buffer.from(head) };
    const total = headBytes + length;
    if (total > this.maxMessageBytes) return { type: 'error', status: 413, reason: `message of ${total} bytes over ${this.maxMessageBytes}`, head: Buffer.from(head) };
    if (b.length < total) return undefined;
    const bytes = Buffer.from(b.subarray(0, total));
    this.buf = b.subarray(total);
    this.searchFrom = 0;
    return { type: 'message', bytes };
  }

  private consume(n: number, ev: FrameEvent): FrameEvent {
    this.skip(n);
    return ev;
  }

  private skip(n: number): Buffer {
    this.buf = this.buf.subarray(n);
    this.searchFrom = 0;
    return this.buf;
  }
}
