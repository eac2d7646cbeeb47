/** Provisioned tenants in the shared PostgreSQL store (migration 3): every node reads the same rows. */
import type pg from 'pg';
import {
  DID_COLUMNS,
  EXTENSION_COLUMNS,
  TENANT_COLUMNS,
  didOfRow,
  didRow,
  extensionOfRow,
  extensionRow,
  tenantOfRow,
  tenantRow,
  type DidRow,
  type ExtensionRow,
  type ProvisionedTenants,
  type StoredDid,
  type StoredExtension,
  type StoredTenant,
  type TenantRepository,
  type TenantRow,
  upsertSql,
} from './tenant-repository.js';

const mark = (i: number) => `$${i}`;

export class PgTenantRepository implements TenantRepository {
  constructor(private readonly pool: pg.Pool) {}

  async load(): Promise<ProvisionedTenants> {
    const [t, e, d] = await Promise.all([
      this.pool.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM class5_tenants ORDER BY id`),
      this.pool.query<ExtensionRow>(`SELECT ${EXTENSION_COLUMNS} FROM class5_extensions ORDER BY tenant_id, number`),
      this.pool.query<DidRow>(`SELECT ${DID_COLUMNS} FROM class5_dids ORDER BY did`),
    ]);
    return { tenants: t.rows.map(tenantOfRow), extensions: e.rows.map(extensionOfRow), dids: d.rows.map(didOfRow) };
  }

  async putTenant(t: StoredTenant): Promise<void> {
    await this.pool.query(upsertSql('class5_tenants', TENANT_COLUMNS, ['id'], mark), tenantRow(t));
  }

  async deleteTenant(id: string): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('DELETE FROM class5_dids WHERE tenant_id = $1', [id]);
      await c.query('DELETE FROM class5_extensions WHERE tenant_id = $1', [id]);
      await c.query('DELETE FROM class5_tenants WHERE id = $1', [id]);
    });
  }

  async putExtension(e: StoredExtension): Promise<void> {
    await this.pool.query(upsertSql('class5_extensions', EXTENSION_COLUMNS, ['tenant_id', 'number'], mark), extensionRow(e));
  }

  async deleteExtension(tenantId: string, number: string): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('DELETE FROM class5_dids WHERE tenant_id = $1 AND extension = $2', [tenantId, number]);
      await c.query('DELETE FROM class5_extensions WHERE tenant_id = $1 AND number = $2', [tenantId, number]);
    });
  }

  async putDid(d: StoredDid): Promise<void> {
    await this.pool.query(upsertSql('class5_dids', DID_COLUMNS, ['did'], mark), didRow(d));
  }

  async deleteDid(did: string): Promise<void> {
    await this.pool.query('DELETE FROM class5_dids WHERE did = $1', [did]);
  }

  private async transaction(work: (c: pg.PoolClient) => Promise<void>): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await work(c);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}
