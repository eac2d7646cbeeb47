/**
 * Admin API for Class 4 routing:
 *   GET  /api/v1/routes/lookup?number=&caller=&customer=&at=   the full route decision as JSON
 *   POST /api/v1/routes/decks/:carrier   (text/csv body, admin) import and activate: 200 with counts, 422 with bad rows, 404 unknown carrier
 *   GET  /api/v1/routes/export[?carrier=]                      the active table as CSV
 *   GET  /api/v1/routes/stats                                  table size, build time, counters
 * With deck versions (routes-lcr-versions.ts) an upload streams into the deck worker, which
 * validates it as it arrives; without, it is checked batch by batch on the event loop (body.ts).
 * Either way an unknown carrier is refused before the body is read, and a body that is too
 * large, not UTF-8, or junk is refused where that shows, without reading the rest.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SoftswitchError } from '../errors.js';
import type { RoutingEngine } from '../class4/routing/engine.js';
import { parseDeck, type DeckRowError } from '../class4/lcr/deck.js';
import { DEFAULT_DECK_BODY_BYTES } from './config.js';
import { streamingTextParser } from './body.js';
import { apiErrorHandler, HttpError } from './http-error.js';
import { auditChange, LAB_ACTOR } from './audit.js';
import { errorReply, openObject } from './schemas.js';
import type { DeckVersions } from '../class4/routing/deck-versions.js';
import { deckUploadParser, deckVersionRoutes, deckVersionUploadRoute, rejectedBody, takeUploadedVersion, versionSchema } from './routes-lcr-versions.js';

export interface LcrRoutesOptions {
  engine: RoutingEngine;
  /** Largest accepted deck upload in bytes (api.limits.deckBytes). */
  maxDeckBytes?: number;
  /** Deck versions (store-backed): uploads stream into the deck worker and are kept as versions. */
  versions?: DeckVersions;
}

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const digits = (description: string) => ({ type: 'string', minLength: 1, maxLength: 32, description }) as const;

const candidate = openObject({
  rank: { type: 'integer' },
  carrier: str,
  trunkGroup: str,
  trunkGroups: { type: 'array', items: str },
  prefix: str,
  rate: { type: 'number', description: 'Currency units per minute' },
  rateColumn: { type: 'string', enum: ['interstate', 'intrastate', 'indeterminate'] },
  effective: str,
  priority: num,
  weight: num,
});

const decision = openObject(
  {
    called: str,
    customer: str,
    normalizedCalled: str,
    normalizedCalling: str,
    routingNumber: str,
    lrn: str,
    portedNumber: str,
    lnpDipped: { type: 'boolean' },
    jurisdiction: str,
    matchedPrefix: str,
    blocked: str,
    timeOfDay: str,
    candidates: { type: 'array', items: candidate },
    skipped: { type: 'array', items: openObject({ carrier: str, prefix: str, code: str, reason: str }) },
    at: str,
  },
  { required: ['called', 'candidates', 'skipped', 'at'] },
);

const rowError = { type: 'object', properties: { line: { type: 'integer' }, message: str }, required: ['line', 'message'] } as const;

const importOk = openObject({ ok: { type: 'boolean', const: true }, carrier: str, rows: { type: 'integer' }, prefixes: { type: 'integer' }, buildMs: num, version: { type: 'integer', description: 'The stored version now active (with deck versions)' } }, { required: ['ok', 'carrier', 'rows'] });
const importRejected = openObject(
  {
    ok: { type: 'boolean', const: false },
    carrier: str,
    errors: { type: 'array', items: rowError },
    errorCount: { type: 'integer' },
    rowCount: { type: 'integer' },
    stoppedAtLine: { type: 'integer', description: 'Present when the upload was refused while streaming: lines after it were not read, so the counts are partial' },
    code: str,
    version: versionSchema,
  },
  { required: ['ok', 'carrier', 'errors', 'errorCount'], description: 'Bad rows; nothing was loaded and the previous table stays active (SSW_ERR_RATE_DECK_INVALID)' },
);

/** Rate deck rows are short; a longer line is not a deck (and would be scanned at length). */
const MAX_DECK_LINE_CHARS = 64 * 1024;

