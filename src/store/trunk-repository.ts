/**
 * Class 4 trunk customers provisioned through the admin API, as rows: the customer (source
 * prefixes, limits) and the DIDs it owns, each a single number or an inclusive range keyed by its
 * first number. SQLite (sqlite-trunks.ts, migration 9) or PostgreSQL (pg-trunks.ts, migration 6);
 * the provisioning service (src/class4/trunks/trunk-provisioning.ts) validates before it writes.
 */
import type { CustomerLimits } from '../class4/admission/fraud.js';
import type { DidTargetConfig } from '../class4/trunks/config.js';

export interface StoredTrunkCustomer {
  id: string;
  name?: string;
  /** IPv4 addresses / CIDR prefixes its SIP trunk sends from. */
  sources: string[];
  routingCustomer?: string;
  maxCalls: number;
  unreachableCause: 34 | 20;
  limits: CustomerLimits;
  createdAt: string;
  updatedAt: string;
}

export interface StoredTrunkDid {
  customerId: string;
  /** First and last number of the range (equal for a single number), national digits. */
  first: string;
  last: string;
  targets: DidTargetConfig[];
  selection: 'ordered' | 'weighted';
  deliverAs: 'national' | 'e164';
  createdAt: string;
}

export interface ProvisionedTrunks {
  customers: StoredTrunkCustomer[];
  dids: StoredTrunkDid[];
}

export interface TrunkCustomerRepository {
  load(): Promise<ProvisionedTrunks>;
  /** Inserts or replaces the customer (created_at kept). */
  putCustomer(c: StoredTrunkCustomer): Promise<void>;
  /** Removes the customer and its DIDs in one transaction. */
  deleteCustomer(id: string): Promise<void>;
  putDid(d: StoredTrunkDid): Promise<void>;
  deleteDid(first: string): Promise<void>;
}

export const TRUNK_CUSTOMER_COLUMNS = 'id, name, sources, routing_customer, max_calls, unreachable_cause, limits, created_at, updated_at';
export const TRUNK_DID_COLUMNS = 'first_number, last_number, customer_id, targets, selection, deliver_as, created_at';

export interface TrunkCustomerRow {
  id: string;
  name: string | null;
  sources: string;
  routing_customer: string | null;
  max_calls: number;
  unreachable_cause: number;
  limits: string;
  created_at: string;
  updated_at: string;
}

export interface TrunkDidRow {
  first_number: string;
  last_number: string;
  customer_id: string;
  targets: string;
  selection: string;
  deliver_as: string;
  created_at: string;
}

export function trunkCustomerRow(c: StoredTrunkCustomer): unknown[] {
  return [c.id, c.name ?? null, JSON.stringify(c.sources), c.routingCustomer ?? null, c.maxCalls, c.unreachableCause, JSON.stringify(c.limits), c.createdAt, c.updatedAt];
}

export function trunkCustomerOfRow(r: TrunkCustomerRow): StoredTrunkCustomer {
  return {
    id: r.id,
    name: r.name ?? undefined,
    sources: JSON.parse(r.sources) as string[],
    routingCustomer: r.routing_customer ?? undefined,
    maxCalls: Number(r.max_calls),
    unreachableCause: Number(r.unreachable_cause) === 20 ? 20 : 34,
    limits: JSON.parse(r.limits) as CustomerLimits,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function trunkDidRow(d: StoredTrunkDid): unknown[] {
  return [d.first, d.last, d.customerId, JSON.stringify(d.targets), d.selection, d.deliverAs, d.createdAt];
}

export function trunkDidOfRow(r: TrunkDidRow): StoredTrunkDid {
  return {
    first: r.first_number,
    last: r.last_number,
    customerId: r.customer_id,
    targets: JSON.parse(r.targets) as DidTargetConfig[],
    selection: r.selection === 'weighted' ? 'weighted' : 'ordered',
    deliverAs: r.deliver_as === 'e164' ? 'e164' : 'national',
    createdAt: r.created_at,
  };
}
