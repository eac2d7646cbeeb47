import type { Db } from './database.js';
import type { Cdr } from '../calls/cdr.js';
import { CDR_COLUMNS as COLUMNS } from './cdr-columns.js';
import type { CdrRepository, RatedCdr, StoredCdr } from './store.js';

export type { Cdr, StoredCdr };

function toRow(cdr: Cdr): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [k] of COLUMNS) {
    const v = cdr[k];
    row[k] = typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null);
  }
  return row;
}

/**
 * CDR persistence in the embedded store. `write` queues a CDR and commits the queue in one
 * transaction on the next turn of the event loop (one fsync per batch, not per call); `insert`
 * writes at once. Reads flush the queue first, so a CDR is visible as soon as it is written.
 * SQLite is synchronous: the promises of the store interface are already settled when returned.
 */
export class CdrStore implements CdrRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly insertMany;
  private queue: Cdr[] = [];
  private flushScheduled = false;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO cdrs (${COLUMNS.map(([, c]) => c).join(', ')}) VALUES (${COLUMNS.map(([k]) => '@' + k).join(', ')})`,
    );
    this.listStmt = db.prepare('SELECT * FROM cdrs WHERE id > ? ORDER BY id DESC LIMIT ?');
    const closeOpen = db.prepare('DELETE FROM open_calls WHERE call_id = ?');
    // The CDR and the removal of its open-call record commit together: a crash leaves one or the other.
    this.insertMany = db.transaction((cdrs: Cdr[]) => {
      for (const cdr of cdrs) {
        this.insertStmt.run(toRow(cdr));
        closeOpen.run(cdr.callId);
      }
    });
  }

  async insert(cdr: Cdr): Promise<void> {
    this.insertNow(cdr);
  }

  /** Writes at once; the new row id. */
  insertNow(cdr: Cdr): number {
    this.commit();
    return Number(this.insertStmt.run(toRow(cdr)).lastInsertRowid);
  }

  /** Queues the CDR for the next batch commit (within the same event-loop turn's end). */
  write(cdr: Cdr): void {
    this.queue.push(cdr);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.commit());
  }

  async flush(): Promise<void> {
    this.commit();
  }

  /** Commits queued CDRs now (also before reads and on close). */
  commit(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.insertMany(batch);
  }

  /** Rated, answered CDRs that ended at or after `iso`, oldest first (fraud spend windows at start-up). */
  async ratedSince(iso: string): Promise<RatedCdr[]> {
    this.commit();
    const rows = this.db
      .prepare('SELECT customer, rate, billable_ms, end_time FROM cdrs WHERE end_time >= ? AND rate IS NOT NULL AND billable_ms > 0 ORDER BY end_time')
      .all(iso) as Array<{ customer: string | null; rate: number; billable_ms: number; end_time: string }>;
    return rows.map((r) => ({ customer: r.customer ?? undefined, rate: r.rate, billableMs: r.billable_ms, endTime: r.end_time }));
  }

  /** Newest first. */
  async list(opts: { limit?: number; afterId?: number } = {}): Promise<StoredCdr[]> {
    this.commit();
    const rows = this.listStmt.all(opts.afterId ?? 0, Math.min(Math.max(opts.limit ?? 100, 1), 10_000)) as Record<string, unknown>[];
    return rows.map((r) => {
      const out: Record<string, unknown> = { id: r.id };
      for (const [k, c] of COLUMNS) if (r[c] !== null) out[k] = k === 'interrupted' ? r[c] === 1 : r[c];
      return out as unknown as StoredCdr;
    });
  }
}
