/**
 * The open-calls journal in the embedded store: an answered call is written at once (not
 * batched), and its record goes with its CDR's commit (cdr-store.ts). A heartbeat notes every
 * few seconds that the switch is alive; after a crash, start-up turns what is left into CDRs
 * marked interrupted, ending at the last heartbeat (the latest moment the call is known up).
 */
import type { Cdr } from '../calls/cdr.js';
import type { Db } from './database.js';
import { interruptedCdr, type CallJournalStore } from './store.js';

export class SqliteCallJournal implements CallJournalStore {
  private readonly insert;
  private readonly beat;

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT OR REPLACE INTO open_calls (call_id, record, answer_time) VALUES (?, ?, ?)');
    this.beat = db.prepare("INSERT OR REPLACE INTO switch_state (key, value) VALUES ('alive_at', ?)");
  }

  answered(cdr: Cdr): void {
    this.insert.run(cdr.callId, JSON.stringify(cdr), cdr.answerTime ?? cdr.startTime);
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
