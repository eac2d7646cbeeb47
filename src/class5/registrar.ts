/**
 * The registrar (RFC 3261 §10.3): bindings of contacts to an address-of-record, per tenant, with
 * expiry, several contacts per AOR, and the Path of each (RFC 3327 §5.3). No I/O: `apply` takes a
 * REGISTER's relevant fields and returns the answer; the SIP side lives in registrar-service.ts.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { parseNameAddr, parseUri } from '../sip/header-values.js';
import { Registry } from 'prom-client';
import { class5Metrics, type Class5Metrics } from './metrics.js';

export interface Binding {
  /** Contact URI, as registered. */
  contact: string;
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Path header values of the REGISTER, in order: the Route set toward this contact (RFC 3327 §5.3). */
  path: string[];
  /** Where the REGISTER came from (the contact may be behind NAT). */
  source: { address: string; port: number };
  q?: number;
  registeredAt: number;
  userAgent?: string;
}

export interface RegisterInput {
  /** Contact header values, one per element (lists already split). */
  contacts: string[];
  expires?: string;
  callId: string;
  cseq: number;
  path: string[];
  supportedPath: boolean;
  source: { address: string; port: number };
  userAgent?: string;
  /** The extension's own cap on contacts (its devices), below the registrar's maxContactsPerAor. */
  maxContacts?: number;
}

export interface RegisterAnswer {
  status: number;
  reason?: string;
  headers: Record<string, string | string[]>;
}

export interface RegistrarOptions {
  clock: Clock;
  minExpiresS: number;
  maxExpiresS: number;
  defaultExpiresS: number;
  maxContactsPerAor: number;
  /** Where bindings are counted (the switch's registry; default: one of its own). */
  registry?: Registry;
  /** Told of every change a REGISTER makes (the cluster shares registrations: src/cluster/registrations.ts). */
  onChange?: (tenant: string, aor: string, bindings: Binding[]) => void;
}

const key = (tenant: string, aor: string) => `${tenant}\n${aor}`;

/** §10.3 step 5: the canonical AOR: sip:user@host, lower-case host, no port or parameters. */
export function canonicalAor(uri: string): string | undefined {
  const u = parseUri(uri);
  if (!u || !u.user || (u.scheme !== 'sip' && u.scheme !== 'sips')) return undefined;
  return `sip:${u.user}@${u.host.toLowerCase()}`;
}

/** §19.1.4, loosely: contacts are the same when scheme, user, host and port match. */
function sameContact(a: string, b: string): boolean {
  const x = parseUri(a);
  const y = parseUri(b);
  if (!x || !y) return a === b;
  return x.scheme === y.scheme && x.user === y.user && x.host.toLowerCase() === y.host.toLowerCase() && (x.port ?? 5060) === (y.port ?? 5060);
}

export class Registrar {
  private readonly bindings = new Map<string, { tenant: string; aor: string; list: Binding[] }>();
  private sweepTimer: TimerHandle | undefined;
  private sweepAt = Infinity;
  private readonly perTenant = new Map<string, number>();

  private readonly m: Class5Metrics;

  constructor(private readonly o: RegistrarOptions) {
    this.m = class5Metrics(o.registry ?? new Registry());
  }

  /** §10.3 steps 6–8 for one REGISTER whose AOR and credentials were already checked. */
  apply(tenant: string, aor: string, r: RegisterInput): RegisterAnswer {
    const now = this.o.clock.now();
    const current = this.lookup(tenant, aor);
    const headerExpires = r.expires !== undefined ? Number(r.expires) : undefined;
    if (headerExpires !== undefined && (!Number.isInteger(headerExpires) || headerExpires < 0)) return { status: 400, reason: 'Bad Request (Expires)', headers: {} };
    if (r.contacts.length === 0) return this.ok(tenant, aor, current, r);
    // Step 6: `Contact: *` only with Expires: 0 and alone.
    if (r.contacts.some((c) => c.trim() === '*')) {
      if (r.contacts.length !== 1 || headerExpires !== 0) return { status: 400, reason: 'Bad Request (wildcard Contact)', headers: {} };
      if (current.some((b) => b.callId === r.callId && r.cseq <= b.cseq)) return { status: 500, reason: 'Out of Order', headers: {} };
      this.store(tenant, aor, []);
      this.o.onChange?.(tenant, aor, []);
      return this.ok(tenant, aor, [], r);
    }
    const next = [...current];
    for (const raw of r.contacts) {
      const na = parseNameAddr(raw);
      if (!na || !parseUri(na.uri)) return { status: 400, reason: 'Bad Request (Contact)', headers: {} };
      const param = na.params.get('expires');
      let expires = param !== undefined ? Number(param) : (headerExpires ?? this.o.defaultExpiresS);
      if (!Number.isInteger(expires) || expires < 0) expires = this.o.defaultExpiresS;
      // Step 7: too short but not zero → 423 with Min-Expires (§20.23).
      if (expires > 0 && expires < this.o.minExpiresS) return { status: 423, headers: { 'Min-Expires': String(this.o.minExpiresS) } };
      expires = Math.min(expires, this.o.maxExpiresS);
      const i = next.findIndex((b) => sameContact(b.contact, na.uri));
      if (i >= 0) {
        const old = next[i];
        // Step 7: same Call-ID and a CSeq not above the binding's: the update is out of order.
        if (old.callId === r.callId && r.cseq <= old.cseq) return { status: 500, reason: 'Out of Order', headers: {} };
        next.splice(i, 1);
      }
      if (expires === 0) continue;
      const q = na.params.has('q') ? Number(na.params.get('q')) : undefined;
      next.push({ contact: na.uri, expiresAt: now + expires * 1000, callId: r.callId, cseq: r.cseq, path: r.path, source: r.source, q: q !== undefined && q >= 0 && q <= 1 ? q : undefined, registeredAt: now, userAgent: r.userAgent });
    }
    // Past the cap, the binding closest to expiry is dropped.
    next.sort((a, b) => b.expiresAt - a.expiresAt);
    next.length = Math.min(next.length, this.o.maxContactsPerAor, r.maxContacts ?? Infinity);
    this.store(tenant, aor, next);
    this.o.onChange?.(tenant, aor, next);
    return this.ok(tenant, aor, next, r);
  }