/** Per upload: the header line once seen, prepended to each later batch so it parses alone. */
const uploads = new WeakMap<FastifyRequest, { header?: string; headerLine?: number }>();

/** Checks a batch of deck lines with the deck parser; a bad row refuses the whole upload now (import is all-or-nothing anyway). */
function checkDeckLines(req: FastifyRequest, text: string, firstLine: number): HttpError | undefined {
  const carrier = (req.params as { carrier: string }).carrier;
  const state = uploads.get(req) ?? {};
  uploads.set(req, state);
  let rows = text;
  let rowsFirstLine = firstLine;
  if (state.header === undefined) {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    if (at < 0) return undefined;
    state.header = lines[at];
    state.headerLine = firstLine + at;
    rows = lines.slice(at + 1).join('\n');
    rowsFirstLine = state.headerLine + 1;
  }
  const r = parseDeck(carrier, `${state.header}\n${rows}`);
  if (r.ok) return undefined;
  // Line 1 of the parsed text is the header, line 2 the batch's first row.
  const errors: DeckRowError[] = r.errors.map((e) => ({ line: e.line === 1 ? state.headerLine! : rowsFirstLine + e.line - 2, message: e.message }));
  return rejectDeck(req, errors, r.errorCount, r.rowCount, rowsFirstLine + countLines(rows) - 1);
}

