/**
 * The open-calls journal in the embedded store: the calls answered in one turn of the event loop
 * are written together at the end of it (one transaction, not one per call: 14-17 µs per call
 * alone, 5 µs in tens, measured), and a record goes with its CDR's commit (cdr-store.ts), which
 * writes what is queued here first. A call's answer has already reached the caller when it is
 * journaled, so the turn adds little to that window. A heartbeat notes every few seconds that
 * the switch is alive; after a crash, start-up turns what is left into CDRs marked interrupted,
 * ending at the last heartbeat (the latest moment the call is known up). With the store's writer
 * thread (writer-thread.ts) the records of the last 5 ms are posted to it instead (a post has a
 * cost of its own), in order before any CDR batch posted later: a crash loses a record only if it
 * comes within those 5 ms or before the thread has written it (typically under a millisecond).
 */
import type { Cdr } from '../calls/cdr.js';
import type { Db } from './database.js';
import { writeBatch } from './write-batch.js';
import { interruptedCdr, type CallJournalStore } from './store.js';
import { prepareBatchWrites, type BatchWrites } from './batch-writes.js';
import type { StoreWriterThread } from './writer-thread.js';

/** With the writer thread, the longest an answered call's record waits to be posted to it (ms). */
const THREAD_POST_WINDOW_MS = 5;

export class SqliteCallJournal implements CallJournalStore {
  private readonly insertAll: (cdrs: Cdr[]) => void;
  private readonly beat;
  private queue: Cdr[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly thread?: StoreWriterThread;
  /** A refusal from the writer thread while nothing listened (`onWriteError` unset): thrown by the next flush. */
  private unreported?: unknown;
  /** When set, a write the store refuses (disk full, read-only) is reported here instead of thrown (store-guard.ts). */
  onWriteError?: (err: unknown) => void;

  /** `here`: the batched writes on this connection (shared with the CDR store); `thread`: the store's writer thread, which writes the records instead. */
  constructor(
    private readonly db: Db,
    o: { here?: BatchWrites; thread?: StoreWriterThread } = {},
  ) {
    const here = o.here ?? prepareBatchWrites(db);
    this.insertAll = (cdrs) => here.journal(cdrs);
    this.thread = o.thread;
    this.beat = db.prepare("INSERT OR REPLACE INTO switch_state (key, value) VALUES ('alive_at', ?)");
  }

  /** Queues the answered call's record: written at the end of this turn, or posted to the writer thread within 5 ms. */
  answered(cdr: Cdr): void {
    this.queue.push(cdr);
    if (!this.thread) this.immediate ??= setImmediate(() => this.flush());
    // Each post to the thread costs the event loop ~3 µs besides its records: a few milliseconds' records go together.
    else this.timer ??= setTimeout(() => this.flush(), THREAD_POST_WINDOW_MS).unref();
  }

  /** Writes the queued records now (the CDR store does before each commit, and close() does). */
  flush(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    const err = this.unreported;
    this.unreported = undefined;
    if (err !== undefined) throw err;
    if (this.thread) return this.thread.journal(batch);
    const report = this.onWriteError;
    writeBatch(batch, this.insertAll, report && ((_, e) => report(e)));
  }

  /** Writes the queued records and waits until the writer thread (if any) has written them. */
  settle(): void {
    this.flush();
    this.thread?.settle();
  }

  /** The writer thread refused a batch of records (writer-thread.ts). */
  refused(err: unknown): void {
    if (this.onWriteError) this.onWriteError(err);
    else this.unreported ??= err;
  }

  /** Notes that the switch is alive now (ISO time). */
  async heartbeat(at: Date): Promise<void> {
    this.beat.run(at.toISOString());
  }

  /**
   * Calls left open by a previous run, closed as interrupted CDRs (inserted, records removed);
   * returns them so the caller can reset their circuits.
   */
  async recover(now: Date): Promise<Cdr[]> {
    this.settle();
    const rows = this.db.prepare('SELECT call_id, record FROM open_calls').all() as Array<{ call_id: string; record: string }>;
    if (rows.length === 0) return [];
    const alive = (this.db.prepare("SELECT value FROM switch_state WHERE key = 'alive_at'").get() as { value: string } | undefined)?.value;
    const out: Cdr[] = [];
    for (const row of rows) {
      let rec: Cdr;
      try {
        rec = JSON.parse(row.record) as Cdr;
      } catch {
        continue;
      }
      out.push(interruptedCdr(rec, alive, now));
    }
    return out;
  }
}
