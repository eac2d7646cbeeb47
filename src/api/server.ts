import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../util/log.js';
import { registry } from '../util/metrics.js';
import type { CdrStore } from '../store/cdr-store.js';

/** What the admin API reads from the running switch; each piece is optional so the API can come up first. */
export interface ApiSources {
  logger: Logger;
  cdrs?: CdrStore;
  /** Snapshot of active calls. */
  calls?: () => unknown[];
  /** Health of each subsystem; any `false` makes /healthz answer 503. */
  health?: () => Record<string, boolean | string>;
  /** SS7 link state for GET /api/v1/ss7. */
  ss7?: () => unknown;
  /** Trunk groups and their circuits for GET /api/v1/trunk-groups. */
  trunkGroups?: () => unknown;
  /** Extra route plugins (e.g. LCR routes), registered as-is. */
  plugins?: Array<(app: FastifyInstance) => Promise<void> | void>;
}

/** The fastify admin API: health, Prometheus metrics, calls, CDRs, plus plugins. */
export async function createApiServer(src: ApiSources): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines are debug-level noise for operators; errors still log at error level.
    loggerInstance: src.logger.child({ component: 'api' }, { level: 'warn' }) as unknown as FastifyBaseLogger,
  }) as unknown as FastifyInstance;

  app.get('/healthz', async (_req, reply) => {
    const checks = src.health?.() ?? {};
    const ok = Object.values(checks).every((v) => v !== false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(body);
  });

  app.get('/api/v1/calls', async () => ({ calls: src.calls?.() ?? [] }));

  app.get<{ Querystring: { limit?: string; after?: string } }>('/api/v1/cdrs', async (req, reply) => {
    if (!src.cdrs) return reply.code(503).send({ error: 'CDR store not open' });
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    const after = req.query.after === undefined ? 0 : Number(req.query.after);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return reply.code(400).send({ error: 'limit must be an integer 1..10000' });
    if (!Number.isInteger(after) || after < 0) return reply.code(400).send({ error: 'after must be a non-negative CDR id' });
    return { cdrs: src.cdrs.list({ limit, afterId: after }) };
  });

  app.get('/api/v1/ss7', async () => src.ss7?.() ?? {});
  app.get('/api/v1/trunk-groups', async () => src.trunkGroups?.() ?? {});

  for (const plugin of src.plugins ?? []) await plugin(app);
  return app;
}
