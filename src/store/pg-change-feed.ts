/**
 * Provisioning changes made by other nodes of a PostgreSQL cluster, as they commit: the triggers
 * of PostgreSQL migration 6 NOTIFY `softswitch_config_change` with `{table, by}` on every
 * statement that changes a tenant, extension, tenant DID, trunk customer or trunk DID; this feed
 * LISTENs on a connection of its own and tells the subscriber of the table's topic to re-read.
 *
 * NOTIFY is not queued for a listener that is not connected, so the feed makes up for what it may
 * have missed: when its connection drops it connects and LISTENs again (every `relistenMs`), and
 * once listening again it asks every topic to re-read. A slow poll (`safetyPollMs`) also asks
 * every topic to re-read and checks the listening connection with a query, so a connection that
 * died without an error (a silent network) is noticed and replaced.
 */
import pg from 'pg';
import type { Logger } from '../util/log.js';

export const CONFIG_CHANGE_CHANNEL = 'softswitch_config_change';

export type ConfigTopic = 'tenants' | 'trunks';

const TOPIC_OF_TABLE: Record<string, ConfigTopic> = {
  class5_tenants: 'tenants',
  class5_extensions: 'tenants',
  class5_dids: 'tenants',
  trunk_customers: 'trunks',
  trunk_dids: 'trunks',
};

/**
 * Why a subscriber is asked to re-read: another node's change; listening began (what committed
 * between the subscriber's first read and the LISTEN is caught up); a LISTEN connection restored;
 * or the safety poll.
 */
export type ChangeReason = 'notify' | 'listen' | 'relisten' | 'poll';

export interface ChangeFeedOptions {
  /** Connection settings of the listening client (the pool's). */
  connection: pg.ClientConfig;
  /** This node's application_name: notices of its own changes are skipped. */
  self?: string;
  log: Logger;
  relistenMs?: number;
  /** 0: no safety poll. */
  safetyPollMs?: number;
}

export class PgChangeFeed {
  private client: pg.Client | undefined;
  private readonly subscribers = new Map<ConfigTopic, Array<(why: ChangeReason) => void>>();
  private closed = false;
  private relistenTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private everListened = false;
  private readonly relistenMs: number;

  constructor(private readonly o: ChangeFeedOptions) {
    this.relistenMs = o.relistenMs ?? 2000;
  }

  /** Whether the LISTEN connection is up now. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  on(topic: ConfigTopic, fn: (why: ChangeReason) => void): void {
    const list = this.subscribers.get(topic) ?? [];
    list.push(fn);
    this.subscribers.set(topic, list);
  }

  /** LISTENs (resolves once listening, or once the first try failed and a retry is scheduled) and starts the safety poll. */
  async start(): Promise<void> {
    const every = this.o.safetyPollMs ?? 60_000;
    if (every > 0 && !this.pollTimer) {
      this.pollTimer = setInterval(() => void this.poll(), every);
      this.pollTimer.unref();
    }
    await this.listen();
  }

  private emit(topic: ConfigTopic, why: ChangeReason): void {
    for (const fn of this.subscribers.get(topic) ?? []) fn(why);
  }

  private emitAll(why: ChangeReason): void {
    for (const topic of this.subscribers.keys()) this.emit(topic, why);
  }

  private async poll(): Promise<void> {
    const c = this.client;
    if (c) {
      try {
        await c.query('SELECT 1');
      } catch (err) {
        this.lost(c, err as Error);
      }
    }
    this.emitAll('poll');
  }

  private async listen(): Promise<void> {
    if (this.closed || this.client) return;
    const c = new pg.Client({ ...this.o.connection, keepAlive: true });
    c.on('error', (err) => this.lost(c, err));
    c.on('end', () => this.lost(c, new Error('connection closed')));
    c.on('notification', (msg) => {
      if (msg.channel !== CONFIG_CHANGE_CHANNEL || !msg.payload) return;
      let n: { table?: unknown; by?: unknown };
      try {
        n = JSON.parse(msg.payload) as typeof n;
      } catch {
        return;
      }
      const topic = typeof n.table === 'string' ? TOPIC_OF_TABLE[n.table] : undefined;
      if (!topic || (this.o.self !== undefined && n.by === this.o.self)) return;
      this.emit(topic, 'notify');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CONFIG_CHANGE_CHANNEL}`);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'cannot LISTEN for provisioning changes of other nodes; retrying (the safety poll still re-reads them)');
      c.removeAllListeners();
      c.on('error', () => undefined);
      void c.end().catch(() => undefined);
      this.scheduleRelisten();
      return;
    }
    if (this.closed) {
      void c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    if (this.everListened) this.o.log.info('listening for provisioning changes of other nodes again; re-reading what may have been missed');
    this.emitAll(this.everListened ? 'relisten' : 'listen');
    this.everListened = true;
  }

  private lost(c: pg.Client, err: Error): void {
    if (this.client !== c) return;
    this.client = undefined;
    c.removeAllListeners();
    c.on('error', () => undefined);
    void c.end().catch(() => undefined);
    if (this.closed) return;
    this.o.log.warn({ err: err.message }, 'lost the PostgreSQL connection that listens for provisioning changes; listening again');
    this.scheduleRelisten();
  }

  private scheduleRelisten(): void {
    if (this.closed || this.relistenTimer) return;
    this.relistenTimer = setTimeout(() => {
      this.relistenTimer = undefined;
      void this.listen();
    }, this.relistenMs);
    this.relistenTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.relistenTimer);
    clearInterval(this.pollTimer);
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}

/**
 * `fn` run on demand, never twice at once: a call while it runs makes it run once more after
 * (any number of calls meanwhile count as one), so a burst of notices costs at most two re-reads.
 */
export function coalesced(fn: () => Promise<unknown>, onError: (err: Error) => void): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    fn()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return run;
}
