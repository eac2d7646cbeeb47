/** Tenants by domain and id, their extensions, the digest HA1s, and DIDs that land on extensions. */
import { ha1 } from '../sip/digest.js';
import type { Ha1Set } from './digest-auth.js';
import type { Class5Config, ExtensionConfig, TenantConfig } from './config.js';

export interface Tenant {
  readonly id: string;
  readonly domain: string;
  readonly config: TenantConfig;
  readonly extensions: ReadonlyMap<string, ExtensionConfig>;
}

export class TenantDirectory {
  private readonly byDomainMap = new Map<string, Tenant>();
  private readonly byIdMap = new Map<string, Tenant>();
  private readonly didMap = new Map<string, { tenant: Tenant; extension: ExtensionConfig }>();
  private readonly ha1s = new Map<string, Ha1Set>();

  constructor(cfg: Pick<Class5Config, 'tenants'>) {
    for (const t of cfg.tenants) {
      const tenant: Tenant = { id: t.id, domain: t.domain, config: t, extensions: new Map(t.extensions.map((e) => [e.number, e])) };
      this.byDomainMap.set(t.domain, tenant);
      this.byIdMap.set(t.id, tenant);
      for (const e of t.extensions) {
        const set: Ha1Set = {};
        if (e.password !== undefined) {
          set.MD5 = ha1('MD5', e.number, t.domain, e.password);
          set['SHA-256'] = ha1('SHA-256', e.number, t.domain, e.password);
        }
        if (e.ha1?.md5) set.MD5 = e.ha1.md5;
        if (e.ha1?.sha256) set['SHA-256'] = e.ha1.sha256;
        this.ha1s.set(`${t.id}\n${e.number}`, set);
      }
      for (const d of t.dids) {
        const extension = tenant.extensions.get(d.extension);
        if (extension) this.didMap.set(d.did, { tenant, extension });
      }
    }
  }

  /** The tenant whose domain is this host (case-insensitive, RFC 3261 §19.1.4). */
  byDomain(host: string): Tenant | undefined {
    return this.byDomainMap.get(host.toLowerCase());
  }

  byId(id: string): Tenant | undefined {
    return this.byIdMap.get(id);
  }

  /** Digest username = extension number (the user part of the AOR). */
  ha1(tenant: Tenant, number: string): Ha1Set | undefined {
    return this.ha1s.get(`${tenant.id}\n${number}`);
  }

  /** An extension a DID is delivered to, by the national number (leading + and country code 1 removed). */
  did(number: string): { tenant: Tenant; extension: ExtensionConfig } | undefined {
    const n = number.replace(/^\+/, '');
    return this.didMap.get(n) ?? (n.length === 11 && n.startsWith('1') ? this.didMap.get(n.slice(1)) : undefined);
  }

  get size(): number {
    return this.byIdMap.size;
  }

  all(): Tenant[] {
    return [...this.byIdMap.values()];
  }
}
