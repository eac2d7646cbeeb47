/**
 * The shared store on PostgreSQL (node-postgres pool): several switch nodes write their CDRs to
 * one database; each node's open-calls journal and heartbeat carry its node name, so a node
 * restarted after a crash recovers its own calls only.
 *
 * pg is asynchronous where better-sqlite3 is not. The call path never waits on it: the journal
 * write at answer and the CDR batch are sent at once and committed in order — a CDR batch waits
 * for the journal inserts of its own calls first, so a short call's journal row cannot land after
 * the commit that was to remove it. A batch that fails is kept and retried (and logged); the
 * unique call id makes a retry or a recovery after a crash write each CDR once.
 */
import pg from 'pg';
import type { Cdr } from '../calls/cdr.js';
import type { Logger } from '../util/log.js';
import { SoftswitchError } from '../errors.js';
import { CDR_COLUMNS } from './cdr-columns.js';
import { PG_MIGRATIONS } from './pg-migrations.js';
import { PgTenantRepository } from './pg-tenants.js';
import { PgTrunkRepository } from './pg-trunks.js';
import { cdrWhere, pgPlaceholder, type CdrFilter } from './cdr-filter.js';
import { interruptedCdr, type CallJournalStore, type CdrRepository, type RatedCdr, type StoredCdr, type SwitchStore } from './store.js';

/** Advisory lock key held while migrating (any constant shared by all nodes). */
const MIGRATION_LOCK = 0x55_57_00_01;
const RETRY_MS = 1000;
const MAX_QUEUED = 100_000;

const COLS = CDR_COLUMNS.map(([, c]) => c);
const FIELDS = COLS.length + 1;

export async function migratePg(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of PG_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

function rowOf(node: string, cdr: Cdr): unknown[] {
  return [node, ...CDR_COLUMNS.map(([k]) => cdr[k] ?? null)];
}

function cdrOf(r: Record<string, unknown>): StoredCdr {
  const out: Record<string, unknown> = { id: Number(r.id) };
  for (const [k, c] of CDR_COLUMNS) if (r[c] !== null && r[c] !== undefined) out[k] = r[c];
  return out as unknown as StoredCdr;
}

/** INSERT of n CDRs; an already stored call id is skipped. */
function insertSql(n: number): string {
  const values: string[] = [];
  for (let i = 0; i < n; i++) values.push(`(${Array.from({ length: FIELDS }, (_, j) => `$${i * FIELDS + j + 1}`).join(', ')})`);
  return `INSERT INTO cdrs (node, ${COLS.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT (call_id) DO NOTHING`;
}

class PgCallJournal implements CallJournalStore {
  /** Journal inserts not yet acknowledged, by call id: a CDR batch waits for its calls' rows. */
  readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly node: string,
    private readonly log: Logger,
  ) {}

  answered(cdr: Cdr): Promise<void> {
    const p = this.pool
      .query('INSERT INTO open_calls (node, call_id, record, answer_time) VALUES ($1, $2, $3, $4) ON CONFLICT (node, call_id) DO UPDATE SET record = EXCLUDED.record', [
        this.node,
        cdr.callId,
        JSON.stringify(cdr),
        cdr.answerTime ?? cdr.startTime,
      ])
      .then(() => undefined)
      .finally(() => {
        if (this.inFlight.get(cdr.callId) === p) this.inFlight.delete(cdr.callId);
      });
    this.inFlight.set(cdr.callId, p.catch(() => undefined));
    return p;
  }

  async heartbeat(at: Date): Promise<void> {
    await this.pool.query('INSERT INTO node_state (node, alive_at) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET alive_at = EXCLUDED.alive_at', [this.node, at.toISOString()]);
  }

  async recover(now: Date): Promise<Cdr[]> {
    const rows = (await this.pool.query<{ record: string }>('SELECT record FROM open_calls WHERE node = $1', [this.node])).rows;
    if (rows.length === 0) return [];
    const alive = (await this.pool.query<{ alive_at: string }>('SELECT alive_at FROM node_state WHERE node = $1', [this.node])).rows[0]?.alive_at;
    const out: Cdr[] = [];
    for (const row of rows) {
      try {
        out.push(interruptedCdr(JSON.parse(row.record) as Cdr, alive, now));
      } catch {
        this.log.warn({ record: row.record.slice(0, 200) }, 'open-call record that is not JSON skipped');
      }
    }
    return out;
  }
}

