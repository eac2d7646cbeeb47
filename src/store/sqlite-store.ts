/** The embedded store (one node): SQLite file with CDRs and the open-calls journal. */
import { openDatabase, type Db } from './database.js';
import { CdrStore } from './cdr-store.js';
import { SqliteCallJournal } from './call-journal.js';
import type { SwitchStore } from './store.js';

export function openSqliteStore(path: string): SwitchStore & { cdrs: CdrStore; db: Db } {
  const db = openDatabase(path);
  const cdrs = new CdrStore(db);
  const journal = new SqliteCallJournal(db);
  return {
    kind: 'sqlite',
    db,
    cdrs,
    journal,
    async close() {
      cdrs.commit();
      db.close();
    },
  };
}
