/**
 * CDR queries and exports (read-only role):
 *   GET /api/v1/cdrs/query   paged JSON, oldest first, `after` = the previous page's `next`
 *   GET /api/v1/cdrs/export  streamed CSV (RFC 4180) or length-delimited protobuf (src/calls/cdr.proto)
 * Both filter by start time range, customer, trunk group (out or in) and Q.850 cause, on either
 * store (SQLite or PostgreSQL: `CdrQueries`).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { CdrFilter } from '../store/cdr-filter.js';
import type { CdrQueries } from '../store/store.js';
import { cdrCsvHeader, cdrCsvRow, cdrProtobufFrame, CDR_MESSAGE } from '../calls/cdr-export.js';
import { errorReply, openObject } from './schemas.js';

export interface CdrRouteDeps {
  cdrs: CdrQueries;
}

/** Rows read from the store per chunk of an export. */
const EXPORT_BATCH = 500;

const filterProperties = {
  from: { type: 'string', format: 'date-time', description: 'Calls that started at or after this instant (ISO 8601)' },
  to: { type: 'string', format: 'date-time', description: 'Calls that started before this instant (ISO 8601)' },
  customer: { type: 'string', maxLength: 128 },
  trunkGroup: { type: 'string', maxLength: 128, description: 'The trunk group the call went out or came in on' },
  cause: { type: 'integer', minimum: 0, maximum: 127, description: 'Q.850 release cause' },
} as const;

type FilterQuery = { from?: string; to?: string; customer?: string; trunkGroup?: string; cause?: number };

function filterOf(q: FilterQuery): CdrFilter {
  return {
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.customer !== undefined ? { customer: q.customer } : {}),
    ...(q.trunkGroup !== undefined ? { trunkGroup: q.trunkGroup } : {}),
    ...(q.cause !== undefined ? { cause: q.cause } : {}),
  };
}

/** The export body: one chunk per batch of rows, read from the store as the client reads (backpressure). */
async function* exportChunks(cdrs: CdrQueries, filter: CdrFilter, format: 'csv' | 'protobuf'): AsyncGenerator<Buffer> {
  if (format === 'csv') yield Buffer.from(cdrCsvHeader());
  let after = 0;
  for (;;) {
    const page = await cdrs.page(filter, { limit: EXPORT_BATCH, afterId: after });
    if (page.cdrs.length > 0) yield Buffer.concat(page.cdrs.map((cdr) => (format === 'csv' ? Buffer.from(cdrCsvRow(cdr)) : Buffer.from(cdrProtobufFrame(cdr)))));
    if (page.next === undefined) return;
    after = page.next;
  }
}

export async function cdrRoutes(app: FastifyInstance, deps: CdrRouteDeps): Promise<void> {
  app.get<{ Querystring: FilterQuery & { limit: number; after: number } }>(
    '/api/v1/cdrs/query',
    {
      schema: {
        summary: 'CDRs matching a filter, oldest first, a page at a time',
        tags: ['calls'],
        querystring: {
          type: 'object',
          properties: {
            ...filterProperties,
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
            after: { type: 'integer', minimum: 0, default: 0, description: 'The `next` of the previous page' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              cdrs: { type: 'array', items: openObject({ id: { type: 'integer' } }) },
              next: { type: 'integer', description: 'Absent on the last page' },
              total: { type: 'integer', description: 'CDRs matching the filter (all pages)' },
            },
            required: ['cdrs', 'total'],
          },
        },
      },
    },
    async (req) => {
      const filter = filterOf(req.query);
      const page = await deps.cdrs.page(filter, { limit: req.query.limit, afterId: req.query.after });
      return { ...page, total: await deps.cdrs.count(filter) };
    },
  );

  app.get<{ Querystring: FilterQuery & { format: 'csv' | 'protobuf' } }>(
    '/api/v1/cdrs/export',
    {
      schema: {
        summary: 'CDRs matching a filter, oldest first, as a CSV file or a length-delimited protobuf stream',
        description: `protobuf: messages ${CDR_MESSAGE} (src/calls/cdr.proto), each preceded by its length as a varint. The header x-cdr-count gives the number of records.`,
        tags: ['calls'],
        querystring: {
          type: 'object',
          properties: { ...filterProperties, format: { type: 'string', enum: ['csv', 'protobuf'], default: 'csv' } },
          additionalProperties: false,
        },
        response: {
          200: {
            description: 'The records, streamed',
            content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-protobuf': { schema: { type: 'string', format: 'binary' } } },
          },
          400: { ...errorReply, description: 'A filter does not match the schema' },
        },
      },
    },
    async (req, reply) => {
      const filter = { ...filterOf(req.query), throughId: await deps.cdrs.lastId() };
      const { format } = req.query;
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : `application/x-protobuf; messageType="${CDR_MESSAGE}"; delimited=true`)
        .header('content-disposition', `attachment; filename="cdrs-${stamp}.${format === 'csv' ? 'csv' : 'pb'}"`)
        .header('x-cdr-count', String(await deps.cdrs.count(filter)))
        .send(Readable.from(exportChunks(deps.cdrs, filter, format), { objectMode: false }));
    },
  );
}
