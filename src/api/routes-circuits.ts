/**
 * Operator actions on ISUP circuits (Q.764 §2.8–§2.10), over an IsupService:
 *   GET  /api/v1/isup/trunk-groups                            counts, congestion and pending procedures per trunk group
 *   GET  /api/v1/isup/trunk-groups/:tg/circuits[?cic=&count=] local state of circuits (call, blocking, out of service, pending)
 *   GET  /api/v1/isup/trunk-groups/:tg/circuits/:cic/remote[?count=]  CQM/CQR: the far end's view (504 after T28)
 *   POST /api/v1/isup/trunk-groups/:tg/circuits/:cic/block    { count?, hardware? }  BLO or CGB, supervised
 *   POST /api/v1/isup/trunk-groups/:tg/circuits/:cic/unblock  { count?, hardware? }  UBL or CGU, supervised
 *   POST /api/v1/isup/trunk-groups/:tg/circuits/:cic/reset    { count? }             RSC or GRS, supervised
 *   POST /api/v1/isup/trunk-groups/:tg/reset                                      GRS over the whole trunk group
 * Not registered by the app on its own: the assembly registers it with the running IsupService.
 */
import type { FastifyInstance } from 'fastify';
import type { IsupService } from '../ss7/isup/service.js';

export interface CircuitRoutesOptions {
  isup: IsupService;
}

const tgParams = { type: 'object', required: ['tg'], properties: { tg: { type: 'string', minLength: 1 } } } as const;
const cicParams = {
  type: 'object',
  required: ['tg', 'cic'],
  properties: { tg: { type: 'string', minLength: 1 }, cic: { type: 'integer', minimum: 0, maximum: 16383 } },
} as const;
const countQuery = { type: 'object', properties: { cic: { type: 'integer', minimum: 0, maximum: 16383 }, count: { type: 'integer', minimum: 1, maximum: 16384 } } } as const;
const actionBody = {
  type: 'object',
  additionalProperties: false,
  properties: { count: { type: 'integer', minimum: 1, maximum: 16384 }, hardware: { type: 'boolean' } },
} as const;

export async function circuitRoutes(app: FastifyInstance, opts: CircuitRoutesOptions): Promise<void> {
  const { isup } = opts;
  const unknown = (tg: string) => ({ error: `no trunk group "${tg}" (trunkGroups[].id in the configuration)` });

  app.get('/api/v1/isup/trunk-groups', async () =>
    isup.trunkGroups.map((tg) => ({
      id: tg.id,
      variant: tg.variant,
      available: isup.isAvailable(tg.id),
      ...tg.circuits.counts(),
      congestion: isup.congestionState(tg.id),
      pending: isup.pendingProcedures(tg.id),
    })),
  );

  app.get<{ Params: { tg: string }; Querystring: { cic?: number; count?: number } }>(
    '/api/v1/isup/trunk-groups/:tg/circuits',
    { schema: { params: tgParams, querystring: countQuery } },
    async (req, reply) => {
      if (!isup.trunkGroup(req.params.tg)) return reply.code(404).send(unknown(req.params.tg));
      return isup.query(req.params.tg, req.query.cic, req.query.count ?? 1);
    },
  );

  app.get<{ Params: { tg: string; cic: number }; Querystring: { count?: number } }>(
    '/api/v1/isup/trunk-groups/:tg/circuits/:cic/remote',
    { schema: { params: cicParams, querystring: countQuery } },
    async (req, reply) => {
      if (!isup.trunkGroup(req.params.tg)) return reply.code(404).send(unknown(req.params.tg));
      const report = await isup.queryRemote(req.params.tg, req.params.cic, req.query.count ?? 1);
      if (!report) return reply.code(504).send({ error: 'no circuit query response (CQR) from the far end within T28, or the range is too large' });
      return report;
    },
  );

  for (const action of ['block', 'unblock', 'reset'] as const) {
    app.post<{ Params: { tg: string; cic: number }; Body: { count?: number; hardware?: boolean } | undefined }>(
      `/api/v1/isup/trunk-groups/:tg/circuits/:cic/${action}`,
      { schema: { params: cicParams, body: actionBody } },
      async (req, reply) => {
        const { tg, cic } = req.params;
        if (!isup.trunkGroup(tg)) return reply.code(404).send(unknown(tg));
        const count = req.body?.count ?? 1;
        const ok =
          action === 'reset' ? isup.reset(tg, cic, count) : isup[action](tg, cic, { count, hardware: req.body?.hardware ?? false });
        if (!ok) return reply.code(404).send({ error: `no circuit ${cic} in trunk group "${tg}"` });
        return reply.code(202).send({ accepted: true, circuits: isup.query(tg, cic, count) });
      },
    );
  }

  app.post<{ Params: { tg: string } }>('/api/v1/isup/trunk-groups/:tg/reset', { schema: { params: tgParams } }, async (req, reply) => {
    if (!isup.trunkGroup(req.params.tg)) return reply.code(404).send(unknown(req.params.tg));
    isup.resetAll(req.params.tg);
    return reply.code(202).send({ accepted: true, pending: isup.pendingProcedures(req.params.tg) });
  });
}
