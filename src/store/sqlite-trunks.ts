/** Provisioned trunk customers in the embedded SQLite store (migration 9). */
import type { Db } from './database.js';
import { upsertSql } from './tenant-repository.js';
import {
  TRUNK_CUSTOMER_COLUMNS,
  TRUNK_DID_COLUMNS,
  trunkCustomerOfRow,
  trunkCustomerRow,
  trunkDidOfRow,
  trunkDidRow,
  type ProvisionedTrunks,
  type StoredTrunkCustomer,
  type StoredTrunkDid,
  type TrunkCustomerRepository,
  type TrunkCustomerRow,
  type TrunkDidRow,
} from './trunk-repository.js';

const mark = () => '?';

export class SqliteTrunkRepository implements TrunkCustomerRepository {
  constructor(private readonly db: Db) {}

  async load(): Promise<ProvisionedTrunks> {
    return {
      customers: (this.db.prepare(`SELECT ${TRUNK_CUSTOMER_COLUMNS} FROM trunk_customers ORDER BY id`).all() as TrunkCustomerRow[]).map(trunkCustomerOfRow),
      dids: (this.db.prepare(`SELECT ${TRUNK_DID_COLUMNS} FROM trunk_dids ORDER BY first_number`).all() as TrunkDidRow[]).map(trunkDidOfRow),
    };
  }

  async putCustomer(c: StoredTrunkCustomer): Promise<void> {
    this.db.prepare(upsertSql('trunk_customers', TRUNK_CUSTOMER_COLUMNS, ['id'], mark)).run(...trunkCustomerRow(c));
  }

  async deleteCustomer(id: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM trunk_dids WHERE customer_id = ?').run(id);
      this.db.prepare('DELETE FROM trunk_customers WHERE id = ?').run(id);
    })();
  }

  async putDid(d: StoredTrunkDid): Promise<void> {
    this.db.prepare(upsertSql('trunk_dids', TRUNK_DID_COLUMNS, ['first_number'], mark)).run(...trunkDidRow(d));
  }

  async deleteDid(first: string): Promise<void> {
    this.db.prepare('DELETE FROM trunk_dids WHERE first_number = ?').run(first);
  }
}
