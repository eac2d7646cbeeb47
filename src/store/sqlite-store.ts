/** The embedded store (one node): SQLite file with CDRs, the open-calls journal and provisioned tenants. */
import { openDatabase, type Db } from './database.js';
import { CdrStore } from './cdr-store.js';
import { SqliteCallJournal } from './call-journal.js';
import { SqliteTenantRepository } from './sqlite-tenants.js';
import { SqliteTrunkRepository } from './sqlite-trunks.js';
import type { SwitchStore } from './store.js';
import { prepareBatchWrites } from './batch-writes.js';
import { StoreWriterThread } from './writer-thread.js';
import type { Logger } from '../util/log.js';

export interface SqliteStoreOptions {
  /**
   * CDRs and open-call records written by a thread of their own (writer-thread.ts) rather than on
   * the event loop. Default: yes for a file, no for ':memory:' (no other connection can see it).
   */
  writerThread?: boolean;
  logger?: Logger;
}

export function openSqliteStore(path: string, o: SqliteStoreOptions = {}): SwitchStore & { cdrs: CdrStore; journal: SqliteCallJournal; db: Db } {
  const db = openDatabase(path);
  const here = prepareBatchWrites(db);
  const thread = (o.writerThread ?? true) && path !== ':memory:' ? new StoreWriterThread(path, { fallback: here, logger: o.logger }) : undefined;
  const journal = new SqliteCallJournal(db, { here, thread });
  const cdrs = new CdrStore(db, { beforeCommit: () => journal.flush(), here, thread });
  if (thread) thread.onRefused = (kind, batch, err) => (kind === 'cdrs' ? cdrs.refused(batch, err) : journal.refused(err));
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
      await thread?.close();
      db.close();
    },
  };
}
