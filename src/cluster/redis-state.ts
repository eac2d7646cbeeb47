/**
 * Cluster-wide state in Redis: which nodes are alive, and each node's active calls per customer.
 *
 * Every `refreshMs` a node runs one script that stamps its heartbeat (a sorted set scored with
 * Redis's own clock, so nodes' clocks do not matter), replaces its per-node hash of call counts
 * and renews that hash's expiry (`nodeTtlS`), drops nodes whose heartbeat is older than the TTL,
 * and returns the other live nodes' counts. A node killed with calls up stops heartbeating; its
 * hash expires and its calls stop counting against the customer after at most `nodeTtlS`.
 *
 * A trunk customer's call limit (`maxCalls`) is taken atomically: admission runs one script that
 * sums the customer's calls in every live node's hash and, only if the sum is under the limit,
 * adds the call to this node's hash (`reserve`), so two nodes can never both take the last slot.
 * A call's end takes it off this node's hash at once. The periodic refresh republishes this
 * node's counts with the reservations still on their way to Redis, so it never undoes one.
 * `active()` stays a synchronous read (this node exactly, the others as of the last refresh) for
 * the paths that only look; per-customer call rates are split between the live nodes instead
 * (`rateShare`). While Redis is unreachable admission falls back to that local view.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../util/log.js';
import { LocalCallCounts, type CustomerCallCounts } from './call-counts.js';
import type { RedisClusterConfig } from './config.js';

// KEYS[1] nodes zset, KEYS[2] own hash. ARGV: node, ttlMs, prefix, then customer/count pairs.
const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local node, ttl, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
redis.call('ZADD', KEYS[1], now, node)
redis.call('DEL', KEYS[2])
if #ARGV > 3 then
  redis.call('HSET', KEYS[2], unpack(ARGV, 4))
  redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local nodes = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = { #nodes }
for _, n in ipairs(nodes) do
  if n ~= node then
    local h = redis.call('HGETALL', prefix .. 'calls:' .. n)
    for i = 1, #h do out[#out + 1] = h[i] end
  end
end
return out
`;

// KEYS[1] nodes zset, KEYS[2] own hash. ARGV: node, ttlMs, prefix, customer, limit.
// Returns { 1 | 0, the customer's calls cluster-wide before this one }.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local node, ttl, prefix, customer, limit = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
redis.call('ZADD', KEYS[1], now, node)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local total = 0
for _, n in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  total = total + (tonumber(redis.call('HGET', prefix .. 'calls:' .. n, customer)) or 0)
end
if total >= limit then return { 0, total } end
redis.call('HINCRBY', KEYS[2], customer, 1)
redis.call('PEXPIRE', KEYS[2], ttl)
return { 1, total }
`;

// KEYS[1] own hash. ARGV: customer, delta (+1 | -1), ttlMs. A count never goes below zero.
const ADJUST = `
local v = (tonumber(redis.call('HGET', KEYS[1], ARGV[1])) or 0) + tonumber(ARGV[2])
if v <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], v) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return v
`;

interface ClusterScripts {
  sswReserve(nodes: string, own: string, node: string, ttlMs: string, prefix: string, customer: string, limit: string): Promise<[number, number]>;
  sswAdjust(own: string, customer: string, delta: string, ttlMs: string): Promise<number>;
}

class SharedCallCounts implements CustomerCallCounts {
  /** This node's calls, reserved slots included: what the refresh publishes. */
  readonly own = new LocalCallCounts();
  others = new Map<string, number>();
  /** Reservations sent to Redis and not answered yet (published too, so a refresh cannot undo one). */
  readonly inFlight = new LocalCallCounts();
  /** Slots reserved and already counted in `own`, waiting for their call's `started()`. */
  private readonly held = new LocalCallCounts();
  /** Set once connected: the Redis side (absent in a node without Redis). */
  redis?: { scripts: ClusterScripts; ownKey: string; nodesKey: string; node: string; ttlMs: string; prefix: string; onError(err: unknown): void };

  started(customer: string): void {
    if (this.held.active(customer) > 0) {
      this.held.ended(customer);
      return;
    }
    this.own.started(customer);
    this.adjust(customer, 1);
  }

  ended(customer: string): void {
    this.own.ended(customer);
    this.adjust(customer, -1);
  }

  active(customer: string): number {
    return this.own.active(customer) + (this.others.get(customer) ?? 0);
  }

  async reserve(customer: string, limit: number): Promise<boolean> {
    const r = this.redis;
    if (!r) return this.takeLocally(customer, limit);
    this.inFlight.started(customer);
    let answer: [number, number];
    try {
      answer = await r.scripts.sswReserve(r.nodesKey, r.ownKey, r.node, r.ttlMs, r.prefix, customer, String(limit));
    } catch (err) {
      r.onError(err);
      return this.takeLocally(customer, limit);
    } finally {
      this.inFlight.ended(customer);
    }
    if (Number(answer[0]) !== 1) return false;
    this.own.started(customer);
    this.held.started(customer);
    return true;
  }

  /** Redis unreachable: the last view of the others plus this node's own calls. */
  private takeLocally(customer: string, limit: number): boolean {
    if (this.active(customer) >= limit) return false;
    this.own.started(customer);
    this.held.started(customer);
    return true;
  }

  private adjust(customer: string, delta: 1 | -1): void {
    const r = this.redis;
    if (r) r.scripts.sswAdjust(r.ownKey, customer, String(delta), r.ttlMs).catch(r.onError);
  }
}

