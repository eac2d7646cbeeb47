/**
 * The embedded store's two batched writes, as SQL over one connection: open-call records (the
 * journal of answered calls, call-journal.ts) and CDRs, each CDR committed together with the
 * removal of its call's open-call record. The event loop runs them on the switch's own connection
 * (in-memory stores, spool replay) or the store's writer thread on a connection of its own
 * (writer-thread.ts); the SQL is the same either way.
 */
import type { Db } from './database.js';
import type { Cdr } from '../calls/cdr.js';
import { CDR_COLUMNS as COLUMNS } from './cdr-columns.js';

export interface BatchWrites {
  /** Inserts (or replaces) answered calls' open-call records in one transaction. */
  journal(records: Cdr[]): void;
  /** Inserts CDRs and removes their open-call records in one transaction, synced to the disk. */
  cdrs(cdrs: Cdr[]): void;
}

/** A CDR as the named parameters of the insert (booleans as 0/1, absent fields as NULL). */
export function cdrRow(cdr: Cdr): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [k] of COLUMNS) {
    const v = cdr[k];
    row[k] = typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null);
  }
  return row;
}

/** The insert of one CDR row. */
export function prepareCdrInsert(db: Db) {
  return db.prepare(`INSERT INTO cdrs (${COLUMNS.map(([, c]) => c).join(', ')}) VALUES (${COLUMNS.map(([k]) => '@' + k).join(', ')})`);
}

export function prepareBatchWrites(db: Db): BatchWrites {
  const insertRecord = db.prepare('INSERT OR REPLACE INTO open_calls (call_id, record, answer_time) VALUES (?, ?, ?)');
  const journal = db.transaction((records: Cdr[]) => {
    for (const cdr of records) insertRecord.run(cdr.callId, JSON.stringify(cdr), cdr.answerTime ?? cdr.startTime);
  });
  const insertCdr = prepareCdrInsert(db);
  const closeRecord = db.prepare('DELETE FROM open_calls WHERE call_id = ?');
  // The CDR and the removal of its open-call record commit together: a crash leaves one or the other.
  const together = db.transaction((cdrs: Cdr[]) => {
    for (const cdr of cdrs) {
      insertCdr.run(cdrRow(cdr));
      closeRecord.run(cdr.callId);
    }
  });
  // A CDR counts as written once its batch commits, so that commit goes to the disk: in WAL mode
  // `synchronous = NORMAL` (the connection's setting, database.ts) syncs only at checkpoints, and
  // a power cut or a file-system abort (ext4 errors=remount-ro) would drop the last batches
  // (test/faults/store-read-only.test.ts). FULL syncs the WAL on commit: one fsync per batch.
  const usual = Number(db.pragma('synchronous', { simple: true }));
  return {
    journal: (records) => {
      if (records.length > 0) journal(records);
    },
    cdrs: (cdrs) => {
      if (cdrs.length === 0) return;
      db.pragma('synchronous = FULL');
      try {
        together(cdrs);
      } finally {
        db.pragma(`synchronous = ${usual}`);
      }
    },
  };
}
