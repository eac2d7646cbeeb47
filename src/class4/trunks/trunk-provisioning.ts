/**
 * SIP trunk customers and their DIDs provisioned at run time (admin API, CLI), merged with the
 * configuration file's.
 *
 * Who wins — the configuration file, as for Class 5 tenants: a customer of the file has origin
 * "config" and is read-only here (SSW_ERR_TRUNK_CUSTOMER_READ_ONLY), DIDs included; customers made
 * through the API have origin "store". A new customer id, an exact source prefix another customer
 * has, or a DID number/range overlapping one in service (file, store or a Class 5 tenant's) is
 * refused (SSW_ERR_TRUNK_CUSTOMER_CONFLICT, naming who holds it). Should the file later claim an id
 * or numbers the store holds, the file wins at the next start: the stored customer (or DID) is left
 * out of service and the log says which and what to do. Between stored DIDs that overlap (two
 * nodes adding at once) the earlier one stays in service.
 *
 * Each change is written to the store first, then the customer and DID tables the intakes use are
 * rebuilt and swapped in (TrunkCustomerTable.replace, DidTable.replace), with the toll-fraud limits
 * and the watched DID targets: the next INVITE or IAM sees the change. Changes run one at a time.
 */
import { SoftswitchError } from '../../errors.js';
import type { Logger } from '../../util/log.js';
import type { Clock } from '../../util/clock.js';
import { customerLimitsSchema, type CustomerLimits } from '../admission/fraud.js';
import { didSchema, trunkCustomerSchema, type DidConfig, type DidTargetConfig, type TrunkCustomerConfig } from './config.js';
import { nationalNumber, type DidTable } from './dids.js';
import { parseCidr, type TrunkCustomerTable } from './trunk-customers.js';
import type { StoredTrunkCustomer, StoredTrunkDid, TrunkCustomerRepository } from '../../store/trunk-repository.js';
import { OneAtATime } from '../../util/one-at-a-time.js';

export type TrunkOrigin = 'config' | 'store';

export interface TrunkCustomerInput {
  id: string;
  name?: string;
  sources: string[];
  routingCustomer?: string;
  maxCalls?: number;
  unreachableCause?: 34 | 20;
  limits?: Partial<CustomerLimits>;
}

export interface TrunkCustomerPatch {
  name?: string | null;
  sources?: string[];
  routingCustomer?: string | null;
  maxCalls?: number;
  unreachableCause?: 34 | 20;
  /** Merged into the limits in force. */
  limits?: Partial<CustomerLimits>;
}

export interface TrunkDidInput {
  number?: string;
  range?: { from: string; to: string };
  targets: Array<Partial<DidTargetConfig> & { host: string }>;
  selection?: 'ordered' | 'weighted';
  deliverAs?: 'national' | 'e164';
}

export interface TrunkCustomerView {
  id: string;
  name?: string;
  origin: TrunkOrigin;
  sources: string[];
  routingCustomer?: string;
  maxCalls: number;
  unreachableCause: number;
  limits: CustomerLimits;
  dids: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface TrunkDidView {
  customer: string;
  origin: TrunkOrigin;
  /** The number, or the first of the range (the DID's key in the API). */
  number: string;
  range?: { from: string; to: string };
  targets: DidTargetConfig[];
  selection: string;
  deliverAs: string;
  createdAt?: string;
}

export interface TrunkProvisioningDeps {
  repo: TrunkCustomerRepository;
  /** The configuration file's customers (origin "config"). */
  configCustomers: readonly TrunkCustomerConfig[];
  /** The live tables the SIP and PSTN intakes read. */
  customers: TrunkCustomerTable;
  dids: DidTable;
  /** Told every customer in service after each change (toll-fraud limits, DID target probes). */
  onPublish?: (inService: readonly TrunkCustomerConfig[]) => void;
  /** Who else holds a number in from–to (a Class 5 tenant's DID): a name, or undefined. */
  otherDidOwner?: (from: string, to: string) => string | undefined;
  clock: Clock;
  logger: Logger;
}

interface StoreCustomer {
  customer: StoredTrunkCustomer;
  dids: Map<string, StoredTrunkDid>;
}

const notFound = (what: string) => new SoftswitchError('SSW_ERR_TRUNK_CUSTOMER_NOT_FOUND', what);
const conflict = (what: string) => new SoftswitchError('SSW_ERR_TRUNK_CUSTOMER_CONFLICT', what);
const invalid = (what: string) => new SoftswitchError('SSW_ERR_TRUNK_CUSTOMER_INVALID', what);

/** A DID's first and last number in national form. */
function bounds(d: Pick<DidConfig, 'number' | 'range'>): { first: string; last: string } {
  return { first: nationalNumber(d.number ?? d.range!.from), last: nationalNumber(d.number ?? d.range!.to) };
}

function overlaps(a: { first: string; last: string }, b: { first: string; last: string }): boolean {
  return a.first.length === b.first.length && Number(a.first) <= Number(b.last) && Number(b.first) <= Number(a.last);
}

function didConfigOf(d: StoredTrunkDid): DidConfig {
  const where = d.first === d.last ? { number: d.first } : { range: { from: d.first, to: d.last } };
  return { ...where, targets: d.targets, selection: d.selection, deliverAs: d.deliverAs };
}

export class TrunkProvisioning {
  private readonly stored = new Map<string, StoreCustomer>();
  private readonly configById = new Map<string, TrunkCustomerConfig>();
  private readonly serial = new OneAtATime();
  private readonly log: Logger;