export class RedisClusterState {
  private readonly shared = new SharedCallCounts();
  private timer: NodeJS.Timeout | undefined;
  private live = 1;
  private refreshing: Promise<void> | undefined;
  private failing = false;
  readonly log: Logger;

  private constructor(
    readonly redis: Redis,
    readonly cfg: RedisClusterConfig,
    readonly node: string,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'cluster' });
  }

  /** Connects, registers this node and reads the others once before the switch takes calls. */
  static async connect(cfg: RedisClusterConfig, node: string, logger: Logger): Promise<RedisClusterState> {
    const redis = new Redis(cfg.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    redis.defineCommand('sswRefresh', { numberOfKeys: 2, lua: REFRESH });
    redis.defineCommand('sswReserve', { numberOfKeys: 2, lua: RESERVE });
    redis.defineCommand('sswAdjust', { numberOfKeys: 1, lua: ADJUST });
    const state = new RedisClusterState(redis, cfg, node, logger);
    state.shared.redis = {
      scripts: redis as unknown as ClusterScripts,
      nodesKey: state.key('nodes'),
      ownKey: state.key(`calls:${node}`),
      node,
      ttlMs: String(cfg.nodeTtlS * 1000),
      prefix: cfg.keyPrefix,
      onError: () => undefined, // the refresh, every refreshMs, logs Redis outages once
    };
    await state.refresh();
    state.timer = setInterval(() => void state.refresh(), cfg.refreshMs);
    state.timer.unref();
    return state;
  }

  get counts(): CustomerCallCounts {
    return this.shared;
  }

  /** Live nodes, this one included, as of the last refresh. */
  get liveNodes(): number {
    return this.live;
  }

  /** The part of a cluster-wide per-customer rate this node may use. */
  rateShare(): number {
    return 1 / Math.max(1, this.live);
  }

  key(name: string): string {
    return `${this.cfg.keyPrefix}${name}`;
  }

  /** Publishes this node's counts and reads the others' (one round trip). */
  refresh(): Promise<void> {
    this.refreshing ??= this.runRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async runRefresh(): Promise<void> {
    const pairs: string[] = [];
    const published = new Map(this.shared.own.entries());
    for (const [c, n] of this.shared.inFlight.entries()) published.set(c, (published.get(c) ?? 0) + n);
    for (const [c, n] of published) pairs.push(c, String(n));
    try {
      const out = (await (this.redis as unknown as { sswRefresh(...a: string[]): Promise<Array<string | number>> }).sswRefresh(
        this.key('nodes'),
        this.key(`calls:${this.node}`),
        this.node,
        String(this.cfg.nodeTtlS * 1000),
        this.cfg.keyPrefix,
        ...pairs,
      )) as Array<string | number>;
      this.live = Number(out[0]) || 1;
      const others = new Map<string, number>();
      for (let i = 1; i + 1 < out.length; i += 2) others.set(String(out[i]), (others.get(String(out[i])) ?? 0) + Number(out[i + 1]));
      this.shared.others = others;
      if (this.failing) this.log.info('Redis reachable again; cluster counts shared');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.error({ err: (err as Error).message }, 'Redis unreachable: admission counts only this node\'s calls until it is back (check cluster.redis.url and the Redis server)');
      this.failing = true;
    }
  }

  /** Stops heartbeating and removes this node's counts at once (a clean stop leaks nothing either). */
  async close(): Promise<void> {
    this.shared.redis = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing;
    await this.redis
      .multi()
      .zrem(this.key('nodes'), this.node)
      .del(this.key(`calls:${this.node}`))
      .exec()
      .catch(() => undefined);
    this.redis.disconnect();
  }
}
