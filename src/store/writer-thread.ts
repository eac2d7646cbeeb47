/**
 * The embedded store's writes off the event loop: open-call records and CDR batches go, in order,
 * to a thread with its own SQLite connection (writer-worker.ts). Those writes cost the event loop
 * 36 µs per call on the switch's connection (insert, delete, JSON, and the blocking fsync of each
 * CDR commit), about a tenth of a trunk call's work at capacity; posting a batch costs it a
 * structured clone. Reads that must see every write (CDR pages, counts, shutdown) first `settle()`:
 * it blocks until the thread has done everything posted so far and delivers any refusal before it
 * returns, so what the switch reads is what it wrote, as on one connection.
 *
 * A batch the store refuses comes back to `onRefused` with its records (the store guard spools
 * CDRs). If the thread itself dies (it should not: it catches every write's error), the batches it
 * had not finished are written on the switch's own connection and every later batch is too; a
 * batch the thread committed just before dying could then be written twice (a duplicate CDR row,
 * never a lost one).
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { Cdr } from '../calls/cdr.js';
import { SoftswitchError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { siblingModule, startModuleWorker } from '../util/module-worker.js';
import type { BatchWrites } from './batch-writes.js';
import { DONE_WORD, STATE_BYTES, type WriterPost, type WriterRefusal, type WriterStart } from './writer-protocol.js';

export interface WriterThreadOptions {
  /** Writes on the switch's own connection, used if the thread dies. */
  fallback: BatchWrites;
  logger?: Logger;
  /** Longest `settle()` blocks before it gives up with an error (ms). Default 30 s. */
  settleTimeoutMs?: number;
  /** How long the thread's writes wait for the switch's own connection to release the database (ms). Default 10 s. */
  busyTimeoutMs?: number;
}

export class StoreWriterThread {
  /** A refused batch (its records and the store's error code on `err.code`). */
  onRefused?: (kind: WriterPost['kind'], batch: Cdr[], err: Error & { code: string }) => void;
  private readonly worker: Worker;
  private readonly done: Int32Array;
  private readonly replies: MessagePort;
  private seq = 0;
  /** Posted and not yet known done, oldest first: what the fallback writes if the thread dies. */
  private unfinished: WriterPost[] = [];
  private dead = false;
  private closed = false;

  constructor(path: string, private readonly opts: WriterThreadOptions) {
    const state = new SharedArrayBuffer(STATE_BYTES);
    this.done = new Int32Array(state);
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    const start: WriterStart & { replies: MessagePort } = { path, state, busyTimeoutMs: opts.busyTimeoutMs ?? 10_000, replies: port2 };
    this.worker = startModuleWorker(siblingModule(import.meta.url, 'writer-worker'), { name: 'store-writer', workerData: start, transferList: [port2] });
    // The switch stops it (close); an idle writer does not keep the process alive.
    this.worker.unref();
    this.replies.on('message', (r: WriterRefusal) => this.refused(r));
    this.replies.unref();
    this.worker.on('error', (err) => this.died(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.died(new Error(`store writer thread exited (code ${code})`));
    });
  }

  journal(batch: Cdr[]): void {
    this.post('journal', batch);
  }

  cdrs(batch: Cdr[]): void {
    this.post('cdrs', batch);
  }

  /** Blocks until every batch posted so far is written or refused; refusals are delivered before it returns. */
  settle(): void {
    const timeoutMs = this.opts.settleTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.dead) break;
      const done = Atomics.load(this.done, DONE_WORD);
      if (((this.seq - done) | 0) <= 0) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new SoftswitchError('SSW_ERR_STORE_WRITER', `${(this.seq - Atomics.load(this.done, DONE_WORD)) | 0} batches still not written after ${timeoutMs} ms`);
      }
      Atomics.wait(this.done, DONE_WORD, done, left);
    }
    this.drainRefusals();
    this.forgetDone();
  }

  /** Finishes what is posted, then stops the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.settle();
    this.closed = true;
    this.replies.close();
    await this.worker.terminate();
  }

  private post(kind: WriterPost['kind'], batch: Cdr[]): void {
    if (batch.length === 0) return;
    if (this.dead || this.closed) return this.writeHere(kind, batch);
    this.seq = (this.seq + 1) | 0;
    const post: WriterPost = { seq: this.seq, kind, batch };
    this.forgetDone();
    this.unfinished.push(post);
    this.worker.postMessage(post);
  }

  /** Drops the posts the thread has finished from the front of `unfinished`. */
  private forgetDone(): void {
    const done = Atomics.load(this.done, DONE_WORD);
    let n = 0;
    while (n < this.unfinished.length && ((this.unfinished[n].seq - done) | 0) <= 0) n++;
    if (n > 0) this.unfinished.splice(0, n);
  }

  private drainRefusals(): void {
    for (let m = receiveMessageOnPort(this.replies); m; m = receiveMessageOnPort(this.replies)) this.refused(m.message as WriterRefusal);
  }

  private refused(r: WriterRefusal): void {
    const err = Object.assign(new Error(r.message), { code: r.code });
    if (this.onRefused) this.onRefused(r.kind, r.batch, err);
    else this.opts.logger?.error({ code: r.code, kind: r.kind, records: r.batch.length, err: r.message }, 'store refused a batch and nothing is set to keep it; check the disk under the SQLite file');
  }

  private died(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.drainRefusals();
    this.forgetDone();
    const left = this.unfinished.splice(0);
    this.opts.logger?.error({ err: err.message, unfinished: left.length }, "store writer thread died: CDRs and the open-call journal are written on the event loop from now on (slower); restart the switch at a quiet time to get the thread back");
    for (const p of left) this.writeHere(p.kind, p.batch);
  }

  private writeHere(kind: WriterPost['kind'], batch: Cdr[]): void {
    try {
      if (kind === 'journal') this.opts.fallback.journal(batch);
      else this.opts.fallback.cdrs(batch);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      this.refused({ seq: 0, kind, batch, code: typeof code === 'string' ? code : 'UNKNOWN', message: (err as Error).message });
    }
  }
}
