/**
 * Hosted-PBX tenants provisioned at run time (admin API, CLI), merged with the configuration
 * file's. Who wins: a tenant of the configuration file has origin "config" and is read-only here
 * (changing it is SSW_ERR_TENANT_READ_ONLY); tenants made through the API have origin "store".
 * A new tenant, extension, hunt group or DID whose key is already taken — by the file or the
 * store — is refused (SSW_ERR_TENANT_CONFLICT, naming the key and who holds it). Should the file
 * later claim a key a stored tenant holds, the file wins at the next start: the stored tenant (or
 * DID) is left out of service and the log says which key and what to do.
 *
 * Each change is written to the store first, then the whole directory is rebuilt and swapped in
 * one assignment (TenantDirectory.replace), so the registrar, the dial plan and DID delivery see
 * it at once; changes run one at a time. Removing an extension or tenant drops its registrations.
 * Passwords never leave this module: an extension is stored with its HA1s (RFC 7616 §3.4.2).
 */
import { ha1 } from '../sip/digest.js';
import { SoftswitchError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { Clock } from '../util/clock.js';
import { featuresSchema, type ExtensionConfig, type TenantConfig } from './config.js';
import type { DidTable } from '../class4/trunks/dids.js';
import type { TenantDirectory, TenantOrigin, TenantSource } from './tenants.js';
import type { CallerIdPolicy, ClassOfService, StoredDid, StoredExtension, StoredHuntGroup, StoredTenant, TenantRepository } from '../store/tenant-repository.js';
import { OneAtATime } from '../util/one-at-a-time.js';

export interface TenantInput {
  id: string;
  domain: string;
  mainNumber?: string;
  voicemail?: string;
  callerIdPolicy?: CallerIdPolicy;
  cos?: ClassOfService;
  huntGroups?: StoredHuntGroup[];
}

export interface TenantPatch {
  domain?: string;
  mainNumber?: string | null;
  voicemail?: string | null;
  callerIdPolicy?: CallerIdPolicy;
  cos?: ClassOfService;
  huntGroups?: StoredHuntGroup[];
}

export interface ExtensionInput {
  number: string;
  displayName?: string;
  /** Only used to compute the HA1s; never stored or logged. */
  password?: string;
  ha1?: { md5: string; sha256: string };
  callerId?: string;
  cos?: ClassOfService;
  maxDevices?: number;
  features?: Record<string, unknown>;
}

export type ExtensionPatch = Omit<Partial<ExtensionInput>, 'number' | 'displayName' | 'callerId' | 'cos' | 'maxDevices'> & {
  displayName?: string | null;
  callerId?: string | null;
  cos?: ClassOfService | null;
  maxDevices?: number | null;
};

export interface DidInput {
  did: string;
  extension?: string;
  huntGroup?: string;
}

/** What the API shows of a tenant (and the audit log records): never a credential. */
export interface TenantView {
  id: string;
  domain: string;
  origin: TenantOrigin;
  mainNumber?: string;
  voicemail?: string;
  callerIdPolicy: CallerIdPolicy;
  cos: ClassOfService;
  huntGroups: StoredHuntGroup[];
  extensions: number;
  dids: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface ExtensionView {
  tenant: string;
  number: string;
  displayName?: string;
  callerId?: string;
  cos: ClassOfService;
  maxDevices?: number;
  features: Record<string, unknown>;
  /** The digest algorithms it can authenticate with (the HA1s themselves are never shown). */
  credentials: string[];
  createdAt?: string;
  updatedAt?: string;
}

export interface DidView {
  did: string;
  tenant: string;
  extension?: string;
  huntGroup?: string;
  createdAt?: string;
}

interface StoreTenant {
  tenant: StoredTenant;
  extensions: Map<string, StoredExtension>;
  dids: Map<string, StoredDid>;
}

export interface ProvisioningDeps {
  repo: TenantRepository;
  directory: TenantDirectory;
  /** The configuration file's tenants (origin "config"). */
  configTenants: readonly TenantConfig[];
  /** Drops the registrations of a tenant, or of one AOR (Registrar.drop); the registrar may start after this service. */
  dropRegistrations?: (tenant: string, aor?: string) => number;
  /** Forgets star-code settings (forwarding, DND) of a removed extension or tenant, so a new holder of the number starts clean. */
  forgetFeatureSettings?: (tenant: string, extension?: string) => void;
  clock: Clock;
  logger: Logger;
  /** Who else owns a DID (a trunk customer's), by national number: its name, or undefined. */
  didOwner?: (did: string) => string | undefined;
}

const notFound = (what: string) => new SoftswitchError('SSW_ERR_TENANT_NOT_FOUND', what);
const conflict = (what: string) => new SoftswitchError('SSW_ERR_TENANT_CONFLICT', what);
const invalid = (what: string) => new SoftswitchError('SSW_ERR_TENANT_INVALID', what);

export class TenantProvisioning {
  private readonly stored = new Map<string, StoreTenant>();
  private readonly configById = new Map<string, TenantConfig>();
  private readonly serial = new OneAtATime();
  private readonly log: Logger;

  constructor(private readonly d: ProvisioningDeps) {
    this.log = d.logger.child({ component: 'provisioning' });
    for (const t of d.configTenants) this.configById.set(t.id, t);
  }

  /** Reads the store and puts its tenants in service beside the file's; the file wins any clash. */
  async load(): Promise<{ tenants: number; skipped: number }> {
    const rows = await this.d.repo.load();
    this.stored.clear();
    let skipped = 0;
    for (const t of rows.tenants) {
      const clash = this.configClash(t.id, t.domain);
      if (clash) {
        skipped++;
        this.log.error({ tenant: t.id, key: clash }, `stored tenant ${t.id} left out of service: ${clash} is also in the configuration file, which wins; rename one of them (DELETE /api/v1/tenants/${t.id} and create it again, or edit the file)`);
        continue;
      }
      this.stored.set(t.id, { tenant: t, extensions: new Map(), dids: new Map() });
    }
    for (const e of rows.extensions) this.stored.get(e.tenantId)?.extensions.set(e.number, e);
    for (const d of rows.dids) {
      const owner = this.configDidOwner(d.did) ?? this.d.didOwner?.(d.did);
      if (owner) {
        this.log.error({ did: d.did, tenant: d.tenantId, owner }, `stored DID ${d.did} left out of service: ${owner} has it in the configuration file, which wins; remove one of them`);
        continue;
      }
      this.stored.get(d.tenantId)?.dids.set(d.did, d);
    }
    this.publish();
    return { tenants: this.stored.size, skipped };
  }

  /**
   * Reads the store again (another node of a PostgreSQL cluster may have changed it) and puts
   * what it says in service; extensions and tenants gone from it lose their registrations here
   * too. Runs between changes, never during one.
   */
  refresh(): Promise<{ tenants: number; skipped: number }> {
    return this.exclusive(async () => {
      const before = new Map([...this.stored].map(([id, s]) => [id, { domain: s.tenant.domain, numbers: [...s.extensions.keys()] }]));
      const counts = await this.load();
      for (const [id, old] of before) {
        const now = this.stored.get(id);
        if (!now) {
          this.d.forgetFeatureSettings?.(id);
          this.d.dropRegistrations?.(id);
          continue;
        }
        for (const n of old.numbers) {
          if (now.extensions.has(n)) continue;
          this.d.forgetFeatureSettings?.(id, n);
          this.d.dropRegistrations?.(id, `sip:${n}@${old.domain}`);
        }
      }
      return counts;
    });
  }

  // --- Reads.

  listTenants(): TenantView[] {
    return [...this.d.configTenants.map((t) => this.configTenantView(t)), ...[...this.stored.values()].map((s) => this.storeTenantView(s))].sort((a, b) => a.id.localeCompare(b.id));
  }

  tenant(id: string): TenantView {
    const c = this.configById.get(id);
    if (c) return this.configTenantView(c);
    const s = this.stored.get(id);
    if (!s) throw notFound(`tenant ${id}`);
    return this.storeTenantView(s);
  }

  extensions(tenantId: string): ExtensionView[] {
    const c = this.configById.get(tenantId);
    if (c) return c.extensions.map((e) => configExtensionView(tenantId, e));
    return [...this.storeTenant(tenantId).extensions.values()].map((e) => this.extensionView(e));
  }

  extension(tenantId: string, number: string): ExtensionView {
    const found = this.extensions(tenantId).find((e) => e.number === number);
    if (!found) throw notFound(`extension ${number} in tenant ${tenantId}`);
    return found;
  }

  dids(tenantId: string): DidView[] {
    const c = this.configById.get(tenantId);
    if (c) return c.dids.map((d) => ({ did: d.did, tenant: tenantId, extension: d.extension }));
    return [...this.storeTenant(tenantId).dids.values()].map(didView);
  }

  // --- Changes (one at a time; each returns the state before and after, for the audit log).

  createTenant(input: TenantInput): Promise<TenantView> {
    return this.exclusive(async () => {
      const domain = input.domain.toLowerCase();
      const clash = this.configClash(input.id, domain) ?? this.storeClash(input.id, domain);
      if (clash) throw conflict(clash);
      const huntGroups = input.huntGroups ?? [];
      this.checkHuntGroups(huntGroups, new Map(), 'huntGroups');
      const now = this.now();
      const tenant: StoredTenant = { id: input.id, domain, mainNumber: input.mainNumber, voicemail: input.voicemail, callerIdPolicy: input.callerIdPolicy ?? 'extension', cos: input.cos ?? 'national', huntGroups, createdAt: now, updatedAt: now };
      await this.d.repo.putTenant(tenant);
      const s: StoreTenant = { tenant, extensions: new Map(), dids: new Map() };
      this.stored.set(tenant.id, s);
      this.publish();
      this.log.info({ tenant: tenant.id, domain }, 'tenant created');
      return this.storeTenantView(s);
    });
  }

  updateTenant(id: string, patch: TenantPatch): Promise<{ before: TenantView; after: TenantView }> {
    return this.exclusive(async () => {
      const s = this.writable(id);
      const before = this.storeTenantView(s);
      const next: StoredTenant = { ...s.tenant, updatedAt: this.now() };
      if (patch.domain !== undefined && patch.domain.toLowerCase() !== s.tenant.domain) {
        const domain = patch.domain.toLowerCase();
        // The HA1s are over number:realm:password (RFC 7616 §3.4.2): a new realm would lock every phone out.
        if (s.extensions.size > 0) throw conflict(`domain: tenant ${id} has ${s.extensions.size} extension(s) whose digest credentials are bound to ${s.tenant.domain}; remove them (or create a new tenant) to change the domain`);
        const clash = this.configClash('', domain) ?? this.storeClash('', domain);
        if (clash) throw conflict(clash);
        next.domain = domain;
      }
      if (patch.mainNumber !== undefined) next.mainNumber = patch.mainNumber ?? undefined;
      if (patch.voicemail !== undefined) next.voicemail = patch.voicemail ?? undefined;
      if (patch.callerIdPolicy !== undefined) next.callerIdPolicy = patch.callerIdPolicy;
      if (patch.cos !== undefined) next.cos = patch.cos;
      if (patch.huntGroups !== undefined) {
        this.checkHuntGroups(patch.huntGroups, s.extensions, 'huntGroups');
        for (const d of s.dids.values()) {
          if (d.huntGroup && !patch.huntGroups.some((h) => h.number === d.huntGroup)) throw conflict(`huntGroups: DID ${d.did} rings hunt group ${d.huntGroup}; remove the DID first`);
        }
        next.huntGroups = patch.huntGroups;
      }
      await this.d.repo.putTenant(next);
      s.tenant = next;
      this.publish();
      this.log.info({ tenant: id, fields: Object.keys(patch) }, 'tenant changed');
      return { before, after: this.storeTenantView(s) };
    });
  }

  deleteTenant(id: string): Promise<TenantView> {
    return this.exclusive(async () => {
      const s = this.writable(id);
      const before = this.storeTenantView(s);
      await this.d.repo.deleteTenant(id);
      this.stored.delete(id);
      this.publish();
      this.d.forgetFeatureSettings?.(id);
      const dropped = this.d.dropRegistrations?.(id) ?? 0;
      this.log.info({ tenant: id, registrationsDropped: dropped }, 'tenant deleted');
      return before;
    });
  }

  addExtension(tenantId: string, input: ExtensionInput): Promise<ExtensionView> {
    return this.exclusive(async () => {
      const s = this.writable(tenantId);
      if (s.extensions.has(input.number)) throw conflict(`number: extension ${input.number} exists in tenant ${tenantId}`);
      if (s.tenant.huntGroups.some((h) => h.number === input.number)) throw conflict(`number: ${input.number} is a hunt group of tenant ${tenantId}`);
      if (input.password === undefined && input.ha1 === undefined) throw invalid('password: an extension needs a password or ha1 {md5, sha256}');
      const now = this.now();
      const e: StoredExtension = {
        tenantId,
        number: input.number,
        displayName: input.displayName,
        ...credentials(input, s.tenant.domain),
        callerId: input.callerId,
        cos: input.cos,
        maxDevices: input.maxDevices,
        features: checkFeatures(input.features ?? {}),
        createdAt: now,
        updatedAt: now,
      };
      await this.d.repo.putExtension(e);
      s.extensions.set(e.number, e);
      this.publish();
      this.log.info({ tenant: tenantId, extension: e.number }, 'extension created');
      return this.extensionView(e);
    });
  }

  updateExtension(tenantId: string, number: string, patch: ExtensionPatch): Promise<{ before: ExtensionView; after: ExtensionView }> {
    return this.exclusive(async () => {
      const s = this.writable(tenantId);
      const old = s.extensions.get(number);
      if (!old) throw notFound(`extension ${number} in tenant ${tenantId}`);
      const next: StoredExtension = { ...old, updatedAt: this.now() };
      if (patch.password !== undefined || patch.ha1 !== undefined) Object.assign(next, credentials({ number, password: patch.password, ha1: patch.ha1 }, s.tenant.domain));
      if (patch.displayName !== undefined) next.displayName = patch.displayName ?? undefined;
      if (patch.callerId !== undefined) next.callerId = patch.callerId ?? undefined;
      if (patch.cos !== undefined) next.cos = patch.cos ?? undefined;
      if (patch.maxDevices !== undefined) next.maxDevices = patch.maxDevices ?? undefined;
      if (patch.features !== undefined) next.features = checkFeatures(patch.features);
      await this.d.repo.putExtension(next);
      s.extensions.set(number, next);
      this.publish();
      this.log.info({ tenant: tenantId, extension: number, fields: Object.keys(patch).map((k) => (k === 'password' || k === 'ha1' ? 'credentials' : k)) }, 'extension changed');
      return { before: this.extensionView(old), after: this.extensionView(next) };
    });
  }

  deleteExtension(tenantId: string, number: string): Promise<ExtensionView> {
    return this.exclusive(async () => {
      const s = this.writable(tenantId);
      const e = s.extensions.get(number);
      if (!e) throw notFound(`extension ${number} in tenant ${tenantId}`);
      const group = s.tenant.huntGroups.find((h) => h.members.includes(number));
      if (group) throw conflict(`extension ${number} is a member of hunt group ${group.number}; take it out of the group first (PATCH /api/v1/tenants/${tenantId} huntGroups)`);
      await this.d.repo.deleteExtension(tenantId, number);
      this.d.directory.retire(tenantId, number);
      s.extensions.delete(number);
      for (const [did, d] of s.dids) if (d.extension === number) s.dids.delete(did);
      this.publish();
      this.d.forgetFeatureSettings?.(tenantId, number);
      const dropped = this.d.dropRegistrations?.(tenantId, `sip:${number}@${s.tenant.domain}`) ?? 0;
      this.log.info({ tenant: tenantId, extension: number, registrationsDropped: dropped }, 'extension deleted');
      return this.extensionView(e);
    });
  }

  addDid(tenantId: string, input: DidInput): Promise<DidView> {
    return this.exclusive(async () => {
      const s = this.writable(tenantId);
      if ((input.extension === undefined) === (input.huntGroup === undefined)) throw invalid('extension: a DID rings exactly one of extension or huntGroup');
      const owner = this.configDidOwner(input.did) ?? this.storeDidOwner(input.did) ?? this.d.didOwner?.(input.did);
      if (owner) throw conflict(`did: ${input.did} is ${owner}'s`);
      if (input.extension !== undefined && !s.extensions.has(input.extension)) throw invalid(`extension: no extension ${input.extension} in tenant ${tenantId}`);
      if (input.huntGroup !== undefined && !s.tenant.huntGroups.some((h) => h.number === input.huntGroup)) throw invalid(`huntGroup: no hunt group ${input.huntGroup} in tenant ${tenantId}`);
      const d: StoredDid = { did: input.did, tenantId, extension: input.extension, huntGroup: input.huntGroup, createdAt: this.now() };
      await this.d.repo.putDid(d);
      s.dids.set(d.did, d);
      this.publish();
      this.log.info({ tenant: tenantId, did: d.did, extension: d.extension, huntGroup: d.huntGroup }, 'DID added');
      return didView(d);
    });
  }

  deleteDid(tenantId: string, did: string): Promise<DidView> {
    return this.exclusive(async () => {
      const s = this.writable(tenantId);
      const d = s.dids.get(did);
      if (!d) throw notFound(`DID ${did} in tenant ${tenantId}`);
      await this.d.repo.deleteDid(did);
      s.dids.delete(did);
      this.publish();
      this.log.info({ tenant: tenantId, did }, 'DID removed');
      return didView(d);
    });
  }

  // --- Internals.

  /** Rebuilds the directory from the file's tenants and the store's, and swaps it in. */
  private publish(): void {
    const sources: TenantSource[] = this.d.configTenants.map((config) => ({ origin: 'config', config }));
    for (const s of this.stored.values()) sources.push(this.source(s));
    this.d.directory.replace(sources);
  }

  private source(s: StoreTenant): TenantSource {
    const t = s.tenant;
    const extensions: ExtensionConfig[] = [...s.extensions.values()].map((e) => {
      const parsed = featuresSchema.safeParse(e.features);
      if (!parsed.success) this.log.error({ tenant: t.id, extension: e.number, issue: parsed.error.issues[0] }, 'stored features of the extension are not valid any more; defaults used until they are set again (PATCH the extension)');
      return {
        number: e.number,
        ha1: { md5: e.ha1Md5, sha256: e.ha1Sha256 },
        displayName: e.displayName,
        // Caller-ID policy "main-number": every PSTN call presents the tenant's main number.
        callerId: t.callerIdPolicy === 'main-number' ? undefined : e.callerId,
        cos: e.cos ?? t.cos,
        maxDevices: e.maxDevices,
        features: parsed.success ? parsed.data : featuresSchema.parse({}),
      };
    });
    const dids = [...s.dids.values()];
    return {
      origin: 'store',
      config: {
        id: t.id,
        domain: t.domain,
        mainNumber: t.mainNumber,
        voicemail: t.voicemail,
        extensions,
        huntGroups: t.huntGroups,
        dids: dids.flatMap((d) => (d.extension ? [{ did: d.did, extension: d.extension }] : [])),
      },
      huntDids: dids.flatMap((d) => (d.huntGroup ? [{ did: d.did, huntGroup: d.huntGroup }] : [])),
    };
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.serial.run(work);
  }

  private now(): string {
    return new Date(this.d.clock.now()).toISOString();
  }

  private storeTenant(id: string): StoreTenant {
    const s = this.stored.get(id);
    if (!s) throw notFound(`tenant ${id}`);
    return s;
  }

  /** A tenant the API may change: a stored one. */
  private writable(id: string): StoreTenant {
    if (this.configById.has(id)) throw new SoftswitchError('SSW_ERR_TENANT_READ_ONLY', `tenant ${id}`);
    return this.storeTenant(id);
  }

  private configClash(id: string, domain: string): string | undefined {
    if (this.configById.has(id)) return `id: tenant ${id} exists in the configuration file`;
    const t = this.d.configTenants.find((c) => c.domain === domain);
    return t && `domain: ${domain} is tenant ${t.id}'s in the configuration file`;
  }

  private storeClash(id: string, domain: string): string | undefined {
    if (this.stored.has(id)) return `id: tenant ${id} exists in the store`;
    const t = [...this.stored.values()].find((s) => s.tenant.domain === domain);
    return t && `domain: ${domain} is tenant ${t.tenant.id}'s in the store`;
  }

  private configDidOwner(did: string): string | undefined {
    const t = this.d.configTenants.find((c) => c.dids.some((d) => d.did === did));
    return t && `tenant ${t.id} (configuration file)`;
  }

  private storeDidOwner(did: string): string | undefined {
    const t = [...this.stored.values()].find((s) => s.dids.has(did));
    return t && `tenant ${t.tenant.id}`;
  }

  private checkHuntGroups(groups: StoredHuntGroup[], extensions: ReadonlyMap<string, unknown>, field: string): void {
    const seen = new Set<string>();
    for (const [i, g] of groups.entries()) {
      if (seen.has(g.number)) throw conflict(`${field}.${i}.number: hunt group ${g.number} is listed twice`);
      seen.add(g.number);
      if (extensions.has(g.number)) throw conflict(`${field}.${i}.number: ${g.number} is an extension`);
      for (const m of g.members) if (!extensions.has(m)) throw invalid(`${field}.${i}.members: no extension ${m} in this tenant`);
    }
  }

  private storeTenantView(s: StoreTenant): TenantView {
    const t = s.tenant;
    return { id: t.id, domain: t.domain, origin: 'store', mainNumber: t.mainNumber, voicemail: t.voicemail, callerIdPolicy: t.callerIdPolicy, cos: t.cos, huntGroups: t.huntGroups, extensions: s.extensions.size, dids: s.dids.size, createdAt: t.createdAt, updatedAt: t.updatedAt };
  }

  private configTenantView(t: TenantConfig): TenantView {
    return { id: t.id, domain: t.domain, origin: 'config', mainNumber: t.mainNumber, voicemail: t.voicemail, callerIdPolicy: 'extension', cos: 'national', huntGroups: t.huntGroups, extensions: t.extensions.length, dids: t.dids.length };
  }

  private extensionView(e: StoredExtension): ExtensionView {
    const tenantCos = this.stored.get(e.tenantId)?.tenant.cos ?? 'national';
    return { tenant: e.tenantId, number: e.number, displayName: e.displayName, callerId: e.callerId, cos: e.cos ?? tenantCos, maxDevices: e.maxDevices, features: e.features, credentials: ['MD5', 'SHA-256'], createdAt: e.createdAt, updatedAt: e.updatedAt };
  }
}

function configExtensionView(tenant: string, e: ExtensionConfig): ExtensionView {
  const credentials = e.password !== undefined ? ['MD5', 'SHA-256'] : [...(e.ha1?.md5 ? ['MD5'] : []), ...(e.ha1?.sha256 ? ['SHA-256'] : [])];
  return { tenant, number: e.number, displayName: e.displayName, callerId: e.callerId, cos: e.cos, maxDevices: e.maxDevices, features: e.features as Record<string, unknown>, credentials };
}

function didView(d: StoredDid): DidView {
  return { did: d.did, tenant: d.tenantId, extension: d.extension, huntGroup: d.huntGroup, createdAt: d.createdAt };
}

/** The HA1s of an extension from its password or as given; the password goes no further. */
function credentials(input: Pick<ExtensionInput, 'number' | 'password' | 'ha1'>, domain: string): { ha1Md5: string; ha1Sha256: string } {
  if (input.password !== undefined) return { ha1Md5: ha1('MD5', input.number, domain, input.password), ha1Sha256: ha1('SHA-256', input.number, domain, input.password) };
  if (input.ha1) return { ha1Md5: input.ha1.md5.toLowerCase(), ha1Sha256: input.ha1.sha256.toLowerCase() };
  throw invalid('password: an extension needs a password or ha1 {md5, sha256}');
}

/** The features object checked against the configuration schema; the first problem names its field. */
function checkFeatures(features: Record<string, unknown>): Record<string, unknown> {
  const parsed = featuresSchema.safeParse(features);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`features.${issue.path.join('.')}: ${issue.message}`);
  }
  return features;
}

/** The trunk customers' DIDs in service as `didOwner` (a tenant cannot take a number a trunk customer has). */
export function trunkDidOwner(dids: Pick<DidTable, 'lookup'>): (did: string) => string | undefined {
  return (did) => {
    const owner = dids.lookup(did);
    return owner && `trunk customer ${owner.customer}`;
  };
}
