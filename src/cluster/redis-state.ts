/**
 * Cluster-wide state in Redis: which nodes are alive, and each node's active calls per customer.
 *
 * Every `refreshMs` a node runs one script that stamps its heartbeat (a sorted set scored with
 * Redis's own clock, so nodes' clocks do not matter), replaces its per-node hash of call counts
 * and renews that hash's expiry (`nodeTtlS`), drops nodes whose heartbeat is older than the TTL,
 * and returns the other live nodes' counts. A node killed with calls up stops heartbeating; its
 * hash expires and its calls stop counting against the customer after at most `nodeTtlS`.
 *
 * Admission reads synchronously: this node's own counts exactly, the others' as of the last
 * refresh. Two nodes admitting a customer's last slots within one refresh interval can together
 * exceed `maxCalls` by the calls each admitted in that interval; per-customer call rates are
 * split between the live nodes instead (`rateShare`), which never exceeds the limit.
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

class SharedCallCounts implements CustomerCallCounts {
  readonly own = new LocalCallCounts();
  others = new Map<string, number>();

  started(customer: string): void {
    this.own.started(customer);
  }

  ended(customer: string): void {
    this.own.ended(customer);
  }

  active(customer: string): number {
    return this.own.active(customer) + (this.others.get(customer) ?? 0);
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
    const state = new RedisClusterState(redis, cfg, node, logger);
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
    for (const [c, n] of this.shared.own.entries()) pairs.push(c, String(n));
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
