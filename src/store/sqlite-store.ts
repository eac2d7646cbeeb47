/** The embedded store (one node): SQLite file with CDRs, the open-calls journal and provisioned tenants. */
import { openDatabase, type Db } from './database.js';
import { CdrStore } from './cdr-store.js';
import { SqliteCallJournal } from './call-journal.js';
import { SqliteTenantRepository } from './sqlite-tenants.js';
import { SqliteTrunkRepository } from './sqlite-trunks.js';
import type { SwitchStore } from './store.js';

export function openSqliteStore(path: string): SwitchStore & { cdrs: CdrStore; journal: SqliteCallJournal; db: Db } {
  const db = openDatabase(path);
  const journal = new SqliteCallJournal(db);
  const cdrs = new CdrStore(db, { beforeCommit: () => journal.flush() });
  return {
    kind: 'sqlite',
    db,
    cdrs,
    journal,
    tenants: new SqliteTenantRepository(db),
    trunks: new SqliteTrunkRepository(db),
    async close() {
      journal.flush();
      cdrs.commit();
      db.close();
    },
  };
}
