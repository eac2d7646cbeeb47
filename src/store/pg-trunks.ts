/**
 * Provisioned trunk customers in the shared PostgreSQL store (migration 6): every node reads the
 * same rows, and the table triggers announce each committed change on softswitch_config_change
 * (pg-change-feed.ts).
 */
import type pg from 'pg';
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

const mark = (i: number) => `$${i}`;

export class PgTrunkRepository implements TrunkCustomerRepository {
  constructor(private readonly pool: pg.Pool) {}

  async load(): Promise<ProvisionedTrunks> {
    // One snapshot for both tables: a DID is never read without the customer it belongs to.
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const customers = await c.query<TrunkCustomerRow>(`SELECT ${TRUNK_CUSTOMER_COLUMNS} FROM trunk_customers ORDER BY id`);
      const dids = await c.query<TrunkDidRow>(`SELECT ${TRUNK_DID_COLUMNS} FROM trunk_dids ORDER BY first_number`);
      await c.query('COMMIT');
      return { customers: customers.rows.map(trunkCustomerOfRow), dids: dids.rows.map(trunkDidOfRow) };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async putCustomer(c: StoredTrunkCustomer): Promise<void> {
    await this.pool.query(upsertSql('trunk_customers', TRUNK_CUSTOMER_COLUMNS, ['id'], mark), trunkCustomerRow(c));
  }

  async deleteCustomer(id: string): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('DELETE FROM trunk_dids WHERE customer_id = $1', [id]);
      await c.query('DELETE FROM trunk_customers WHERE id = $1', [id]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async putDid(d: StoredTrunkDid): Promise<void> {
    await this.pool.query(upsertSql('trunk_dids', TRUNK_DID_COLUMNS, ['first_number'], mark), trunkDidRow(d));
  }

  async deleteDid(first: string): Promise<void> {
    await this.pool.query('DELETE FROM trunk_dids WHERE first_number = $1', [first]);
  }
}
