/**
 * Admin API for rate deck versions (class4/routing/deck-versions.ts):
 *   POST /api/v1/routes/decks/:carrier/versions   (text/csv, admin) store an import: 201 valid, 422 rejected (with its report)
 *   GET  /api/v1/routes/decks/:carrier/versions   the carrier's versions, newest first, and which is active
 *   GET  /api/v1/routes/decks/versions/:id        one version with its validation report
 *   POST /api/v1/routes/decks/versions/:id/activate   (admin) make it the carrier's active deck
 *   POST /api/v1/routes/decks/:carrier/rollback   (admin) back to the version active before
 *   GET  /api/v1/routes/decks/diff?from=&to=      rows added, removed and re-rated between two versions
 * An upload streams into the deck worker chunk by chunk (at most a few chunks in flight, the
 * socket paused beyond that), so the event loop only forwards bytes; a deck the worker refuses
 * early is stored as a rejected version and answered 422 without reading the rest.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeckVersion, DeckVersions, DeckVersionUpload } from '../class4/routing/deck-versions.js';
import { SoftswitchError } from '../errors.js';
import { auditChange, LAB_ACTOR } from './audit.js';
import { HttpError } from './http-error.js';
import { errorReply, openObject } from './schemas.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const MAX_IN_FLIGHT = 4;
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

const rowError = { type: 'object', properties: { line: int, message: str }, required: ['line', 'message'] } as const;

export const versionSchema = openObject(
  {
    id: int,
    carrier: str,
    createdAt: str,
    createdBy: str,
    status: { type: 'string', enum: ['valid', 'rejected'] },
    active: { type: 'boolean' },
    bytes: int,
    sha256: str,
    rowCount: { type: 'integer', description: 'Data rows read (partial when stoppedAtLine is set)' },
    accepted: int,
    rejected: int,
    report: openObject(
      {
        errors: { type: 'array', items: rowError, description: 'The first bad rows (at most 1000) with line numbers and reasons' },
        stoppedAtLine: { type: 'integer', description: 'The upload was refused here; later lines were not read' },
        stopReason: str,
        refusal: { type: 'string', enum: ['media-type', 'too-large', 'invalid'] },
      },
      { required: ['errors'] },
    ),
  },
  { required: ['id', 'carrier', 'createdAt', 'status', 'bytes', 'sha256', 'rowCount', 'accepted', 'rejected'] },
);

const rates = openObject({ interstate: str, intrastate: str, indeterminate: str });
const diffRow = openObject({ prefix: str, effective: str, before: rates, after: rates }, { required: ['prefix', 'effective'] });
const diffSchema = openObject(
  {
    from: int,
    to: int,
    rows: openObject({ from: int, to: int }),
    prefixes: openObject({ from: int, to: int }),
    counts: openObject({ added: int, removed: int, changed: int, unchanged: int }, { required: ['added', 'removed', 'changed', 'unchanged'] }),
    prefixCounts: openObject({ added: int, removed: int }),
    added: { type: 'array', items: diffRow },
    removed: { type: 'array', items: diffRow },
    changed: { type: 'array', items: diffRow },
    truncated: { type: 'boolean' },
  },
  { required: ['counts', 'added', 'removed', 'changed', 'truncated'] },
);

const activationSchema = openObject(
  {
    version: versionSchema,
    activation: openObject({ id: int, carrier: str, versionId: int, kind: { type: 'string', enum: ['activate', 'rollback'] }, activatedAt: str, activatedBy: str }),
    previousVersionId: { type: ['integer', 'null'] },
    prefixes: int,
    timings: openObject({ parseMs: { type: 'number' }, buildMs: { type: 'number' }, totalMs: { type: 'number' } }),
  },
  { required: ['version', 'activation', 'previousVersionId', 'prefixes'] },
);

/** Optional: why (kept in the audit log). */
const reasonBody = { type: 'object', properties: { reason: { type: 'string', maxLength: 200 } }, additionalProperties: false } as const;
const reasonOf = (req: FastifyRequest) => (req.body as { reason?: string } | undefined)?.reason;

