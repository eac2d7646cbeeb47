/**
 * Calls as operators act on them, and each call's signalling trail:
 *   GET  /api/v1/calls/:id                one active call
 *   POST /api/v1/calls/:id/release        { cause? }  tear the call down on every side (Q.850 cause, default 16)
 *   GET  /api/v1/call-trails[?limit=]     calls with a recorded trail, newest first (ended ones too)
 *   GET  /api/v1/calls/:id/trail          the call's SIP, ISUP and MGCP messages in order (ladder)
 *   GET  /api/v1/calls/:id/trail.pcap     the same as a pcap file (tshark, Wireshark)
 * Not registered by the app on its own: the assembly registers it with the running call manager.
 */
import type { FastifyInstance } from 'fastify';
import type { CallSnapshot } from '../calls/call.js';
import type { CallTrailSummary, CallTrailView } from '../calls/call-trail.js';
import { trailToPcap, type PacketPath, type PathResolver } from '../calls/trail-pcap.js';
import { trailEntries } from '../calls/trail-view.js';
import type { SgEndpoint } from '../ss7/links/asp-link.js';
import { auditChange } from './audit.js';
import { bodyReplies, errorReply, openObject } from './schemas.js';

export interface CallRoutesOptions {
  calls: {
    get(id: string): { release(cause?: number): void; snapshot(): CallSnapshot } | undefined;
  };
  trail: {
    get(id: string): CallTrailView | undefined;
    list(limit?: number): CallTrailSummary[];
  };
  /** Where ISUP went: the association of the SG named (or the first SG). */
  isupPath: (via: string | undefined) => PacketPath | undefined;
}

/** The SCTP association of a signalling gateway, as the pcap and the ladder show it. */
export function isupPathOf(sgs: readonly SgEndpoint[], via: string | undefined): PacketPath | undefined {
  const sg = sgs.find((s) => s.name === via) ?? sgs[0];
  return sg && { local: { address: sg.localAddress, port: sg.localPort }, remote: { address: sg.address, port: sg.port } };
}

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'The call id (GET /api/v1/calls)' } },
} as const;
const notFound = { ...errorReply, description: 'No such call (ended, or its trail was evicted)' };
const snapshot = openObject({ id: str, direction: str, state: str, calling: str, called: str, trunkGroup: str, cic: int, sipCallId: str, startTime: str, answerTime: str }, { required: ['id', 'state'] });
const entry = openObject(
  {
    seq: int,
    time: str,
    protocol: { type: 'string', enum: ['sip', 'isup', 'mgcp', 'megaco'] },
    dir: { type: 'string', enum: ['in', 'out'], description: 'As seen by the switch' },
    local: str,
    remote: str,
    label: str,
    text: { type: 'string', description: 'SIP and MGCP: the message as sent or received' },
    hex: { type: 'string', description: 'ISUP: the message bytes from the CIC on' },
    cic: int,
  },
  { required: ['seq', 'time', 'protocol', 'dir', 'label'] },
);

export async function callRoutes(app: FastifyInstance, opts: CallRoutesOptions): Promise<void> {
  const { calls, trail } = opts;
  const resolve: PathResolver = (m) => (m.protocol === 'isup' ? opts.isupPath(m.via) : undefined);
  const missing = (id: string) => ({ error: `no active call "${id}" (GET /api/v1/calls lists them)` });

  app.get<{ Params: { id: string } }>(
    '/api/v1/calls/:id',
    { schema: { summary: 'One active call', tags: ['calls'], params: idParams, response: { 200: snapshot, 404: notFound } } },
    async (req, reply) => {
      const call = calls.get(req.params.id);
      return call ? call.snapshot() : reply.code(404).send(missing(req.params.id));
    },
  );

  app.post<{ Params: { id: string }; Body: { cause?: number } | undefined }>(
    '/api/v1/calls/:id/release',
    {
      schema: {
        summary: 'Tear a call down on every side',
        tags: ['calls'],
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { cause: { type: 'integer', minimum: 1, maximum: 127, default: 16, description: 'Q.850 cause sent to both sides' } } },
        response: { 202: openObject({ released: { type: 'boolean' }, cause: int, call: snapshot }, { required: ['released', 'cause'] }), 404: notFound, ...bodyReplies },
      },
    },
    async (req, reply) => {
      const call = calls.get(req.params.id);
      if (!call) return reply.code(404).send(missing(req.params.id));
      const cause = req.body?.cause ?? 16;
      const before = call.snapshot();
      call.release(cause);
      req.log.warn({ callId: before.id, cause, actor: req.principal?.name }, 'call released by an operator');
      auditChange(req, { before, after: { released: true, cause } });
      return reply.code(202).send({ released: true, cause, call: before });
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/api/v1/call-trails',
    {
      schema: {
        summary: 'Calls with a recorded signalling trail, newest first (ended calls too, until evicted)',
        tags: ['calls'],
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: {
              trails: {
                type: 'array',
                items: openObject({ callId: str, first: str, last: str, events: int, dropped: int, active: { type: 'boolean' }, called: str, calling: str, state: str }, { required: ['callId', 'first', 'last', 'events'] }),
              },
            },
            required: ['trails'],
          },
        },
      },
    },
    async (req) => ({
      trails: trail.list(req.query.limit).map((t) => {
        const live = calls.get(t.callId)?.snapshot();
        return {
          callId: t.callId,
          first: new Date(t.first).toISOString(),
          last: new Date(t.last).toISOString(),
          events: t.events,
          dropped: t.dropped,
          active: live !== undefined,
          ...(live ? { called: live.called, calling: live.calling, state: live.state } : {}),
        };
      }),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/calls/:id/trail',
    {
      schema: {
        summary: "A call's SIP, ISUP and MGCP messages in the order the switch saw them (its ladder)",
        tags: ['calls'],
        params: idParams,
        response: { 200: { type: 'object', properties: { callId: str, dropped: { ...int, description: 'Earlier messages no longer held' }, entries: { type: 'array', items: entry } }, required: ['callId', 'dropped', 'entries'] }, 404: notFound },
      },
    },
    async (req, reply) => {
      const t = trail.get(req.params.id);
      if (!t) return reply.code(404).send({ error: `no trail for call "${req.params.id}" (GET /api/v1/call-trails lists those held)` });
      return { callId: t.callId, dropped: t.dropped, entries: trailEntries(t.events, resolve) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/calls/:id/trail.pcap',
    {
      schema: {
        summary: "A call's trail as a pcap file: SIP and MGCP over UDP, ISUP in M3UA over SCTP (headers synthesized, message bytes as on the wire)",
        tags: ['calls'],
        params: idParams,
        response: { 200: { description: 'libpcap file, LINKTYPE_RAW (IPv4)', content: { 'application/vnd.tcpdump.pcap': { schema: { type: 'string', format: 'binary' } } } }, 404: notFound },
      },
    },
    async (req, reply) => {
      const t = trail.get(req.params.id);
      if (!t) return reply.code(404).send({ error: `no trail for call "${req.params.id}"` });
      return reply
        .header('content-type', 'application/vnd.tcpdump.pcap')
        .header('content-disposition', `attachment; filename="call-${t.callId}.pcap"`)
        .send(trailToPcap(t.events, resolve));
    },
  );
}
