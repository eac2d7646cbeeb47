/**
 * Admin API for Class 4 routing:
 *   GET  /api/v1/routes/lookup?number=&caller=&customer=&at=   the full route decision as JSON
 *   POST /api/v1/routes/decks/:carrier   (text/csv body)       200 with counts, 422 with bad rows, 404 unknown carrier
 *   GET  /api/v1/routes/export[?carrier=]                      the active table as CSV
 *   GET  /api/v1/routes/stats                                  table size, build time, counters
 */
import type { FastifyInstance } from 'fastify';
import { SoftswitchError } from '../errors.js';
import type { RoutingEngine } from '../class4/routing/engine.js';

export interface LcrRoutesOptions {
  engine: RoutingEngine;
  /** Largest accepted deck upload in bytes. */
  maxDeckBytes?: number;
}

export async function lcrRoutes(app: FastifyInstance, opts: LcrRoutesOptions): Promise<void> {
  const { engine } = opts;
  await app.register(async (scope) => {
    const asText = (_req: unknown, body: string, done: (err: Error | null, body?: unknown) => void) => done(null, body);
    scope.addContentTypeParser(['text/csv', 'text/plain', 'application/octet-stream'], { parseAs: 'string', bodyLimit: opts.maxDeckBytes ?? 256 * 1024 * 1024 }, asText);

    scope.get<{ Querystring: { number?: string; caller?: string; customer?: string; at?: string } }>('/api/v1/routes/lookup', async (req, reply) => {
      const { number, caller, customer, at } = req.query;
      if (!number) return reply.code(400).send({ error: 'number is required' });
      let when: Date | undefined;
      if (at !== undefined) {
        when = new Date(at);
        if (Number.isNaN(when.getTime())) return reply.code(400).send({ error: 'at must be an ISO 8601 time' });
      }
      return engine.lookup({ called: number, calling: caller, customer, at: when });
    });

    scope.post<{ Params: { carrier: string }; Body: string }>('/api/v1/routes/decks/:carrier', { bodyLimit: opts.maxDeckBytes ?? 256 * 1024 * 1024 }, async (req, reply) => {
      if (typeof req.body !== 'string') return reply.code(415).send({ error: 'send the deck as text/csv' });
      try {
        const result = await engine.importDeck(req.params.carrier, req.body);
        return reply.code(result.ok ? 200 : 422).send(result);
      } catch (err) {
        if (err instanceof SoftswitchError && err.code === 'SSW_ERR_UNKNOWN_CARRIER') return reply.code(404).send({ error: err.message, code: err.code, action: err.action });
        throw err;
      }
    });

    scope.get<{ Querystring: { carrier?: string } }>('/api/v1/routes/export', async (req, reply) => {
      return reply.header('content-type', 'text/csv; charset=utf-8').send(engine.exportTable(req.query.carrier));
    });

    scope.get('/api/v1/routes/stats', async () => engine.stats());
  });
}
