/**
 * The switch's store behind one interface, whichever database holds it: CDRs (batched writes,
 * queries) and the open-calls journal (answered calls written at answer, closed with their CDR;
 * what a crashed run left is turned into interrupted CDRs at the next start). SQLite
 * (sqlite-store.ts) for one node; PostgreSQL (pg-store.ts) shared by several nodes, each
 * journal row and heartbeat keyed by node name.
 */
import { chargeOf, type Cdr, type CallJournal } from '../calls/cdr.js';
import type { Db } from './database.js';
import type pg from 'pg';
import type { TenantRepository } from './tenant-repository.js';
import type { TrunkCustomerRepository } from './trunk-repository.js';
import type { CdrFilter } from './cdr-filter.js';

export interface StoredCdr extends Cdr {
  id: number;
}

export type RatedCdr = Pick<Cdr, 'customer' | 'rate' | 'billableMs' | 'endTime'>;

/** A value now (SQLite) or later (PostgreSQL). */
export type Awaitable<T> = T | Promise<T>;

/** The CDR API's reads (src/api/routes-cdrs.ts): pages and counts by filter, oldest first. */
export interface CdrQueries {
  /** CDRs matching the filter, oldest first, `limit` at most after the id `afterId`; `next` is the cursor of the following page. */
  page(filter: CdrFilter, opts?: { limit?: number; afterId?: number }): Awaitable<{ cdrs: StoredCdr[]; next?: number }>;
  /** How many CDRs match the filter. */
  count(filter: CdrFilter): Awaitable<number>;
  /** The id of the newest CDR (0 when there is none). */
  lastId(): Awaitable<number>;
}

export interface CdrRepository extends CdrQueries {
  /** Queues the CDR for the next batch commit; the batch also removes the calls' journal records. */
  write(cdr: Cdr): void;
  /** Commits what is queued now (resolves once durable). */
  flush(): Promise<void>;
  /** Writes one CDR at once; a CDR whose call id is already stored is not written twice (PostgreSQL). */
  insert(cdr: Cdr): Promise<void>;
  /** Newest first. */
  list(opts?: { limit?: number; afterId?: number }): Promise<StoredCdr[]>;
  /** Rated, answered CDRs that ended at or after `iso`, oldest first (fraud spend windows at start-up). */
  ratedSince(iso: string): Promise<RatedCdr[]>;
}

export interface CallJournalStore extends CallJournal {
  /** Notes that this node is alive now. */
  heartbeat(at: Date): Promise<void>;
  /** This node's calls left open by a previous run, as interrupted CDRs (records removed). */
  recover(now: Date): Promise<Cdr[]>;
}

export interface SwitchStore {
  readonly kind: 'sqlite' | 'postgres';
  /** The embedded database (SQLite stores): node-local tables live there too. */
  readonly db?: Db;
  /** The PostgreSQL pool (PostgreSQL stores): shared tables beyond CDRs (deck versions) use it. */
  readonly pgPool?: pg.Pool;
  readonly cdrs: CdrRepository;
  readonly journal: CallJournalStore;
  /** Class 5 tenants provisioned through the admin API (shared by the nodes on PostgreSQL). */
  readonly tenants: TenantRepository;
  /** Class 4 trunk customers and their DIDs provisioned through the admin API (shared on PostgreSQL). */
  readonly trunks: TrunkCustomerRepository;
  /** The application_name this node's PostgreSQL connections carry (the change feed skips its own changes). */
  readonly pgApplicationName?: string;
  /** Flushes queued CDRs and closes the connection(s). */
  close(): Promise<void>;
}

/** An answered call's record closed as interrupted at `end` (the last moment the node was known alive). */
export function interruptedCdr(rec: Cdr, aliveAt: string | undefined, now: Date): Cdr {
  const answer = Date.parse(rec.answerTime ?? rec.startTime);
  const endMs = Math.max(answer, aliveAt ? Date.parse(aliveAt) : answer, 0) || now.getTime();
  const end = Math.min(endMs, now.getTime());
  return {
    ...rec,
    endTime: new Date(end).toISOString(),
    durationMs: Math.max(0, end - Date.parse(rec.startTime)),
    billableMs: Math.max(0, end - answer),
    charge: chargeOf(rec.rate, Math.max(0, end - answer)),
    // Q.850 41, temporary failure: the switch failed, not the parties.
    cause: 41,
    releasedBy: 'switch',
    interrupted: true,
  };
}