const carrierParam = { type: 'object', properties: { carrier: { type: 'string', minLength: 1, maxLength: 64, description: 'Carrier id from routing.carriers' } }, required: ['carrier'] } as const;
const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1, description: 'Version id' } }, required: ['id'] } as const;
const notFound = { ...errorReply, description: 'Unknown carrier (SSW_ERR_UNKNOWN_CARRIER) or version (SSW_ERR_DECK_VERSION_NOT_FOUND)' };
const conflict = { ...errorReply, description: 'A rejected version (SSW_ERR_DECK_VERSION_REJECTED) or nothing to roll back to (SSW_ERR_DECK_NO_ROLLBACK)' };

/** A version as the API shows it: no server paths; the report only where asked. */
export function publicVersion(v: DeckVersion, active: boolean, withReport = true): Record<string, unknown> {
  const { file: _file, report, ...rest } = v;
  return { ...rest, active, ...(withReport ? { report } : {}) };
}

/** The 422 body for a rejected deck: the historical import fields plus the stored version. */
export function rejectedBody(v: DeckVersion): Record<string, unknown> {
  const e = new SoftswitchError('SSW_ERR_RATE_DECK_INVALID', v.report.stoppedAtLine !== undefined ? `${v.report.stopReason ?? 'refused'} (line ${v.report.stoppedAtLine}; the rest was not read)` : `${v.rejected} bad rows`);
  return {
    ok: false,
    carrier: v.carrier,
    errors: v.report.errors,
    errorCount: v.rejected,
    rowCount: v.rowCount,
    ...(v.report.stoppedAtLine !== undefined ? { stoppedAtLine: v.report.stoppedAtLine } : {}),
    error: e.message,
    code: e.code,
    action: e.action,
    version: publicVersion(v, false),
  };
}

/** A rejected upload's reply: 415 when it was not text, 413 over the byte cap, else 422 with the rows. */
function refusedReply(v: DeckVersion): HttpError {
  const r = v.report.refusal;
  if (r === 'media-type' || r === 'too-large') {
    const e = HttpError.of(r === 'media-type' ? 415 : 413, r === 'media-type' ? 'SSW_ERR_API_MEDIA_TYPE' : 'SSW_ERR_API_BODY_TOO_LARGE', v.report.stopReason);
    return new HttpError(e.statusCode, { ...e.body, version: publicVersion(v, false) });
  }
  return new HttpError(422, rejectedBody(v));
}

const uploaded = new WeakMap<FastifyRequest, DeckVersion>();

/** The version the body parser stored for this request. */
export function takeUploadedVersion(req: FastifyRequest): DeckVersion {
  const v = uploaded.get(req);
  if (!v) throw new Error('no deck upload on this request');
  return v;
}

const actorOf = (req: FastifyRequest) => req.principal?.name ?? LAB_ACTOR;