  constructor(private readonly d: TrunkProvisioningDeps) {
    this.log = d.logger.child({ component: 'trunk-provisioning' });
    for (const c of d.configCustomers) this.configById.set(c.id, c);
  }

  /** Reads the store and puts its customers in service beside the file's; the file wins any clash. */
  async load(): Promise<{ customers: number; dids: number; skipped: number }> {
    const rows = await this.d.repo.load();
    const next = new Map<string, StoreCustomer>();
    let skipped = 0;
    for (const c of rows.customers) {
      if (this.configById.has(c.id)) {
        skipped++;
        this.log.error({ customer: c.id }, `stored trunk customer ${c.id} left out of service: the configuration file has a customer with this id, and the file wins; rename one of them (DELETE /api/v1/trunk-customers/${c.id} and create it again, or edit the file)`);
        continue;
      }
      const bad = c.sources.find((s) => !parseCidr(s));
      if (bad) {
        skipped++;
        this.log.error({ customer: c.id, source: bad }, `stored trunk customer ${c.id} left out of service: source "${bad}" is not an IPv4 address or prefix; PATCH its sources`);
        continue;
      }
      next.set(c.id, { customer: c, dids: new Map() });
    }
    // Config DIDs first, then stored ones oldest first: a DID overlapping one already kept stays out.
    const kept: Array<{ first: string; last: string }> = this.d.configCustomers.flatMap((c) => c.dids.map(bounds));
    for (const d of [...rows.dids].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.first.localeCompare(b.first))) {
      const owner = next.get(d.customerId);
      if (!owner) continue;
      const clash = kept.find((k) => overlaps(k, d));
      if (clash) {
        skipped++;
        this.log.error({ customer: d.customerId, did: d.first, last: d.last }, `stored DID ${d.first}${d.last !== d.first ? `–${d.last}` : ''} of ${d.customerId} left out of service: it overlaps ${clash.first}–${clash.last}, which the configuration file or an earlier stored DID holds; remove one of them`);
        continue;
      }
      kept.push(d);
      owner.dids.set(d.first, d);
    }
    this.stored.clear();
    for (const [id, s] of next) this.stored.set(id, s);
    this.publish();
    return { customers: this.stored.size, dids: [...this.stored.values()].reduce((n, s) => n + s.dids.size, 0), skipped };
  }

  /** Reads the store again (another node may have changed it); runs between changes, never during one. */
  refresh(): Promise<{ customers: number; dids: number; skipped: number }> {
    return this.exclusive(() => this.load());
  }

  // --- Reads.

  list(): TrunkCustomerView[] {
    return [...this.d.configCustomers.map((c) => configView(c)), ...[...this.stored.values()].map(storeView)].sort((a, b) => a.id.localeCompare(b.id));
  }

  customer(id: string): TrunkCustomerView {
    const c = this.configById.get(id);
    if (c) return configView(c);
    return storeView(this.storeCustomer(id));
  }

  didsOf(id: string): TrunkDidView[] {
    const c = this.configById.get(id);
    if (c) return c.dids.map((d) => didView(id, 'config', d));
    return [...this.storeCustomer(id).dids.values()].map((d) => ({ ...didView(id, 'store', didConfigOf(d)), createdAt: d.createdAt }));
  }

  // --- Changes (one at a time).