/** 422 for a deck refused while streaming: the rows seen so far, and where reading stopped. */
function rejectDeck(req: FastifyRequest, errors: DeckRowError[], errorCount: number, rowCount: number, stoppedAtLine: number): HttpError {
  const carrier = (req.params as { carrier: string }).carrier;
  const e = new SoftswitchError('SSW_ERR_RATE_DECK_INVALID', `${errorCount} bad rows up to line ${stoppedAtLine}; the rest was not read`);
  auditChange(req, { after: { rejected: true, errorCount, stoppedAtLine } });
  return new HttpError(422, { ok: false, carrier, errors, errorCount, rowCount, stoppedAtLine, error: e.message, code: e.code });
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export async function lcrRoutes(app: FastifyInstance, opts: LcrRoutesOptions): Promise<void> {
  const { engine } = opts;
  const maxDeckBytes = opts.maxDeckBytes ?? DEFAULT_DECK_BODY_BYTES;

  app.get<{ Querystring: { number: string; caller?: string; customer?: string; at?: string } }>(
    '/api/v1/routes/lookup',
    {
      schema: {
        summary: 'Route decision for a called number: LNP, jurisdiction, candidates in order, skipped carriers',
        tags: ['routing'],
        querystring: {
          type: 'object',
          properties: {
            number: digits('Called number as dialled or E.164'),
            caller: digits('Calling number (for jurisdiction)'),
            customer: { type: 'string', maxLength: 64, description: 'Trunk customer id' },
            at: { type: 'string', maxLength: 40, description: 'ISO 8601 time (default now)' },
          },
          required: ['number'],
          additionalProperties: false,
        },
        response: { 200: decision, 400: errorReply },
      },
    },
    async (req, reply) => {
      const { number, caller, customer, at } = req.query;
      let when: Date | undefined;
      if (at !== undefined) {
        when = new Date(at);
        if (Number.isNaN(when.getTime())) return reply.code(400).send({ error: 'at must be an ISO 8601 time' });
      }
      return engine.lookup({ called: number, calling: caller, customer, at: when });
    },
  );

  await app.register(async (scope) => {
    // Only text/csv here: text/plain is what a web page can POST cross-site without a CORS preflight.
    scope.removeAllContentTypeParsers();
    // The deck's own replies (404, 413, 415, 422 with rows) whatever app this is mounted on.
    scope.setErrorHandler(apiErrorHandler);
    const versions = opts.versions;
    scope.addContentTypeParser(
      'text/csv',
      versions
        ? deckUploadParser(versions)
        : streamingTextParser({
            onLines: checkDeckLines,
            maxLineChars: MAX_DECK_LINE_CHARS,
            lineTooLong: (req, line, max) => rejectDeck(req, [{ line, message: `line is longer than ${max} characters` }], 1, 0, line),
          }),
    );
    if (versions) await deckVersionUploadRoute(scope, { versions, maxDeckBytes });

    scope.post<{ Params: { carrier: string }; Body: string }>(
      '/api/v1/routes/decks/:carrier',
      {
        bodyLimit: maxDeckBytes,
        config: { access: 'admin' },
        schema: {
          summary: "Replace a carrier's rate deck (all-or-nothing; persisted under dataDir)",
          description: `Body: the deck as text/csv in UTF-8 (format: config/rate-decks/README.md), at most ${maxDeckBytes} bytes. Streamed: refused at the first bad batch of rows.`,
          tags: ['routing'],
          params: { type: 'object', properties: { carrier: { type: 'string', minLength: 1, maxLength: 64, description: 'Carrier id from routing.carriers' } }, required: ['carrier'] },
          body: { content: { 'text/csv': { schema: { type: 'string' } } } },
          response: { 200: importOk, 404: { ...errorReply, description: 'Unknown carrier (SSW_ERR_UNKNOWN_CARRIER)' }, 422: importRejected },
        },
        // Refuse an unknown carrier before reading a byte of the body.
        preParsing: async (req) => {
          if (!engine.config.carriers.some((c) => c.id === req.params.carrier)) throw new SoftswitchError('SSW_ERR_UNKNOWN_CARRIER', req.params.carrier);
        },
      },
      async (req, reply) => {
        const carrier = req.params.carrier;
        const before = engine.stats().carriers.find((c) => c.id === carrier);
        if (opts.versions) {
          const v = takeUploadedVersion(req);
          if (v.status !== 'valid') {
            auditChange(req, { before: { rows: before?.rows ?? 0 }, after: { rejected: true, version: v.id, errorCount: v.rejected, bytes: v.bytes, sha256: v.sha256 } });
            return reply.code(422).send(rejectedBody(v));
          }
          const t0 = performance.now();
          const a = await opts.versions.activate(v.id, req.principal?.name ?? LAB_ACTOR);
          auditChange(req, { before: { rows: before?.rows ?? 0, activeVersion: a.previousVersionId }, after: { rows: v.accepted, prefixes: a.prefixes, version: v.id, bytes: v.bytes, sha256: v.sha256 } });
          return reply.send({ ok: true, carrier, rows: v.accepted, prefixes: a.prefixes, buildMs: a.timings?.buildMs ?? performance.now() - t0, version: v.id });
        }
        const deck = { bytes: Buffer.byteLength(req.body), sha256: createHash('sha256').update(req.body).digest('hex') };
        const result = await engine.importDeck(carrier, req.body);
        auditChange(req, {
          before: { rows: before?.rows ?? 0 },
          after: result.ok ? { rows: result.rows, prefixes: result.prefixes, ...deck } : { rejected: true, errorCount: result.errorCount, ...deck },
        });
        return reply.code(result.ok ? 200 : 422).send(result.ok ? result : { ...result, code: 'SSW_ERR_RATE_DECK_INVALID' });
      },
    );
  });

  app.get<{ Querystring: { carrier?: string } }>(
    '/api/v1/routes/export',
    {
      schema: {
        summary: 'The active route table as CSV',
        tags: ['routing'],
        querystring: { type: 'object', properties: { carrier: { type: 'string', maxLength: 64 } }, additionalProperties: false },
        response: { 200: { description: 'carrier,prefix,interstate,intrastate,indeterminate,effective', content: { 'text/csv': { schema: str } } } },
      },
    },
    async (req, reply) => reply.header('content-type', 'text/csv; charset=utf-8').send(engine.exportTable(req.query.carrier)),
  );

  app.get(
    '/api/v1/routes/stats',
    {
      schema: {
        summary: 'Route table size, build time and counters',
        tags: ['routing'],
        response: {
          200: openObject({ carriers: { type: 'array', items: openObject({ id: str, rows: { type: 'integer' } }) }, loadedFrom: { type: 'string', enum: ['snapshot', 'decks'] }, lastBuildMs: num, reloads: { type: 'integer' }, lookups: { type: 'integer' } }),
        },
      },
    },
    async () => engine.stats(),
  );
  if (opts.versions) await deckVersionRoutes(app, { versions: opts.versions });
}
