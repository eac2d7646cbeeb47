/**
 * Rate deck versions in the shared PostgreSQL store (PostgreSQL migration 3): versions,
 * activations and the bodies of valid versions, so every node of a cluster can activate any
 * version whichever node imported it. An activation is announced on the channel
 * `softswitch_lcr_activation` (NOTIFY in the same transaction as its row); each node LISTENs on
 * a connection of its own and follows activations recorded by the others.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import type pg from 'pg';
import type { Logger } from '../util/log.js';
import {
  activation,
  version,
  type ActivationRow,
  type DeckActivation,
  type DeckActivationNotice,
  type DeckVersion,
  type DeckVersionRepository,
  type VersionRow,
} from './deck-versions.js';

export const LCR_ACTIVATION_CHANNEL = 'softswitch_lcr_activation';
const RELISTEN_MS = 2000;

export class PgDeckVersionStore implements DeckVersionRepository {
  readonly shared = true;
  private listener: pg.PoolClient | undefined;
  private readonly listeners: Array<(n: DeckActivationNotice) => void> = [];
  private closed = false;
  private relistenTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly node: string,
    private readonly log: Logger,
  ) {}

  async add(v: Omit<DeckVersion, 'id'>): Promise<DeckVersion> {
    const r = await this.pool.query<{ id: number }>(
      `INSERT INTO lcr_deck_versions (carrier, created_at, created_by, status, bytes, sha256, row_count, accepted, rejected, report, node)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [v.carrier, v.createdAt, v.createdBy, v.status, v.bytes, v.sha256, v.rowCount, v.accepted, v.rejected, JSON.stringify(v.report), this.node],
    );
    return { ...v, id: r.rows[0].id };
  }

  /** A version as this node sees it: `file` is null here (bodies live in the store; DeckVersions keeps local copies). */
  async get(id: number): Promise<DeckVersion | undefined> {
    const r = (await this.pool.query<VersionRow>('SELECT *, NULL AS file FROM lcr_deck_versions WHERE id = $1', [id])).rows[0];
    return r && version(r);
  }

  async list(carrier: string, limit: number): Promise<DeckVersion[]> {
    return (await this.pool.query<VersionRow>('SELECT *, NULL AS file FROM lcr_deck_versions WHERE carrier = $1 ORDER BY id DESC LIMIT $2', [carrier, limit])).rows.map(version);
  }

  async current(carrier: string): Promise<DeckActivation | undefined> {
    const r = (await this.pool.query<ActivationRow>('SELECT * FROM lcr_deck_activations WHERE carrier = $1 ORDER BY id DESC LIMIT 1', [carrier])).rows[0];
    return r && activation(r);
  }

  async activationOf(id: number): Promise<DeckActivation | undefined> {
    const r = (await this.pool.query<ActivationRow>('SELECT * FROM lcr_deck_activations WHERE id = $1', [id])).rows[0];
    return r && activation(r);
  }

  async recordActivation(a: Omit<DeckActivation, 'id'>): Promise<DeckActivation> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const r = await client.query<{ id: number }>(
        'INSERT INTO lcr_deck_activations (carrier, version_id, kind, below, activated_at, activated_by, node) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
        [a.carrier, a.versionId, a.kind, a.below, a.activatedAt, a.activatedBy, this.node],
      );
      const id = r.rows[0].id;
      const notice: DeckActivationNotice = { carrier: a.carrier, versionId: a.versionId, activationId: id, node: this.node };
      // Delivered to listeners when the transaction commits, and only then.
      await client.query('SELECT pg_notify($1, $2)', [LCR_ACTIVATION_CHANNEL, JSON.stringify(notice)]);
      await client.query('COMMIT');
      return { ...a, id };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async putBody(carrier: string, sha256: string, file: string): Promise<void> {
    const body = await readFile(file);
    await this.pool.query('INSERT INTO lcr_deck_bodies (carrier, sha256, body) VALUES ($1, $2, $3) ON CONFLICT (carrier, sha256) DO NOTHING', [carrier, sha256, body]);
  }

  async fetchBody(carrier: string, sha256: string, file: string): Promise<boolean> {
    const r = (await this.pool.query<{ body: Buffer }>('SELECT body FROM lcr_deck_bodies WHERE carrier = $1 AND sha256 = $2', [carrier, sha256])).rows[0];
    if (!r) return false;
    const tmp = `${file}.fetch-${process.pid}`;
    await writeFile(tmp, r.body);
    await rename(tmp, file);
    return true;
  }

  onActivation(listener: (n: DeckActivationNotice) => void): void {
    this.listeners.push(listener);
    if (this.listeners.length === 1) void this.listen();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    try {
      const client = await this.pool.connect();
      this.listener = client;
      client.on('notification', (msg) => {
        if (msg.channel !== LCR_ACTIVATION_CHANNEL || !msg.payload) return;
        let n: DeckActivationNotice;
        try {
          n = JSON.parse(msg.payload) as DeckActivationNotice;
        } catch {
          return;
        }
        if (n.node === this.node || typeof n.carrier !== 'string' || typeof n.versionId !== 'number') return;
        for (const l of this.listeners) l(n);
      });
      client.on('error', (err) => {
        this.log.warn({ err: err.message }, 'lost the PostgreSQL connection that listens for rate deck activations; listening again');
        this.dropListener(true);
      });
      await client.query(`LISTEN ${LCR_ACTIVATION_CHANNEL}`);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot LISTEN for rate deck activations of other nodes; retrying');
      this.dropListener(true);
    }
  }

  private dropListener(again: boolean): void {
    const c = this.listener;
    this.listener = undefined;
    if (c) {
      c.removeAllListeners('notification');
      c.release(true);
    }
    if (again && !this.closed && !this.relistenTimer) {
      this.relistenTimer = setTimeout(() => {
        this.relistenTimer = undefined;
        void this.listen();
      }, RELISTEN_MS);
      this.relistenTimer.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.relistenTimer) clearTimeout(this.relistenTimer);
    if (this.listener) {
      await this.listener.query(`UNLISTEN ${LCR_ACTIVATION_CHANNEL}`).catch(() => undefined);
      this.dropListener(false);
    }
  }
}