  createCustomer(input: TrunkCustomerInput): Promise<TrunkCustomerView> {
    return this.exclusive(async () => {
      if (this.configById.has(input.id)) throw conflict(`id: trunk customer ${input.id} exists in the configuration file`);
      if (this.stored.has(input.id)) throw conflict(`id: trunk customer ${input.id} exists in the store`);
      const parsed = this.parseCustomer({ ...input, dids: [] });
      this.checkSources(input.id, parsed.sources);
      const now = this.now();
      const customer: StoredTrunkCustomer = { ...storedFields(parsed), createdAt: now, updatedAt: now };
      await this.d.repo.putCustomer(customer);
      const s: StoreCustomer = { customer, dids: new Map() };
      this.stored.set(customer.id, s);
      this.publish();
      this.log.info({ customer: customer.id, sources: customer.sources }, 'trunk customer created');
      return storeView(s);
    });
  }

  updateCustomer(id: string, patch: TrunkCustomerPatch): Promise<{ before: TrunkCustomerView; after: TrunkCustomerView }> {
    return this.exclusive(async () => {
      const s = this.writable(id);
      const before = storeView(s);
      const c = s.customer;
      const merged = {
        id,
        name: patch.name === null ? undefined : (patch.name ?? c.name),
        sources: patch.sources ?? c.sources,
        routingCustomer: patch.routingCustomer === null ? undefined : (patch.routingCustomer ?? c.routingCustomer),
        maxCalls: patch.maxCalls ?? c.maxCalls,
        unreachableCause: patch.unreachableCause ?? c.unreachableCause,
        limits: { ...c.limits, ...(patch.limits ?? {}) },
        dids: [],
      };
      const parsed = this.parseCustomer(merged);
      if (patch.sources) this.checkSources(id, parsed.sources);
      const next: StoredTrunkCustomer = { ...storedFields(parsed), createdAt: c.createdAt, updatedAt: this.now() };
      await this.d.repo.putCustomer(next);
      s.customer = next;
      this.publish();
      this.log.info({ customer: id, fields: Object.keys(patch) }, 'trunk customer changed');
      return { before, after: storeView(s) };
    });
  }

  deleteCustomer(id: string): Promise<TrunkCustomerView> {
    return this.exclusive(async () => {
      const s = this.writable(id);
      const before = storeView(s);
      await this.d.repo.deleteCustomer(id);
      this.stored.delete(id);
      this.publish();
      this.log.info({ customer: id, dids: s.dids.size }, 'trunk customer deleted (with its DIDs); calls up now continue');
      return before;
    });
  }

