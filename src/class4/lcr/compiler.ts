/**
 * The routing engine's side of the deck worker (deck-worker.ts): one worker thread, started on
 * first use, held referenced only while a request is outstanding (an idle worker never keeps the
 * process alive). The worker hands builds to its own child process (deck-builder.ts), which a
 * hostile deck can exhaust without touching this one. A worker or builder that dies fails the
 * requests in flight and is replaced on the next one; the active table is untouched.
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../../util/module-worker.js';
import type { DeckDiff } from './diff.js';
import type { RouteTable } from './table.js';
import { holdSingleThreadedScavenges } from '../../util/scavenge-mode.js';
import { unpackTable, type CarrierParse, type DeckSource, type LoadTimings, type UploadLimits, type ValidationReport, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

export type LoadOutcome =
  | { ok: true; table: RouteTable; from: 'snapshot' | 'decks'; fingerprint: string; carriers: CarrierParse[]; timings: LoadTimings; snapshotError?: string; delivery: Delivery }
  | { ok: false; carriers: CarrierParse[] };

/** When the reply reached this thread (performance.now()) and how long after the worker posted it. */
export interface Delivery {
  receivedAt: number;
  deliveryMs: number;
}

type Waiter = { resolve: (r: WorkerReply) => void; reject: (e: Error) => void };

/** Starts deck-worker beside this file (the .ts source through tsx, or the built .js). */
function startWorker(): Worker {
  return startModuleWorker(siblingModule(import.meta.url, 'deck-worker'), { name: 'lcr-deck-worker' });
}

export interface UploadSession {
  /** The next bytes; resolves once the worker has taken them, with a report if it refused the deck there. */
  push(chunk: Uint8Array): Promise<ValidationReport | undefined>;
  /** Resolves with the full validation report; the deck is at `file` only when the report is valid. */
  end(): Promise<ValidationReport>;
  abort(): void;
}

export class DeckCompiler {
  private worker: Worker | undefined;
  private nextId = 1;
  /** FIFO per request id: an upload session has several requests outstanding under one id. */
  private readonly waiting = new Map<number, Waiter[]>();
  private outstanding = 0;
  /** Releases the single-threaded scavenges held while requests are outstanding (scavenge-mode.ts). */
  private releaseScavenges: (() => void) | undefined;

  /**
   * `singleThreadedScavenges` (default true): while the worker has work, this isolate's scavenges
   * do without V8's helper threads, which then wait for a CPU the build holds (scavenge-mode.ts).
   */
  constructor(private readonly opts: { singleThreadedScavenges?: boolean } = {}) {}

  private get live(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker();
    w.unref();
    w.on('message', (m: WorkerReply) => this.settle(m.id, (x) => x.resolve(m)));
    w.on('error', (err) => this.failAll(w, new Error(`the deck worker failed: ${err.message}`)));
    w.on('exit', (code) => this.failAll(w, new Error(`the deck worker exited (code ${code}); the active route table is unchanged`)));
    this.worker = w;
    return w;
  }

  private settle(id: number, how: (w: Waiter) => void): void {
    const q = this.waiting.get(id);
    const w = q?.shift();
    if (!q || !w) return;
    if (q.length === 0) this.waiting.delete(id);
    this.outstanding--;
    if (this.outstanding === 0) this.idle();
    how(w);
  }

  private failAll(w: Worker, err: Error): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    for (const q of this.waiting.values()) for (const x of q) x.reject(err);
    this.waiting.clear();
    this.outstanding = 0;
    this.idle();
  }

  private idle(): void {
    this.worker?.unref();
    this.releaseScavenges?.();
    this.releaseScavenges = undefined;
  }

  private send(req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const w = this.live;
    return new Promise<WorkerReply>((resolve, reject) => {
      const q = this.waiting.get(req.id) ?? [];
      q.push({ resolve, reject });
      this.waiting.set(req.id, q);
      if (this.outstanding++ === 0) {
        w.ref();
        if (this.opts.singleThreadedScavenges !== false) this.releaseScavenges ??= holdSingleThreadedScavenges();
      }
      w.postMessage(req, transfer);
    });
  }

  private static check<K extends WorkerReply['op']>(r: WorkerReply, op: K): Extract<WorkerReply, { op: K }> {
    if (r.op === 'error') throw Object.assign(new Error(r.message), { code: r.code });
    if (r.op !== op) throw new Error(`deck worker answered ${r.op} to ${op}`);
    return r as Extract<WorkerReply, { op: K }>;
  }

  /** Reads, validates and compiles the decks (or maps the snapshot when it matches them). */
  async load(decks: DeckSource[], snapshot?: { path: string; useExisting: boolean }): Promise<LoadOutcome> {
    const r = DeckCompiler.check(await this.send({ op: 'load', id: this.nextId++, decks, snapshot }), 'load');
    const receivedAt = performance.now();
    if (!r.ok) return { ok: false, carriers: r.carriers };
    const delivery = { receivedAt, deliveryMs: performance.timeOrigin + receivedAt - r.sentAt };
    return { ok: true, table: unpackTable(r.table), from: r.from, fingerprint: r.fingerprint, carriers: r.carriers, timings: r.timings, ...(r.snapshotError ? { snapshotError: r.snapshotError } : {}), delivery };
  }

  /** Streams an upload into the worker, which validates it as it arrives and writes it to `file`. */
  async upload(carrier: string, file: string, limits: UploadLimits): Promise<UploadSession> {
    const id = this.nextId++;
    DeckCompiler.check(await this.send({ op: 'upload-begin', id, carrier, file, limits }), 'upload-ack');
    let done = false;
    return {
      push: async (chunk) => {
        if (done) return undefined;
        const r = DeckCompiler.check(await this.send({ op: 'upload-chunk', id, chunk }), 'upload-ack');
        if (r.stop) done = true;
        return r.stop;
      },
      end: async () => {
        done = true;
        return DeckCompiler.check(await this.send({ op: 'upload-end', id }), 'upload-end').report;
      },
      abort: () => {
        if (done) return;
        done = true;
        this.worker?.postMessage({ op: 'upload-abort', id } satisfies WorkerRequest);
      },
    };
  }

  async diff(from: { carrier: string; path: string }, to: { carrier: string; path: string }, limit: number): Promise<DeckDiff> {
    return DeckCompiler.check(await this.send({ op: 'diff', id: this.nextId++, from, to, limit }), 'diff').diff;
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    // The worker ends its builder process first: a child is reaped by the thread that started it.
    let timer: NodeJS.Timeout | undefined;
    const closed = this.send({ op: 'close', id: this.nextId++ }).catch(() => undefined);
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    this.failAll(w, new Error('the routing engine was closed'));
    await w.terminate();
  }
}
