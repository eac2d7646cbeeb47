/**
 * A streaming text body parser for uploads (rate decks): the body is checked as it arrives and
 * refused as soon as it is known to be bad, never buffered beyond the route's bodyLimit:
 *   - Content-Length above the limit: 413 before one byte is read;
 *   - more bytes than the limit (chunked or lying Content-Length): 413 at the chunk that crosses it;
 *   - not UTF-8 (binary junk) or a NUL byte: 415 at that chunk;
 *   - `onLines` sees each batch of complete lines and can refuse the rest (422 for a bad deck row).
 * The connection is closed after such a reply (see security.ts), so the client stops sending.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

export interface TextBodyOptions {
  /** Each batch of complete lines (ending in "\n") with the 1-based number of its first line; an error refuses the body. */
  onLines?: (req: FastifyRequest, text: string, firstLine: number) => HttpError | undefined;
  /** Lines are handed to onLines once this many characters are waiting. */
  batchChars?: number;
  /** A line longer than this refuses the body with `lineTooLong(lineNumber)` (with onLines only; default 64 Ki characters). */
  maxLineChars?: number;
  lineTooLong?: (req: FastifyRequest, line: number, maxChars: number) => HttpError;
}

const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export function streamingTextParser(opts: TextBodyOptions = {}) {
  const batchChars = opts.batchChars ?? 256 * 1024;
  const maxLineChars = opts.maxLineChars ?? 64 * 1024;
  const lineTooLong = opts.lineTooLong ?? ((_req, line, max) => HttpError.of(415, 'SSW_ERR_API_MEDIA_TYPE', `line ${line} is longer than ${max} characters: not line-oriented text`));
  return (req: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: string) => void): void => {
    const limit = req.routeOptions.bodyLimit;
    const tooLarge = () => HttpError.of(413, 'SSW_ERR_API_BODY_TOO_LARGE', `this route accepts at most ${limit} bytes`);
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return done(tooLarge());
    const charset = /;\s*charset="?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && !UTF8_CHARSETS.has(charset)) return done(HttpError.of(415, 'SSW_ERR_API_MEDIA_TYPE', `charset ${charset}: send UTF-8`));

    const decoder = new TextDecoder('utf-8', { fatal: true });
    const parts: string[] = [];
    let received = 0;
    let pending = '';
    let nextLine = 1;
    /** Characters since the last newline: bounds the unterminated line without rescanning it. */
    let openLineChars = 0;
    let finished = false;
    const finish = (err: Error | null, body?: string) => {
      if (finished) return;
      finished = true;
      payload.off('data', onData);
      payload.off('end', onEnd);
      payload.off('error', onError);
      payload.off('close', onClose);
      if (err) payload.pause();
      done(err, body);
    };
    const take = (text: string, final: boolean): HttpError | undefined => {
      if (text.includes('\0')) return HttpError.of(415, 'SSW_ERR_API_MEDIA_TYPE', 'the body contains NUL bytes: not a text file');
      parts.push(text);
      if (!opts.onLines) return undefined;
      const nl = text.lastIndexOf('\n');
      openLineChars = nl < 0 ? openLineChars + text.length : text.length - nl - 1;
      if (openLineChars > maxLineChars) return lineTooLong(req, nextLine + countNewlines(pending) + countNewlines(text), maxLineChars);
      pending += text;
      if (!final && pending.length < batchChars) return undefined;
      const cut = final ? pending.length : pending.lastIndexOf('\n') + 1;
      if (cut === 0) return undefined;
      const lines = pending.slice(0, cut);
      pending = pending.slice(cut);
      const err = opts.onLines(req, lines, nextLine);
      nextLine += countNewlines(lines);
      return err;
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return finish(tooLarge());
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        return finish(HttpError.of(415, 'SSW_ERR_API_MEDIA_TYPE', `the body is not UTF-8 text (invalid bytes within the first ${received} bytes)`));
      }
      const err = take(text, false);
      if (err) finish(err);
    };
    const onEnd = () => {
      let tail: string;
      try {
        tail = decoder.decode();
      } catch {
        return finish(HttpError.of(415, 'SSW_ERR_API_MEDIA_TYPE', 'the body ends inside a UTF-8 sequence'));
      }
      const err = take(tail, true);
      if (err) return finish(err);
      finish(null, parts.join(''));
    };
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(new Error('the client closed the connection during the upload'));
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.on('close', onClose);
  };
}
