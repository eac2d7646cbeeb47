/**
 * On a shared PostgreSQL store, provisioning done at another node (tenants, extensions, tenant
 * DIDs, trunk customers, trunk DIDs) is put in service here as soon as its NOTIFY arrives
 * (src/store/pg-change-feed.ts); bursts of notices cost at most two re-reads per area. On SQLite
 * there is one node and nothing to follow.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../util/log.js';
import { perRegistry } from '../util/metrics.js';
import type { SwitchStore } from '../store/store.js';
import { PgChangeFeed, coalesced, type ChangeReason, type ConfigTopic } from '../store/pg-change-feed.js';

const reloadMetrics = perRegistry(
  (registry: Registry) =>
    new Counter({
      name: 'softswitch_provisioning_reloads_total',
      help: 'Re-reads of provisioned tenants or trunk customers from the shared store, by area and why (notify, relisten, poll)',
      labelNames: ['area', 'reason'] as const,
      registers: [registry],
    }),
);

export interface Refreshable {
  refresh(): Promise<unknown>;
}

/** Starts following; resolves with the stop function (undefined when the store is not PostgreSQL). */
export async function followProvisioning(
  store: SwitchStore,
  areas: Partial<Record<ConfigTopic, Refreshable>>,
  opts: { pollMs: number; logger: Logger; registry: Registry },
): Promise<(() => Promise<void>) | undefined> {
  if (store.kind !== 'postgres' || !store.pgPool) return undefined;
  const log = opts.logger.child({ component: 'provisioning-sync' });
  const feed = new PgChangeFeed({ connection: store.pgPool.options, self: store.pgApplicationName, log, safetyPollMs: opts.pollMs });
  const reloads = reloadMetrics(opts.registry);
  for (const [area, target] of Object.entries(areas) as Array<[ConfigTopic, Refreshable | undefined]>) {
    if (!target) continue;
    let why: ChangeReason = 'notify';
    const reread = coalesced(
      async () => {
        reloads.inc({ area, reason: why });
        await target.refresh();
      },
      (err) => log.warn({ area, err: err.message }, 'provisioning not re-read from the store (check the database); what is in service stays, and the next notice or poll tries again'),
    );
    feed.on(area, (reason) => {
      why = reason;
      reread();
    });
  }
  await feed.start();
  return () => feed.close();
}
