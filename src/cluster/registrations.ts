/**
 * SIP registrations shared by the cluster through Redis: a REGISTER taken by any node is
 * written as the AOR's binding list (a key expiring with its last binding) and announced on a
 * channel; every node applies the others' announcements to its own registrar, so a call to an
 * extension is routed by whichever node receives it. At start a node loads every stored AOR.
 * Two nodes changing one AOR at the same instant: the last write wins.
 */
import type { Redis } from 'ioredis';
import type { Binding, Registrar } from '../class5/registrar.js';
import type { Logger } from '../util/log.js';

interface Announcement {
  node: string;
  tenant: string;
  aor: string;
  bindings: Binding[];
}

export class SharedRegistrations {
  private registrar: Registrar | undefined;
  private sub: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly node: string,
    private readonly log: Logger,
  ) {}

  private keyOf(tenant: string, aor: string): string {
    return `${this.prefix}reg:${tenant}:${aor}`;
  }

  private get channel(): string {
    return `${this.prefix}reg`;
  }

  /** The registrar's onChange: store and announce. */
  readonly changed = (tenant: string, aor: string, bindings: Binding[]): void => {
    const key = this.keyOf(tenant, aor);
    const last = bindings.reduce((m, b) => Math.max(m, b.expiresAt), 0);
    const msg: Announcement = { node: this.node, tenant, aor, bindings };
    const m = this.redis.multi();
    if (bindings.length === 0) m.del(key);
    else m.set(key, JSON.stringify(msg), 'PXAT', Math.ceil(last));
    m.publish(this.channel, JSON.stringify(msg));
    m.exec().catch((err: Error) => this.log.error({ err: err.message, tenant, aor }, 'registration not shared with the cluster (Redis unreachable); other nodes cannot reach this contact'));
  };

  /** Loads the stored AORs into `registrar` and follows the other nodes' changes. */
  async attach(registrar: Registrar): Promise<number> {
    this.registrar = registrar;
    this.sub = this.redis.duplicate();
    this.sub.on('error', () => undefined);
    this.sub.on('message', (_ch: string, text: string) => this.apply(text, true));
    await this.sub.subscribe(this.channel);
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}reg:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      for (const text of await this.redis.mget(...keys)) if (text && this.apply(text, false)) n++;
    } while (cursor !== '0');
    return n;
  }

  private apply(text: string, fromChannel: boolean): boolean {
    let msg: Announcement;
    try {
      msg = JSON.parse(text) as Announcement;
    } catch {
      return false;
    }
    if (!this.registrar || typeof msg?.tenant !== 'string' || typeof msg.aor !== 'string' || !Array.isArray(msg.bindings)) return false;
    if (fromChannel && msg.node === this.node) return false;
    this.registrar.replace(msg.tenant, msg.aor, msg.bindings);
    return true;
  }

  async close(): Promise<void> {
    this.sub?.disconnect();
    this.sub = undefined;
  }
}
