/**
 * One deck upload as it streams in (run inside the deck worker): bytes are counted against a
 * cap, hashed, decoded as strict UTF-8, checked for NUL, written to the version file and fed to
 * the incremental parser, which may stop at the first sign of junk. Memory is bounded by the
 * parsed rows of a deck that passes (capped by maxRows) and the bounded error list.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { DeckParser, type DeckParseResult, type DeckRows } from './deck.js';
import type { UploadLimits, ValidationReport } from './worker-protocol.js';

export class DeckUpload {
  private readonly parser: DeckParser;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly hash: Hash = createHash('sha256');
  private readonly fd: number;
  private readonly tmp: string;
  private bytes = 0;
  private stop: { line: number; reason: string; refusal: 'media-type' | 'too-large' | 'invalid' } | undefined;
  private closed = false;
  private final: ValidationReport | undefined;

  constructor(
    readonly carrier: string,
    private readonly file: string,
    private readonly limits: UploadLimits,
  ) {
    this.parser = new DeckParser(carrier, { maxRows: limits.maxRows, maxLineChars: limits.maxLineChars, junkAfterRows: limits.junkAfterRows });
    this.tmp = `${file}.part`;
    this.fd = openSync(this.tmp, 'w', 0o600);
  }

  /** The next bytes; a report when the upload is refused here (nothing more is read). */
  push(chunk: Uint8Array): ValidationReport | undefined {
    if (this.stop) return this.report(undefined);
    this.bytes += chunk.byteLength;
    if (this.bytes > this.limits.maxBytes) return this.halt(`larger than ${this.limits.maxBytes} bytes`, 'too-large');
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      return this.halt(`not UTF-8 text (invalid bytes within the first ${this.bytes} bytes)`, 'media-type');
    }
    if (text.includes('\0')) return this.halt('the body contains NUL bytes: not a text file', 'media-type');
    this.hash.update(chunk);
    writeSync(this.fd, chunk);
    const stop = this.parser.push(text);
    if (stop) {
      this.stop = { ...stop, refusal: 'invalid' };
      return this.report(undefined);
    }
    return undefined;
  }

  /** End of the body: the report, and the parsed deck when it is valid (the file is then in place). */
  end(): { report: ValidationReport; deck?: DeckRows } {
    if (this.stop) return { report: this.report(undefined) };
    let tail = '';
    try {
      tail = this.decoder.decode();
    } catch {
      return { report: this.halt('the body ends inside a UTF-8 sequence', 'media-type') };
    }
    this.parser.push(tail);
    const result = this.parser.end();
    this.close(result.ok);
    return { report: this.report(result), ...(result.ok ? { deck: result.deck } : {}) };
  }

  abort(): void {
    this.close(false);
  }

  private halt(reason: string, refusal: 'media-type' | 'too-large'): ValidationReport {
    this.stop = { line: this.parser.stopped?.line ?? 0, reason, refusal };
    return this.report(undefined);
  }

  private close(keep: boolean): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    if (keep) renameSync(this.tmp, this.file);
    else rmSync(this.tmp, { force: true });
  }

  private report(result: DeckParseResult | undefined): ValidationReport {
    if (this.final) return this.final;
    const r = result ?? this.parser.end();
    if (!result) this.close(false);
    const stop = this.stop ?? (r.ok ? undefined : r.stoppedAtLine !== undefined ? { line: r.stoppedAtLine, reason: r.stopReason ?? '', refusal: 'invalid' as const } : undefined);
    const errors = r.ok ? [] : r.errors;
    if (this.stop && !errors.some((e) => e.message === this.stop!.reason)) errors.push({ line: this.stop.line, message: this.stop.reason });
    this.final = {
      carrier: this.carrier,
      valid: r.ok && !stop,
      bytes: this.bytes,
      sha256: this.hash.copy().digest('hex'),
      rowCount: r.ok ? r.deck.count : r.rowCount,
      accepted: r.ok ? r.deck.count : this.parser.accepted,
      rejected: r.ok ? 0 : Math.max(r.errorCount, errors.length),
      errors,
      ...(stop ? { stoppedAtLine: stop.line, stopReason: stop.reason, refusal: stop.refusal } : {}),
    };
    return this.final;
  }
}
