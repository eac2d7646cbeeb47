/**
 * Hosted-PBX tenants provisioned through the admin API, as rows: tenants, their extensions and
 * the DIDs that reach an extension or a hunt group. Passwords are never stored: an extension
 * holds its digest HA1s (RFC 7616 §3.4.2, MD5 and SHA-256) over `number:domain:password`.
 * SQLite (sqlite-tenants.ts) or PostgreSQL (pg-tenants.ts); the provisioning service
 * (src/class5/provisioning.ts) validates before it writes, the unique keys here are the backstop.
 */
export type ClassOfService = 'local' | 'national' | 'international' | 'blocked';
/** Which number a PSTN call presents: the extension's own caller ID (else the main number), or always the main number. */
export type CallerIdPolicy = 'extension' | 'main-number';

export interface StoredHuntGroup {
  number: string;
  strategy: 'linear' | 'circular' | 'simultaneous';
  members: string[];
  ringS: number;
}

export interface StoredTenant {
  id: string;
  domain: string;
  mainNumber?: string;
  voicemail?: string;
  callerIdPolicy: CallerIdPolicy;
  /** Class of service of extensions that name none. */
  cos: ClassOfService;
  huntGroups: StoredHuntGroup[];
  createdAt: string;
  updatedAt: string;
}

export interface StoredExtension {
  tenantId: string;
  number: string;
  displayName?: string;
  ha1Md5: string;
  ha1Sha256: string;
  callerId?: string;
  /** Absent: the tenant's. */
  cos?: ClassOfService;
  maxDevices?: number;
  /** The features object of the configuration schema (class5/config.ts featuresSchema). */
  features: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface StoredDid {
  did: string;
  tenantId: string;
  /** Exactly one of extension and huntGroup. */
  extension?: string;
  huntGroup?: string;
  createdAt: string;
}

export interface ProvisionedTenants {
  tenants: StoredTenant[];
  extensions: StoredExtension[];
  dids: StoredDid[];
}

export interface TenantRepository {
  /** Everything, ordered by tenant id, extension number, DID. */
  load(): Promise<ProvisionedTenants>;
  /** Inserts or replaces the tenant row. */
  putTenant(t: StoredTenant): Promise<void>;
  /** Removes the tenant with its extensions and DIDs, in one transaction. */
  deleteTenant(id: string): Promise<void>;
  putExtension(e: StoredExtension): Promise<void>;
  /** Removes the extension and the DIDs that ring it, in one transaction. */
  deleteExtension(tenantId: string, number: string): Promise<void>;
  putDid(d: StoredDid): Promise<void>;
  deleteDid(did: string): Promise<void>;
}

/** Row ↔ record helpers shared by both databases (column names are the same). */
export interface TenantRow {
  id: string;
  domain: string;
  main_number: string | null;
  voicemail: string | null;
  caller_id_policy: string;
  cos: string;
  hunt_groups: string;
  created_at: string;
  updated_at: string;
}

export interface ExtensionRow {
  tenant_id: string;
  number: string;
  display_name: string | null;
  ha1_md5: string;
  ha1_sha256: string;
  caller_id: string | null;
  cos: string | null;
  max_devices: number | null;
  features: string;
  created_at: string;
  updated_at: string;
}

export interface DidRow {
  did: string;
  tenant_id: string;
  extension: string | null;
  hunt_group: string | null;
  created_at: string;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function json<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function tenantOfRow(r: TenantRow): StoredTenant {
  return {
    id: r.id,
    domain: r.domain,
    mainNumber: opt(r.main_number),
    voicemail: opt(r.voicemail),
    callerIdPolicy: r.caller_id_policy as CallerIdPolicy,
    cos: r.cos as ClassOfService,
    huntGroups: json<StoredHuntGroup[]>(r.hunt_groups, []),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function tenantRow(t: StoredTenant): unknown[] {
  return [t.id, t.domain, t.mainNumber ?? null, t.voicemail ?? null, t.callerIdPolicy, t.cos, JSON.stringify(t.huntGroups), t.createdAt, t.updatedAt];
}

export function extensionOfRow(r: ExtensionRow): StoredExtension {
  return {
    tenantId: r.tenant_id,
    number: r.number,
    displayName: opt(r.display_name),
    ha1Md5: r.ha1_md5,
    ha1Sha256: r.ha1_sha256,
    callerId: opt(r.caller_id),
    cos: opt(r.cos) as ClassOfService | undefined,
    maxDevices: opt(r.max_devices) ?? undefined,
    features: json<Record<string, unknown>>(r.features, {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function extensionRow(e: StoredExtension): unknown[] {
  return [e.tenantId, e.number, e.displayName ?? null, e.ha1Md5, e.ha1Sha256, e.callerId ?? null, e.cos ?? null, e.maxDevices ?? null, JSON.stringify(e.features), e.createdAt, e.updatedAt];
}

export function didOfRow(r: DidRow): StoredDid {
  return { did: r.did, tenantId: r.tenant_id, extension: opt(r.extension), huntGroup: opt(r.hunt_group), createdAt: r.created_at };
}

export function didRow(d: StoredDid): unknown[] {
  return [d.did, d.tenantId, d.extension ?? null, d.huntGroup ?? null, d.createdAt];
}

export const TENANT_COLUMNS = 'id, domain, main_number, voicemail, caller_id_policy, cos, hunt_groups, created_at, updated_at';
export const EXTENSION_COLUMNS = 'tenant_id, number, display_name, ha1_md5, ha1_sha256, caller_id, cos, max_devices, features, created_at, updated_at';
export const DID_COLUMNS = 'did, tenant_id, extension, hunt_group, created_at';

/**
 * INSERT, or UPDATE of every other column when the key exists (SQLite ≥ 3.24 and PostgreSQL alike).
 * Not INSERT OR REPLACE: that would delete whichever row holds another unique key (a domain).
 */
export function upsertSql(table: string, columns: string, keys: string[], mark: (i: number) => string): string {
  const cols = columns.split(', ');
  const set = cols.filter((c) => !keys.includes(c) && c !== 'created_at').map((c) => `${c} = excluded.${c}`);
  return `INSERT INTO ${table} (${columns}) VALUES (${cols.map((_, i) => mark(i + 1)).join(', ')}) ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${set.join(', ')}`;
}