  /** Step 8: 200 with every current binding and its remaining expiry; Path only to a UA that supports it (RFC 3327 §5.3). */
  private ok(_tenant: string, _aor: string, list: Binding[], r: RegisterInput): RegisterAnswer {
    const now = this.o.clock.now();
    const headers: Record<string, string | string[]> = {};
    if (list.length > 0) headers.Contact = list.map((b) => `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`);
    if (r.supportedPath && r.path.length > 0) headers.Path = r.path;
    return { status: 200, headers };
  }

  /** Bindings of an AOR as another node registered them (cluster); expired ones are dropped. */
  replace(tenant: string, aor: string, bindings: Binding[]): void {
    const now = this.o.clock.now();
    this.store(tenant, aor, bindings.filter((b) => b.expiresAt > now));
  }

  /** Current (not expired) bindings of an AOR, highest q first, then the most recent. */
  lookup(tenant: string, aor: string): Binding[] {
    const now = this.o.clock.now();
    const entry = this.bindings.get(key(tenant, aor));
    if (!entry) return [];
    const live = entry.list.filter((b) => b.expiresAt > now);
    if (live.length !== entry.list.length) this.store(tenant, aor, live);
    return live.sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.registeredAt - a.registeredAt);
  }

  private store(tenant: string, aor: string, list: Binding[]): void {
    const k = key(tenant, aor);
    const before = this.bindings.get(k)?.list.length ?? 0;
    if (list.length === 0) this.bindings.delete(k);
    else this.bindings.set(k, { tenant, aor, list });
    const n = (this.perTenant.get(tenant) ?? 0) + list.length - before;
    this.perTenant.set(tenant, n);
    this.m.registrationsActive.set({ tenant }, n);
    let earliest = Infinity;
    for (const b of list) earliest = Math.min(earliest, b.expiresAt);
    if (earliest < this.sweepAt) this.scheduleSweep(earliest);
  }

  /**
   * Removes expired bindings at the earliest expiry, so the gauge does not count the dead. A REGISTER
   * only moves the timer earlier; the full scan runs when it fires (one scan per expiry time).
   */
  private scheduleSweep(at: number): void {
    this.o.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepAt = at;
    if (at === Infinity) return;
    this.sweepTimer = this.o.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweepAt = Infinity;
      let next = Infinity;
      for (const e of [...this.bindings.values()]) for (const b of this.lookup(e.tenant, e.aor)) next = Math.min(next, b.expiresAt);
      this.scheduleSweep(next);
    }, Math.max(0, at - this.o.clock.now()) + 1);
  }

  /**
   * Removes the bindings of one AOR, or of every AOR of the tenant (an extension or tenant
   * deprovisioned); the cluster is told as of any change. Returns how many bindings went.
   */
  drop(tenant: string, aor?: string): number {
    let n = 0;
    for (const e of [...this.bindings.values()]) {
      if (e.tenant !== tenant || (aor !== undefined && e.aor !== aor)) continue;
      n += e.list.length;
      this.store(e.tenant, e.aor, []);
      this.o.onChange?.(e.tenant, e.aor, []);
    }
    return n;
  }

  /** Every AOR with its current bindings (admin API). */
  list(tenant?: string): Array<{ tenant: string; aor: string; contacts: Binding[] }> {
    const out: Array<{ tenant: string; aor: string; contacts: Binding[] }> = [];
    for (const e of [...this.bindings.values()]) {
      if (tenant !== undefined && e.tenant !== tenant) continue;
      const contacts = this.lookup(e.tenant, e.aor);
      if (contacts.length) out.push({ tenant: e.tenant, aor: e.aor, contacts });
    }
    return out;
  }

  close(): void {
    this.o.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
  }
}
