/** Provisioned tenants in the embedded SQLite store (migration 7). */
import type { Db } from './database.js';
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

const mark = () => '?';

export class SqliteTenantRepository implements TenantRepository {
  constructor(private readonly db: Db) {}

  async load(): Promise<ProvisionedTenants> {
    return {
      tenants: (this.db.prepare(`SELECT ${TENANT_COLUMNS} FROM class5_tenants ORDER BY id`).all() as TenantRow[]).map(tenantOfRow),
      extensions: (this.db.prepare(`SELECT ${EXTENSION_COLUMNS} FROM class5_extensions ORDER BY tenant_id, number`).all() as ExtensionRow[]).map(extensionOfRow),
      dids: (this.db.prepare(`SELECT ${DID_COLUMNS} FROM class5_dids ORDER BY did`).all() as DidRow[]).map(didOfRow),
    };
  }

  async putTenant(t: StoredTenant): Promise<void> {
    this.db.prepare(upsertSql('class5_tenants', TENANT_COLUMNS, ['id'], mark)).run(...tenantRow(t));
  }

  async deleteTenant(id: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM class5_dids WHERE tenant_id = ?').run(id);
      this.db.prepare('DELETE FROM class5_extensions WHERE tenant_id = ?').run(id);
      this.db.prepare('DELETE FROM class5_tenants WHERE id = ?').run(id);
    })();
  }

  async putExtension(e: StoredExtension): Promise<void> {
    this.db.prepare(upsertSql('class5_extensions', EXTENSION_COLUMNS, ['tenant_id', 'number'], mark)).run(...extensionRow(e));
  }

  async deleteExtension(tenantId: string, number: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM class5_dids WHERE tenant_id = ? AND extension = ?').run(tenantId, number);
      this.db.prepare('DELETE FROM class5_extensions WHERE tenant_id = ? AND number = ?').run(tenantId, number);
    })();
  }

  async putDid(d: StoredDid): Promise<void> {
    this.db.prepare(upsertSql('class5_dids', DID_COLUMNS, ['did'], mark)).run(...didRow(d));
  }

  async deleteDid(did: string): Promise<void> {
    this.db.prepare('DELETE FROM class5_dids WHERE did = ?').run(did);
  }
}
