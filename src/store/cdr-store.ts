import { writeBatch } from './write-batch.js';
import type { Db } from './database.js';
import type { Cdr } from '../calls/cdr.js';
import { CDR_COLUMNS as COLUMNS } from './cdr-columns.js';
import { cdrRow, prepareBatchWrites, prepareCdrInsert, type BatchWrites } from './batch-writes.js';
import type { StoreWriterThread } from './writer-thread.js';
import type { CdrRepository, RatedCdr, StoredCdr } from './store.js';
import { cdrWhere, sqlitePlaceholder, type CdrFilter } from './cdr-filter.js';

function fromRow(r: Record<string, unknown>): StoredCdr {
  const out: Record<string, unknown> = { id: r.id };
  for (const [k, c] of COLUMNS) if (r[c] !== null) out[k] = k === 'interrupted' ? r[c] === 1 : r[c];
  return out as unknown as StoredCdr;
}

export type { Cdr, StoredCdr, CdrFilter };

/** The WHERE clause and parameters of a filter, with SQLite's placeholders. */
function whereOf(f: CdrFilter, afterId = 0): { sql: string; params: unknown[] } {
  return cdrWhere(f, afterId, sqlitePlaceholder);
}

/**
 * Group commit: `write` queues a CDR and the queue commits in one transaction at most
 * `commitWindowMs` later (or on the next turn once `maxBatch` CDRs wait). Each commit is an fsync
 * that blocks the event loop (5.4 ms measured on this machine's disk), so committing every call's
 * CDR on its own turn capped the switch at ~185 calls/s whatever else it did; a 50 ms window caps
 * the fsyncs at 20/s. An answered call's open-call record (call-journal.ts) stays until its CDR
 * commits, so a crash inside the window loses no answered call: recovery rebuilds its CDR.
 */
export interface CdrStoreOptions {
  /** Longest a queued CDR waits for its batch to commit (ms; 0: the next turn). Default 50. */
  commitWindowMs?: number;
  /**
   * Writes what must be in the store before a CDR closes its call's open-call record: the
   * journal's queued records (call-journal.ts), so a record is never written after its removal.
   */
  beforeCommit?: () => void;
  /** Queued CDRs that commit on the next turn without waiting out the window. Default 500. */
  maxBatch?: number;
  /** The batched writes on this connection (shared with the journal); prepared here when absent. */
  here?: BatchWrites;
  /** Batches go to the store's writer thread instead of this connection (writer-thread.ts). */
  thread?: StoreWriterThread;
}

/**
 * CDR persistence in the embedded store. `write` queues a CDR for the next group commit (one
 * fsync per batch, not per call); `insert` writes at once. Reads flush the queue first, so a CDR is
 * visible as soon as it is written. SQLite is synchronous: the promises of the store interface are
 * already settled when returned. With a writer thread, a commit window posts its batch to the
 * thread, and reads wait for the thread to finish what was posted (StoreWriterThread.settle).
 */
