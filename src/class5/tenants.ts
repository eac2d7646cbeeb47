/**
 * Tenants by domain and id, their extensions, the digest HA1s, and DIDs that land on extensions or
 * hunt groups. One immutable snapshot at a time: `replace` builds the next one beside the current
 * and swaps it in with one assignment, so the registrar, the dial plan and DID delivery see a
 * provisioning change all at once (class5/provisioning.ts), never half of it.
 */
import { ha1 } from '../sip/digest.js';
import type { Ha1Set } from './digest-auth.js';
import type { Class5Config, ExtensionConfig, TenantConfig } from './config.js';

/** Where a tenant is defined: the configuration file (read-only at run time) or the store (admin API). */
export type TenantOrigin = 'config' | 'store';

export interface Tenant {
  readonly id: string;
  readonly domain: string;
  readonly origin: TenantOrigin;
  readonly config: TenantConfig;
  readonly extensions: ReadonlyMap<string, ExtensionConfig>;
}

export type HuntGroupConfig = TenantConfig['huntGroups'][number];

export interface DidTarget {
  tenant: Tenant;
  /** The extension it rings, or the hunt group (exactly one of the two). */
  extension?: ExtensionConfig;
  huntGroup?: HuntGroupConfig;
}

/** A tenant definition with where it came from; DIDs may name an extension or a hunt group. */
export interface TenantSource {
  origin: TenantOrigin;
  config: TenantConfig;
  /** DIDs to hunt groups (config-file DIDs name extensions only). */
  huntDids?: Array<{ did: string; huntGroup: string }>;
}

interface Snapshot {
  readonly byDomain: ReadonlyMap<string, Tenant>;
  readonly byId: ReadonlyMap<string, Tenant>;
  readonly dids: ReadonlyMap<string, DidTarget>;
  readonly ha1s: ReadonlyMap<string, Ha1Set>;
}

/** HA1s of an extension: from its plain password (config file, lab) or as given (RFC 7616 §3.4.2). */
export function ha1sOf(e: Pick<ExtensionConfig, 'number' | 'password' | 'ha1'>, domain: string): Ha1Set {
  const set: Ha1Set = {};
  if (e.password !== undefined) {
    set.MD5 = ha1('MD5', e.number, domain, e.password);
    set['SHA-256'] = ha1('SHA-256', e.number, domain, e.password);
  }
  if (e.ha1?.md5) set.MD5 = e.ha1.md5;
  if (e.ha1?.sha256) set['SHA-256'] = e.ha1.sha256;
  return set;
}

function build(sources: readonly TenantSource[]): Snapshot {
  const byDomain = new Map<string, Tenant>();
  const byId = new Map<string, Tenant>();
  const dids = new Map<string, DidTarget>();
  const ha1s = new Map<string, Ha1Set>();
  for (const { origin, config: t, huntDids } of sources) {
    const tenant: Tenant = { id: t.id, domain: t.domain, origin, config: t, extensions: new Map(t.extensions.map((e) => [e.number, e])) };
    byDomain.set(t.domain, tenant);
    byId.set(t.id, tenant);
    for (const e of t.extensions) ha1s.set(`${t.id}\n${e.number}`, ha1sOf(e, t.domain));
    for (const d of t.dids) {
      const extension = tenant.extensions.get(d.extension);
      if (extension) dids.set(d.did, { tenant, extension });
    }
    for (const d of huntDids ?? []) {
      const huntGroup = t.huntGroups.find((h) => h.number === d.huntGroup);
      if (huntGroup) dids.set(d.did, { tenant, huntGroup });
    }
  }
  return { byDomain, byId, dids, ha1s };
}

/** Removed extensions whose credentials are still recognised (for a clear 404), at most this many. */
const MAX_RETIRED = 10_000;

export class TenantDirectory {
  private snap: Snapshot;
  private gen = 0;
  private readonly retired = new Map<string, Ha1Set>();

  /** The configuration file's tenants (origin "config"). */
  constructor(cfg: Pick<Class5Config, 'tenants'>) {
    this.snap = build(cfg.tenants.map((config) => ({ origin: 'config' as const, config })));
  }

  /** Swaps in a new set of tenants at once (the provisioning service's merge of file and store). */
  replace(sources: readonly TenantSource[]): void {
    const next = build(sources);
    this.snap = next;
    this.gen++;
    for (const k of next.ha1s.keys()) this.retired.delete(k);
  }

  /**
   * Remembers the HA1s of an extension being removed: a phone still registering with them is told
   * 404 (RFC 3261 §10.3 step 5) once it has proved it knows them, while a scanner guessing names
   * still sees only challenges.
   */
  retire(tenantId: string, number: string): void {
    const key = `${tenantId}\n${number}`;
    const set = this.snap.ha1s.get(key);
    if (!set) return;
    this.retired.delete(key);
    this.retired.set(key, set);
    for (const k of this.retired.keys()) {
      if (this.retired.size <= MAX_RETIRED) break;
      this.retired.delete(k);
    }
  }

  /** HA1s of a removed extension of the tenant (see retire). */
  retiredHa1(tenant: Tenant, number: string): Ha1Set | undefined {
    return this.retired.get(`${tenant.id}\n${number}`);
  }

  /** Bumped by every replace(): caches derived from the tenants (voicemail hosts) compare it. */
  get generation(): number {
    return this.gen;
  }

  /** The tenant whose domain is this host (case-insensitive, RFC 3261 §19.1.4). */
  byDomain(host: string): Tenant | undefined {
    return this.snap.byDomain.get(host.toLowerCase());
  }

  byId(id: string): Tenant | undefined {
    return this.snap.byId.get(id);
  }

  /** Digest username = extension number (the user part of the AOR). */
  ha1(tenant: Tenant, number: string): Ha1Set | undefined {
    return this.snap.ha1s.get(`${tenant.id}\n${number}`);
  }

  /** What a DID is delivered to, by the national number (leading + and country code 1 removed). */
  did(number: string): DidTarget | undefined {
    const n = number.replace(/^\+/, '');
    const dids = this.snap.dids;
    return dids.get(n) ?? (n.length === 11 && n.startsWith('1') ? dids.get(n.slice(1)) : undefined);
  }

  get size(): number {
    return this.snap.byId.size;
  }

  all(): Tenant[] {
    return [...this.snap.byId.values()];
  }
}