class PgCdrRepository implements CdrRepository {
  private queue: Cdr[] = [];
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly node: string,
    private readonly journal: PgCallJournal,
    private readonly log: Logger,
  ) {}

  write(cdr: Cdr): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.log.error({ cdr }, 'CDR queue full (PostgreSQL unreachable for long): CDR dropped from the store, details in this line');
      return;
    }
    this.queue.push(cdr);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush().catch(() => undefined));
  }

  /** One commit at a time, in order; resolves when what was queued before the call is durable. */
  flush(): Promise<void> {
    this.scheduled = false;
    const next = this.running.then(() => this.commitQueued());
    this.running = next.catch(() => undefined);
    return next;
  }

  private async commitQueued(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, 500);
    await Promise.all(batch.map((c) => this.journal.inFlight.get(c.callId)).filter(Boolean));
    const client = await this.pool.connect().catch((err: Error) => {
      this.requeue(batch, err);
      throw err;
    });
    try {
      await client.query('BEGIN');
      await client.query(insertSql(batch.length), batch.flatMap((c) => rowOf(this.node, c)));
      await client.query('DELETE FROM open_calls WHERE node = $1 AND call_id = ANY($2::text[])', [this.node, batch.map((c) => c.callId)]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.requeue(batch, err as Error);
      throw err;
    } finally {
      client.release();
    }
    if (this.queue.length > 0) await this.commitQueued();
  }

  private requeue(batch: Cdr[], err: Error): void {
    this.queue.unshift(...batch);
    this.log.error({ err: err.message, queued: this.queue.length }, 'CDR batch not committed to PostgreSQL; kept and retried (check the database is reachable and has space)');
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.flush().catch(() => undefined);
    }, RETRY_MS);
    this.retry.unref();
  }

  async insert(cdr: Cdr): Promise<void> {
    await this.pool.query(insertSql(1), rowOf(this.node, cdr));
  }

  async list(opts: { limit?: number; afterId?: number } = {}): Promise<StoredCdr[]> {
    await this.flush().catch(() => undefined);
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 10_000);
    const rows = (await this.pool.query('SELECT * FROM cdrs WHERE id > $1 ORDER BY id DESC LIMIT $2', [opts.afterId ?? 0, limit])).rows as Record<string, unknown>[];
    return rows.map(cdrOf);
  }

  async page(filter: CdrFilter, opts: { limit?: number; afterId?: number } = {}): Promise<{ cdrs: StoredCdr[]; next?: number }> {
    await this.flush().catch(() => undefined);
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 10_000);
    const w = cdrWhere(filter, opts.afterId ?? 0, pgPlaceholder);
    const rows = (await this.pool.query(`SELECT * FROM cdrs WHERE ${w.sql} ORDER BY id LIMIT ${pgPlaceholder(w.params.length + 1)}`, [...w.params, limit + 1])).rows as Record<string, unknown>[];
    const cdrs = rows.slice(0, limit).map(cdrOf);
    return rows.length > limit ? { cdrs, next: cdrs[cdrs.length - 1].id } : { cdrs };
  }

  async count(filter: CdrFilter): Promise<number> {
    await this.flush().catch(() => undefined);
    const w = cdrWhere(filter, 0, pgPlaceholder);
    return Number((await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM cdrs WHERE ${w.sql}`, w.params)).rows[0].n);
  }

  async lastId(): Promise<number> {
    await this.flush().catch(() => undefined);
    return Number((await this.pool.query<{ n: string }>('SELECT coalesce(max(id), 0) AS n FROM cdrs')).rows[0].n);
  }

  async ratedSince(iso: string): Promise<RatedCdr[]> {
    const rows = (
      await this.pool.query<{ customer: string | null; rate: number; billable_ms: number; end_time: string }>(
        'SELECT customer, rate, billable_ms, end_time FROM cdrs WHERE end_time >= $1 AND rate IS NOT NULL AND billable_ms > 0 ORDER BY end_time',
        [iso],
      )
    ).rows;
    return rows.map((r) => ({ customer: r.customer ?? undefined, rate: r.rate, billableMs: r.billable_ms, endTime: r.end_time }));
  }

  stop(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
  }
}

export async function openPgStore(opts: { url: string; poolSize?: number; node: string; logger: Logger }): Promise<SwitchStore> {
  // The node's name rides on every connection: the provisioning triggers put it in their NOTIFY, so a node skips its own changes.
  const applicationName = pgApplicationName(opts.node);
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 5, connectionTimeoutMillis: 10_000, application_name: applicationName });
  // An idle client's error (server restart) must not kill the process; the next query reconnects.
  pool.on('error', (err) => opts.logger.warn({ err: err.message }, 'PostgreSQL connection lost; reconnecting on next use'));
  try {
    await migratePg(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new SoftswitchError('SSW_ERR_STORE_OPEN', `PostgreSQL ${redact(opts.url)}: ${(err as Error).message}`, { cause: err });
  }
  const log = opts.logger.child({ component: 'store', store: 'postgres' });
  const journal = new PgCallJournal(pool, opts.node, log);
  const cdrs = new PgCdrRepository(pool, opts.node, journal, log);
  return {
    kind: 'postgres',
    pgPool: pool,
    cdrs,
    journal,
    tenants: new PgTenantRepository(pool),
    trunks: new PgTrunkRepository(pool),
    pgApplicationName: applicationName,
    async close() {
      await cdrs.flush().catch((err: Error) => log.error({ err: err.message }, 'CDRs still queued at close could not be committed'));
      cdrs.stop();
      await pool.end();
    },
  };
}

/** The application_name of a node's connections (PostgreSQL keeps 63 bytes of it). */
export function pgApplicationName(node: string): string {
  return `softswitch:${node}`.slice(0, 63);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
