import type { FastifyInstance } from 'fastify';
import type { TandemSimulator } from './tandem-sim/simulator.js';

const ACTIONS = ['answer', 'reject', 'no-answer', 'release-after-answer'] as const;

/**
 * Lab control of the tandem simulator (lab profile only): see its calls, add answer rules, and
 * release a call from the network side.
 *   GET  /api/v1/lab/tandem/calls
 *   POST /api/v1/lab/tandem/rules    { match, action, cause?, delayMs?, trunkGroup? }
 *   POST /api/v1/lab/tandem/release  { trunkGroup, cic, cause? }
 *   POST /api/v1/lab/tandem/originate { called, calling?, trunkGroup?, holdMs?, abandonMs?, continuityCheck? }  → { trunkGroup, cic }
 */
export async function labRoutes(app: FastifyInstance, opts: { simulator: TandemSimulator }): Promise<void> {
  const sim = opts.simulator;

  app.get('/api/v1/lab/tandem/calls', async () => ({
    active: sim.activeCalls().map(({ iam: _iam, ...rest }) => rest),
    recent: sim.history.slice(-50).map(({ iam: _iam, ...rest }) => rest),
  }));

  app.post<{ Body: { match?: unknown; action?: unknown; cause?: unknown; delayMs?: unknown; trunkGroup?: unknown } }>('/api/v1/lab/tandem/rules', async (req, reply) => {
    const b = req.body ?? {};
    if (typeof b.match !== 'string' || !ACTIONS.includes(b.action as (typeof ACTIONS)[number])) {
      return reply.code(400).send({ error: `body needs "match" (a regular expression over called digits) and "action" (${ACTIONS.join(', ')})` });
    }
    const cause = b.cause === undefined ? undefined : Number(b.cause);
    if (cause !== undefined && !(Number.isInteger(cause) && cause >= 1 && cause <= 127)) return reply.code(400).send({ error: '"cause" must be a Q.850 cause 1..127' });
    const delayMs = b.delayMs === undefined ? undefined : Number(b.delayMs);
    if (delayMs !== undefined && !(Number.isInteger(delayMs) && delayMs >= 0)) return reply.code(400).send({ error: '"delayMs" must be a non-negative integer' });
    try {
      sim.addRule({ match: b.match, action: b.action as (typeof ACTIONS)[number], cause, delayMs, trunkGroup: typeof b.trunkGroup === 'string' ? b.trunkGroup : undefined });
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    return reply.code(201).send({ added: true });
  });

  app.post<{ Body: { trunkGroup?: unknown; cic?: unknown; cause?: unknown } }>('/api/v1/lab/tandem/release', async (req, reply) => {
    const b = req.body ?? {};
    const cic = Number(b.cic);
    const cause = b.cause === undefined ? 16 : Number(b.cause);
    if (typeof b.trunkGroup !== 'string' || !Number.isInteger(cic)) return reply.code(400).send({ error: 'body needs "trunkGroup" and "cic"' });
    if (!(Number.isInteger(cause) && cause >= 1 && cause <= 127)) return reply.code(400).send({ error: '"cause" must be a Q.850 cause 1..127' });
    if (!sim.releaseCall(b.trunkGroup, cic, cause)) return reply.code(404).send({ error: `no call on ${b.trunkGroup} CIC ${cic}` });
    return { released: true };
  });

  app.post<{ Body: { called?: unknown; calling?: unknown; trunkGroup?: unknown; holdMs?: unknown; abandonMs?: unknown; callingRestricted?: unknown; continuityCheck?: unknown } }>(
    '/api/v1/lab/tandem/originate',
    async (req, reply) => {
      const b = req.body ?? {};
      if (typeof b.called !== 'string' || !/^\d{1,15}$/.test(b.called)) return reply.code(400).send({ error: 'body needs "called": the digits the PSTN caller dialled (e.g. "2125550150")' });
      if (b.calling !== undefined && (typeof b.calling !== 'string' || !/^\d{1,15}$/.test(b.calling))) return reply.code(400).send({ error: '"calling" must be digits' });
      if (b.trunkGroup !== undefined && typeof b.trunkGroup !== 'string') return reply.code(400).send({ error: '"trunkGroup" must be a trunk group id' });
      const holdMs = b.holdMs === undefined ? undefined : Number(b.holdMs);
      if (holdMs !== undefined && !(Number.isInteger(holdMs) && holdMs >= 0)) return reply.code(400).send({ error: '"holdMs" must be a non-negative integer' });
      const abandonMs = b.abandonMs === undefined ? undefined : Number(b.abandonMs);
      if (abandonMs !== undefined && !(Number.isInteger(abandonMs) && abandonMs >= 0)) return reply.code(400).send({ error: '"abandonMs" must be a non-negative integer' });
      const seized = sim.originate({
        called: b.called,
        calling: b.calling as string | undefined,
        trunkGroup: b.trunkGroup as string | undefined,
        holdMs,
        abandonMs,
        callingRestricted: b.callingRestricted === true,
        continuityCheck: b.continuityCheck === true,
      });
      if (!seized) return reply.code(503).send({ error: 'no idle circuit on the tandem side toward the switch' });
      return reply.code(201).send(seized);
    },
  );
}