export class CdrStore implements CdrRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly insertMany: (cdrs: Cdr[]) => void;
  private queue: Cdr[] = [];
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly thread?: StoreWriterThread;
  private readonly beforeCommit?: () => void;
  /** A batch the writer thread could not write while nothing listened (`onWriteError` unset): thrown by the next commit. */
  private unreported?: unknown;
  /** When set, a batch the store refuses (disk full, read-only) goes here instead of throwing (store-guard.ts). */
  onWriteError?: (batch: Cdr[], err: unknown) => void;

  constructor(private readonly db: Db, o: CdrStoreOptions = {}) {
    this.windowMs = o.commitWindowMs ?? 50;
    this.maxBatch = o.maxBatch ?? 500;
    this.thread = o.thread;
    this.beforeCommit = o.beforeCommit;
    this.insertStmt = prepareCdrInsert(db);
    this.listStmt = db.prepare('SELECT * FROM cdrs WHERE id > ? ORDER BY id DESC LIMIT ?');
    const here = o.here ?? prepareBatchWrites(db);
    this.insertMany = (cdrs: Cdr[]) => {
      this.beforeCommit?.();
      here.cdrs(cdrs);
    };
  }

  async insert(cdr: Cdr): Promise<void> {
    this.insertNow(cdr);
  }

  /** Writes at once; the new row id. */
  insertNow(cdr: Cdr): number {
    this.commit();
    return Number(this.insertStmt.run(cdrRow(cdr)).lastInsertRowid);
  }

  /** Queues the CDR for the next group commit (within `commitWindowMs`). */
  write(cdr: Cdr): void {
    this.queue.push(cdr);
    if (this.immediate) return;
    if (this.windowMs <= 0 || this.queue.length >= this.maxBatch) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = setImmediate(() => this.post());
    } else if (!this.timer) {
      // Not holding the process open: close() and every read commit what is queued.
      this.timer = setTimeout(() => this.post(), this.windowMs).unref();
    }
  }

  async flush(): Promise<void> {
    this.commit();
  }

  /** Commits queued CDRs now, and waits for the writer thread to finish what it was given (before reads and on close). */
  commit(): void {
    this.post();
    this.thread?.settle();
    const err = this.unreported;
    this.unreported = undefined;
    if (err !== undefined) throw err;
  }

  /** The writer thread refused this batch (writer-thread.ts). */
  refused(batch: Cdr[], err: unknown): void {
    if (this.onWriteError) this.onWriteError(batch, err);
    else this.unreported ??= err;
  }

  /** Sends the queued CDRs to be written: on this connection, or posted to the writer thread. */
  private post(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (this.thread) {
      // The journal's queued records go first, so a record is never written after its removal.
      this.beforeCommit?.();
      this.thread.cdrs(batch);
    } else writeBatch(batch, this.insertMany, this.onWriteError);
  }

  /**
   * Inserts CDRs (and closes their open-call records) in one transaction on this connection; throws
   * if the store refuses (the store guard's spool replay: it does not wait for the writer thread).
   */
  insertBatch(cdrs: Cdr[]): void {
    if (cdrs.length > 0) this.insertMany(cdrs);
  }

  /** Rated, answered CDRs that ended at or after `iso`, oldest first (fraud spend windows at start-up). */
  async ratedSince(iso: string): Promise<RatedCdr[]> {
    this.commit();
    const rows = this.db
      .prepare('SELECT customer, rate, billable_ms, end_time FROM cdrs WHERE end_time >= ? AND rate IS NOT NULL AND billable_ms > 0 ORDER BY end_time')
      .all(iso) as Array<{ customer: string | null; rate: number; billable_ms: number; end_time: string }>;
    return rows.map((r) => ({ customer: r.customer ?? undefined, rate: r.rate, billableMs: r.billable_ms, endTime: r.end_time }));
  }

  /** CDRs matching the filter, oldest first, `limit` at most after the id `afterId`; `next` is the cursor of the following page. */
  page(filter: CdrFilter, opts: { limit?: number; afterId?: number } = {}): { cdrs: StoredCdr[]; next?: number } {
    this.commit();
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 10_000);
    const w = whereOf(filter, opts.afterId);
    const rows = this.db.prepare(`SELECT * FROM cdrs WHERE ${w.sql} ORDER BY id LIMIT ?`).all(...w.params, limit + 1) as Record<string, unknown>[];
    const cdrs = rows.slice(0, limit).map(fromRow);
    return rows.length > limit ? { cdrs, next: cdrs[cdrs.length - 1].id } : { cdrs };
  }

  /** The id of the newest CDR (0 when there is none). */
  lastId(): number {
    this.commit();
    return (this.db.prepare('SELECT coalesce(max(id), 0) AS n FROM cdrs').get() as { n: number }).n;
  }

  /** How many CDRs match the filter. */
  count(filter: CdrFilter): number {
    this.commit();
    const w = whereOf(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM cdrs WHERE ${w.sql}`).get(...w.params) as { n: number }).n;
  }

  /**
   * CDRs matching the filter, oldest first, read in batches of `batch` rows (an export streams them
   * without holding the table in memory or one read transaction open for the whole transfer).
   */
  *iterate(filter: CdrFilter, batch = 500): Generator<StoredCdr> {
    let after = 0;
    for (;;) {
      const { cdrs, next } = this.page(filter, { limit: batch, afterId: after });
      yield* cdrs;
      if (next === undefined) return;
      after = next;
    }
  }

  /** Newest first. */
  async list(opts: { limit?: number; afterId?: number } = {}): Promise<StoredCdr[]> {
    this.commit();
    const rows = this.listStmt.all(opts.afterId ?? 0, Math.min(Math.max(opts.limit ?? 100, 1), 10_000)) as Record<string, unknown>[];
    return rows.map(fromRow);
  }
}