  addDid(id: string, input: TrunkDidInput): Promise<TrunkDidView> {
    return this.exclusive(async () => {
      const s = this.writable(id);
      const parsed = didSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw invalid(`${issue.path.join('.') || 'did'}: ${issue.message}`);
      }
      const did = parsed.data;
      const b = bounds(did);
      if (b.first.length !== b.last.length || Number(b.first) > Number(b.last)) throw invalid('range: from and to must have the same length and from ≤ to');
      const taken = this.d.dids.overlapping(b.first, b.last)[0];
      if (taken) {
        const holder = this.configById.has(taken.customer) ? `trunk customer ${taken.customer} (configuration file)` : `trunk customer ${taken.customer}`;
        throw conflict(`${did.number ? 'number' : 'range'}: ${b.first}${b.last !== b.first ? `–${b.last}` : ''} overlaps a DID of ${holder}`);
      }
      const other = this.d.otherDidOwner?.(b.first, b.last);
      if (other) throw conflict(`${did.number ? 'number' : 'range'}: ${other} has a number in ${b.first}–${b.last}`);
      const row: StoredTrunkDid = { customerId: id, first: b.first, last: b.last, targets: did.targets, selection: did.selection, deliverAs: did.deliverAs, createdAt: this.now() };
      await this.d.repo.putDid(row);
      s.dids.set(row.first, row);
      this.publish();
      this.log.info({ customer: id, did: row.first, last: row.last, targets: row.targets.map((t) => `${t.host}:${t.port}`) }, 'trunk DID added');
      return { ...didView(id, 'store', didConfigOf(row)), createdAt: row.createdAt };
    });
  }

  deleteDid(id: string, number: string): Promise<TrunkDidView> {
    return this.exclusive(async () => {
      const s = this.writable(id);
      const key = nationalNumber(number);
      const row = s.dids.get(key);
      if (!row) throw notFound(`DID ${number} of trunk customer ${id} (give the number, or the first of a range)`);
      await this.d.repo.deleteDid(key);
      s.dids.delete(key);
      this.publish();
      this.log.info({ customer: id, did: key }, 'trunk DID removed');
      return { ...didView(id, 'store', didConfigOf(row)), createdAt: row.createdAt };
    });
  }

  // --- Internals.

  /** Every customer in service, file first, each with its DIDs. */
  inService(): TrunkCustomerConfig[] {
    const out: TrunkCustomerConfig[] = [...this.d.configCustomers];
    for (const s of this.stored.values()) {
      const c = s.customer;
      out.push({ id: c.id, name: c.name, sources: c.sources, routingCustomer: c.routingCustomer, maxCalls: c.maxCalls, unreachableCause: c.unreachableCause, limits: c.limits, dids: [...s.dids.values()].map(didConfigOf) });
    }
    return out;
  }

  private publish(): void {
    const all = this.inService();
    // Both built before either is swapped: a table that throws leaves both as they were.
    this.d.dids.replace(all);
    this.d.customers.replace(all);
    this.d.onPublish?.(all);
  }

  private parseCustomer(input: Record<string, unknown>): TrunkCustomerConfig {
    const parsed = trunkCustomerSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(`${issue.path.join('.') || 'customer'}: ${issue.message}`);
    }
    const limits = customerLimitsSchema.safeParse(parsed.data.limits);
    if (!limits.success) throw invalid(`limits: ${limits.error.issues[0].message}`);
    parsed.data.sources.forEach((src, i) => {
      if (!parseCidr(src)) throw invalid(`sources.${i}: "${src}" is not an IPv4 address or CIDR prefix (e.g. 192.0.2.10 or 192.0.2.0/24)`);
    });
    return parsed.data;
  }

  /** An exact prefix another customer has is refused (which of the two would a call be?). */
  private checkSources(id: string, sources: string[]): void {
    const key = (s: string) => {
      const c = parseCidr(s)!;
      return `${c.net}/${c.mask}`;
    };
    const mine = new Set(sources.map(key));
    for (const c of this.inService()) {
      if (c.id === id) continue;
      const same = c.sources.find((s) => parseCidr(s) && mine.has(key(s)));
      if (same) throw conflict(`sources: ${same} is trunk customer ${c.id}'s${this.configById.has(c.id) ? ' (configuration file)' : ''}`);
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.serial.run(work);
  }

  private now(): string {
    return new Date(this.d.clock.now()).toISOString();
  }

  private storeCustomer(id: string): StoreCustomer {
    const s = this.stored.get(id);
    if (!s) throw notFound(`trunk customer ${id}`);
    return s;
  }

  private writable(id: string): StoreCustomer {
    if (this.configById.has(id)) throw new SoftswitchError('SSW_ERR_TRUNK_CUSTOMER_READ_ONLY', `trunk customer ${id}`);
    return this.storeCustomer(id);
  }
}

function storedFields(c: TrunkCustomerConfig): Omit<StoredTrunkCustomer, 'createdAt' | 'updatedAt'> {
  return { id: c.id, name: c.name, sources: c.sources, routingCustomer: c.routingCustomer, maxCalls: c.maxCalls, unreachableCause: c.unreachableCause, limits: c.limits };
}

function configView(c: TrunkCustomerConfig): TrunkCustomerView {
  return { id: c.id, name: c.name, origin: 'config', sources: c.sources, routingCustomer: c.routingCustomer, maxCalls: c.maxCalls, unreachableCause: c.unreachableCause, limits: c.limits, dids: c.dids.length };
}

function storeView(s: StoreCustomer): TrunkCustomerView {
  const c = s.customer;
  return { id: c.id, name: c.name, origin: 'store', sources: c.sources, routingCustomer: c.routingCustomer, maxCalls: c.maxCalls, unreachableCause: c.unreachableCause, limits: c.limits, dids: s.dids.size, createdAt: c.createdAt, updatedAt: c.updatedAt };
}

function didView(customer: string, origin: TrunkOrigin, d: DidConfig): TrunkDidView {
  const b = bounds(d);
  return { customer, origin, number: b.first, ...(d.range ? { range: { from: b.first, to: b.last } } : {}), targets: d.targets, selection: d.selection, deliverAs: d.deliverAs };
}

/** The Class 5 tenants' DIDs as `otherDidOwner`: a tenant's number inside from–to, by tenant. */
export function tenantDidsIn(dids: () => Iterable<{ did: string; tenant: string }>): (from: string, to: string) => string | undefined {
  return (from, to) => {
    for (const d of dids()) {
      const n = nationalNumber(d.did);
      if (n.length === from.length && Number(n) >= Number(from) && Number(n) <= Number(to)) return `Class 5 tenant ${d.tenant} (DID ${d.did})`;
    }
    return undefined;
  };
}