/** text/csv body parser: streams the body into the deck worker (see the file comment). */
export function deckUploadParser(versions: DeckVersions) {
  return (req: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: string) => void): void => {
    const limit = req.routeOptions.bodyLimit;
    const tooLarge = () => HttpError.of(413, 'SSW_ERR_API_BODY_TOO_LARGE', `this route accepts at most ${limit} bytes`);
    if (Number(req.headers['content-length']) > limit) return done(tooLarge());
    const charset = /;\s*charset="?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && !UTF8_CHARSETS.has(charset)) return done(HttpError.of(415, 'SSW_ERR_API_MEDIA_TYPE', `charset ${charset}: send UTF-8`));
    const carrier = (req.params as { carrier: string }).carrier;
    let upload: DeckVersionUpload | undefined;
    let finished = false;
    let ended = false;
    let received = 0;
    let inFlight = 0;
    let recording = false;
    const detach = () => {
      payload.off('data', onData);
      payload.off('end', onEnd);
      payload.off('error', onError);
      payload.off('close', onClose);
    };
    const finish = (err: Error | null) => {
      if (finished) return;
      finished = true;
      detach();
      if (err) {
        payload.pause();
        if (!recording) upload?.abort();
      }
      done(err, err ? undefined : '');
    };
    /** Stores the version (valid or rejected); a rejected one is the 422 reply. */
    const record = (early: boolean) => {
      if (recording || !upload) return;
      recording = true;
      if (early) detach();
      upload.finish(actorOf(req)).then((v) => {
        uploaded.set(req, v);
        if (early || v.status !== 'valid') {
          auditChange(req, { after: { rejected: true, version: v.id, errorCount: v.rejected, stoppedAtLine: v.report.stoppedAtLine, bytes: v.bytes } });
          finish(refusedReply(v));
        } else finish(null);
      }, finish);
    };
    const pump = (chunk: Buffer) => {
      inFlight++;
      if (inFlight >= MAX_IN_FLIGHT) payload.pause();
      upload!.push(chunk).then((stop) => {
        inFlight--;
        if (finished || recording) return;
        if (stop) return record(true);
        if (inFlight < MAX_IN_FLIGHT) payload.resume();
        if (ended && inFlight === 0) record(false);
      }, finish);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return finish(tooLarge());
      pump(chunk);
    };
    const onEnd = () => {
      ended = true;
      if (inFlight === 0) record(false);
    };
    const onError = (err: Error) => finish(err);
    const onClose = () => {
      if (!ended) finish(new Error('the client closed the connection during the upload'));
    };
    payload.pause();
    versions.upload(carrier, limit).then((u) => {
      upload = u;
      if (finished) return u.abort();
      payload.on('data', onData);
      payload.on('end', onEnd);
      payload.on('error', onError);
      payload.on('close', onClose);
      payload.resume();
    }, finish);
  };
}

/** The import route; registered in the scope whose text/csv parser is deckUploadParser. */
export async function deckVersionUploadRoute(scope: FastifyInstance, opts: { versions: DeckVersions; maxDeckBytes: number }): Promise<void> {
  const { versions } = opts;
  scope.post<{ Params: { carrier: string }; Body: string }>(
    '/api/v1/routes/decks/:carrier/versions',
    {
      bodyLimit: opts.maxDeckBytes,
      config: { access: 'admin' },
      schema: {
        summary: 'Store a rate deck as a new version with its validation report (does not activate it)',
        description: `Body: the deck as text/csv in UTF-8, at most ${opts.maxDeckBytes} bytes. Validated as it streams; junk is refused early (422, stored as a rejected version).`,
        tags: ['routing'],
        params: carrierParam,
        body: { content: { 'text/csv': { schema: { type: 'string' } } } },
        response: { 201: openObject({ ok: { type: 'boolean' }, version: versionSchema }, { required: ['ok', 'version'] }), 404: notFound, 422: openObject({ ok: { type: 'boolean' }, version: versionSchema, errors: { type: 'array', items: rowError }, errorCount: int, code: str }) },
      },
      preParsing: async (req) => {
        versions.checkCarrier(req.params.carrier);
      },
    },
    async (req, reply) => {
      const v = takeUploadedVersion(req);
      auditChange(req, { after: { version: v.id, status: v.status, rows: v.rowCount, rejected: v.rejected, bytes: v.bytes, sha256: v.sha256 } });
      if (v.status !== 'valid') return reply.code(422).send(rejectedBody(v));
      return reply.code(201).send({ ok: true, version: publicVersion(v, (await versions.activeVersion(v.carrier)) === v.id) });
    },
  );
}

