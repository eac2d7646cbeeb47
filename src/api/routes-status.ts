/**
 * Read-only views of the running switch:
 *   GET /healthz                  200 ok / 503 degraded, per-subsystem checks (public: probes carry no token)
 *   GET /metrics                  Prometheus text
 *   GET /api/v1/calls             active calls
 *   GET /api/v1/cdrs?limit=&after= CDRs, newest first
 *   GET /api/v1/ss7               SS7 link state
 *   GET /api/v1/trunk-groups      circuits per trunk group, gateway health
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { CdrRepository } from '../store/store.js';
import { errorReply, openObject } from './schemas.js';

export interface StatusSources {
  /** The switch's Prometheus registry, served at /metrics. */
  registry: Registry;
  cdrs?: CdrRepository;
  calls?: () => unknown[];
  health?: () => Record<string, boolean | string>;
  ss7?: () => unknown;
  trunkGroups?: () => unknown;
}

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;

const health = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    checks: { type: 'object', additionalProperties: { type: ['boolean', 'string'] }, description: 'false marks a subsystem down' },
  },
  required: ['status', 'checks'],
} as const;

const cdr = openObject(
  {
    id: int,
    callId: str,
    sipCallId: str,
    direction: { type: 'string', enum: ['sip-to-isup', 'isup-to-sip'] },
    customer: str,
    calling: str,
    called: str,
    routedNumber: str,
    lrn: str,
    carrier: str,
    trunkGroup: str,
    cic: int,
    rate: num,
    jurisdiction: str,
    startTime: str,
    answerTime: str,
    endTime: str,
    durationMs: num,
    billableMs: num,
    cause: { type: 'integer', description: 'Q.850 release cause' },
    sipStatus: int,
    releasedBy: { type: 'string', enum: ['caller', 'callee', 'switch', 'transfer'] },
    gatewayEndpoint: str,
    transferredBy: str,
    transferredFrom: str,
  },
  { required: ['id', 'callId', 'called', 'startTime', 'endTime', 'cause'] },
);

export async function statusRoutes(app: FastifyInstance, src: StatusSources): Promise<void> {
  app.get('/healthz', { config: { access: 'public' }, schema: { summary: 'Health of each subsystem', tags: ['status'], response: { 200: health, 503: { ...health, description: 'A subsystem is down' } } } }, async (_req, reply) => {
    const checks = src.health?.() ?? {};
    const ok = Object.values(checks).every((v) => v !== false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks });
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['status'], response: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: str } } } } } }, async (_req, reply) => {
    const body = await src.registry.metrics();
    return reply.header('content-type', src.registry.contentType).send(body);
  });

  app.get('/api/v1/calls', { schema: { summary: 'Active calls', tags: ['calls'], response: { 200: { type: 'object', properties: { calls: { type: 'array', items: openObject({}) } }, required: ['calls'] } } } }, async () => ({ calls: src.calls?.() ?? [] }));

  app.get<{ Querystring: { limit: number; after: number } }>(
    '/api/v1/cdrs',
    {
      schema: {
        summary: 'Call detail records, newest first',
        tags: ['calls'],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
            after: { type: 'integer', minimum: 0, default: 0, description: 'Only CDRs with a larger id' },
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { cdrs: { type: 'array', items: cdr } }, required: ['cdrs'] }, 503: { ...errorReply, description: 'CDR store not open' } },
      },
    },
    async (req, reply) => {
      if (!src.cdrs) return reply.code(503).send({ error: 'CDR store not open' });
      return { cdrs: await src.cdrs.list({ limit: req.query.limit, afterId: req.query.after }) };
    },
  );

  const ss7 = openObject({
    variant: { type: 'string', enum: ['ansi', 'itu'] },
    localPointCode: str,
    signallingGateways: { type: 'array', items: openObject({ sg: str, address: str, state: str, alarm: str }) },
  });
  app.get('/api/v1/ss7', { schema: { summary: 'SS7 signalling gateway links (M3UA ASP state, alarms)', tags: ['ss7'], response: { 200: ss7 } } }, async () => src.ss7?.() ?? {});

  const trunkGroups = openObject({
    trunkGroups: {
      type: 'array',
      items: openObject({ id: str, variant: str, dpc: str, gateway: str, available: { type: 'boolean' }, total: int, idle: int, outgoing: int, incoming: int, blocked: int }),
    },
    gateways: { type: 'array', items: openObject({ gateway: str, up: { type: 'boolean' } }) },
  });
  app.get('/api/v1/trunk-groups', { schema: { summary: 'Circuits per trunk group and media gateway health', tags: ['ss7'], response: { 200: trunkGroups } } }, async () => src.trunkGroups?.() ?? {});
}
