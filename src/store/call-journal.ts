/**
 * The open-calls journal in the embedded store: the calls answered in one turn of the event loop
 * are written together at the end of it (one transaction, not one per call: an autocommitted
 * insert per answered call was the largest single cost of a call's set-up), and each record goes
 * with its CDR's commit (cdr-store.ts), which writes what is queued here first so that a CDR's
 * removal of its record never comes before the record. A heartbeat notes every few seconds that
 * the switch is alive; after a crash, start-up turns what is left into CDRs marked interrupted,
 * ending at the last heartbeat (the latest moment the call is known up).
 */
import type { Cdr } from '../calls/cdr.js';
import type { Db } from './database.js';
import { interruptedCdr, type CallJournalStore } from './store.js';

export class SqliteCallJournal implements CallJournalStore {
  private readonly insertAll: (rows: Array<[string, string, string]>) => void;
  private readonly beat;
  private queued: Array<[string, string, string]> = [];
  private flushing?: NodeJS.Immediate;
  /** Where a write the store refuses is reported (the store guard); without it, flush() throws it. */
  onWriteError?: (err: unknown) => void;

  constructor(private readonly db: Db) {
    const insert = db.prepare('INSERT OR REPLACE INTO open_calls (call_id, record, answer_time) VALUES (?, ?, ?)');
    this.insertAll = db.transaction((rows: Array<[string, string, string]>) => {
      for (const r of rows) insert.run(r[0], r[1], r[2]);
    });
    this.beat = db.prepare("INSERT OR REPLACE INTO switch_state (key, value) VALUES ('alive_at', ?)");
  }

  /** Queues the answered call's record; it is written at the end of this turn of the event loop. */
  answered(cdr: Cdr): void {
    this.queued.push([cdr.callId, JSON.stringify(cdr), cdr.answerTime ?? cdr.startTime]);
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Writes the queued records now (also before every CDR commit). */
  flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.queued.length === 0) return;
    const rows = this.queued;
    this.queued = [];
    try {
      this.insertAll(rows);
    } catch (err) {
      if (!this.onWriteError) throw err;
      this.onWriteError(err);
    }
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
    this.flush();
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