/** The JSON routes: list, show, activate, roll back, diff. */
export async function deckVersionRoutes(app: FastifyInstance, opts: { versions: DeckVersions }): Promise<void> {
  const { versions } = opts;

  app.get<{ Params: { carrier: string }; Querystring: { limit: number } }>(
    '/api/v1/routes/decks/:carrier/versions',
    {
      schema: {
        summary: "A carrier's stored deck versions, newest first, and which one is active",
        tags: ['routing'],
        params: carrierParam,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } }, additionalProperties: false },
        response: { 200: openObject({ carrier: str, activeVersion: { type: ['integer', 'null'] }, versions: { type: 'array', items: versionSchema } }, { required: ['carrier', 'activeVersion', 'versions'] }), 404: notFound },
      },
    },
    async (req) => {
      const list = await versions.list(req.params.carrier, req.query.limit);
      const active = await versions.activeVersion(req.params.carrier);
      return { carrier: req.params.carrier, activeVersion: active, versions: list.map((v) => publicVersion(v, v.id === active, false)) };
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/v1/routes/decks/versions/:id',
    {
      schema: { summary: 'One deck version with its validation report', tags: ['routing'], params: idParam, response: { 200: versionSchema, 404: notFound } },
    },
    async (req) => {
      const v = await versions.get(req.params.id);
      return publicVersion(v, (await versions.activeVersion(v.carrier)) === v.id);
    },
  );

  const activationReply = (a: Awaited<ReturnType<DeckVersions['activate']>>) => ({ ...a, version: publicVersion(a.version, true, false) });

  app.post<{ Params: { id: number }; Body: { reason?: string } | undefined }>(
    '/api/v1/routes/decks/versions/:id/activate',
    {
      config: { access: 'admin' },
      schema: {
        summary: "Make a valid version the carrier's active deck (rebuilt off the event loop, swapped in atomically)",
        tags: ['routing'],
        params: idParam,
        body: reasonBody,
        response: { 200: activationSchema, 404: notFound, 409: conflict },
      },
    },
    async (req) => {
      const v = await versions.get(req.params.id);
      const before = await versions.activeVersion(v.carrier);
      const a = await versions.activate(v.id, actorOf(req));
      auditChange(req, { before: { carrier: v.carrier, activeVersion: before }, after: { carrier: v.carrier, activeVersion: v.id, prefixes: a.prefixes, reason: reasonOf(req) } });
      return activationReply(a);
    },
  );

  app.post<{ Params: { carrier: string }; Body: { reason?: string } | undefined }>(
    '/api/v1/routes/decks/:carrier/rollback',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Re-activate the version that was active before the current one',
        tags: ['routing'],
        params: carrierParam,
        body: reasonBody,
        response: { 200: activationSchema, 404: notFound, 409: conflict },
      },
    },
    async (req) => {
      const before = await versions.activeVersion(req.params.carrier);
      const a = await versions.rollback(req.params.carrier, actorOf(req));
      auditChange(req, { before: { carrier: req.params.carrier, activeVersion: before }, after: { carrier: req.params.carrier, activeVersion: a.version.id, prefixes: a.prefixes, reason: reasonOf(req) } });
      return activationReply(a);
    },
  );

  app.get<{ Querystring: { from: number; to: number; limit: number } }>(
    '/api/v1/routes/decks/diff',
    {
      schema: {
        summary: 'Rows added, removed and re-rated from one deck version to another (counts and the first rows of each)',
        tags: ['routing'],
        querystring: {
          type: 'object',
          properties: { from: { type: 'integer', minimum: 1 }, to: { type: 'integer', minimum: 1 }, limit: { type: 'integer', minimum: 0, maximum: 1000, default: 100 } },
          required: ['from', 'to'],
          additionalProperties: false,
        },
        response: { 200: diffSchema, 404: notFound, 409: conflict },
      },
    },
    async (req) => ({ from: req.query.from, to: req.query.to, ...(await versions.diff(req.query.from, req.query.to, req.query.limit)) }),
  );
}
