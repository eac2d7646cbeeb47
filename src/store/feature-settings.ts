/**
 * Feature settings subscribers changed with star codes, per tenant and extension, in the embedded
 * store: a JSON object of the fields set (a string target or true/false; null = cleared), laid over
 * the configured features (src/class5/features/settings.ts).
 */
import type { Db } from './database.js';

export type FeatureOverrides = Record<string, string | boolean | null>;

export class SqliteFeatureSettings {
  private readonly read;
  private readonly write;
  private readonly clearOne;
  private readonly clearTenant;

  constructor(db: Db) {
    this.read = db.prepare('SELECT settings FROM class5_feature_settings WHERE tenant = ? AND extension = ?');
    this.write = db.prepare('INSERT OR REPLACE INTO class5_feature_settings (tenant, extension, settings, updated_at) VALUES (?, ?, ?, ?)');
    this.clearOne = db.prepare('DELETE FROM class5_feature_settings WHERE tenant = ? AND extension = ?');
    this.clearTenant = db.prepare('DELETE FROM class5_feature_settings WHERE tenant = ?');
  }

  get(tenant: string, extension: string): FeatureOverrides {
    const row = this.read.get(tenant, extension) as { settings: string } | undefined;
    if (!row) return {};
    try {
      const v = JSON.parse(row.settings) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as FeatureOverrides) : {};
    } catch {
      return {};
    }
  }

  /** Forgets the settings of an extension, or of every extension of the tenant (deprovisioned: a new holder of the number starts clean). */
  clear(tenant: string, extension?: string): void {
    if (extension === undefined) this.clearTenant.run(tenant);
    else this.clearOne.run(tenant, extension);
  }

  /** Merges `change` into the stored settings of the extension. */
  set(tenant: string, extension: string, change: FeatureOverrides, at: Date = new Date()): FeatureOverrides {
    const next = { ...this.get(tenant, extension), ...change };
    this.write.run(tenant, extension, JSON.stringify(next), at.toISOString());
    return next;
  }
}
