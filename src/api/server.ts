/**
 * The fastify admin API: guards (security.ts), audit log (audit.ts), status routes, the OpenAPI
 * document, and route plugins from the assembly (LCR, lab). Every route carries JSON Schemas
 * (fastify validates and serializes with them, openapi.ts documents them).
 */
import { resolve } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../util/log.js';
import { apiConfigSchema, type ApiConfig } from './config.js';
import { apiExposure, readApiTls } from './exposure.js';
import { TokenVerifier } from './tokens.js';
import { installSecurity } from './security.js';
import { AuditLog, installAudit } from './audit.js';
import { apiErrorHandler } from './http-error.js';
import { collectRoutes, openApiDocument } from './openapi.js';
import { statusRoutes, type StatusSources } from './routes-status.js';
import { consoleRoutes } from './routes-console.js';
import { openObject } from './schemas.js';

/** What the admin API reads from the running switch; each piece is optional so the API can come up first. */
export interface ApiSources extends StatusSources {
  logger: Logger;
  /** The `api:` configuration section (defaults when absent). */
  config?: ApiConfig;
  /** The lab profile: without tokens and on loopback, authentication is off. */
  lab?: boolean;
  /** Where the audit log file goes (memory and process log only when absent). */
  dataDir?: string;
  /** Level of the API's own log lines (request lines are info); default warn, never below the logger's. */
  logLevel?: string;
  /** Extra route plugins (e.g. LCR routes), registered as-is. */
  plugins?: Array<(app: FastifyInstance) => Promise<void> | void>;
}

/** What is logged of a request: its headers, with credentials censored by REDACT. */
function requestForLog(req: { method?: string; url?: string; headers?: IncomingMessage['headers']; ip?: string }) {
  return { method: req.method, url: req.url, headers: req.headers, remoteAddress: req.ip };
}

const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]', 'headers.authorization'];

export async function createApiServer(src: ApiSources): Promise<FastifyInstance> {
  const config = src.config ?? apiConfigSchema.parse({});
  const exposure = apiExposure(config, src.lab ?? false);
  const verifier = exposure.auth ? new TokenVerifier(config.tokens) : null;
  // Never more verbose than the process logger (a silent or error-level switch stays so).
  const wanted = src.logLevel ?? 'warn';
  const level = (src.logger.levels.values[wanted] ?? 0) >= src.logger.levelVal ? wanted : src.logger.level;
  const log = src.logger.child({ component: 'api' }, { level, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { req: requestForLog } });
  if (!verifier) log.warn({ host: config.host }, 'admin API authentication is OFF: lab profile bound to loopback; anyone on this host can change the switch (configure api.tokens to require tokens)');
  else if (verifier.size === 0) log.warn('no api.tokens configured: every admin API request except GET /healthz is refused; create a token with `softswitch api token create`');

  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: config.limits.jsonBytes,
    ...(config.tls ? { https: readApiTls(config.tls) } : {}),
  }) as unknown as FastifyInstance;
  // Only application/json is parsed by default: text/plain (a body a browser sends cross-site without preflight) is 415.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(apiErrorHandler);

  const routes = collectRoutes(app);
  installSecurity(app, { verifier, log });
  const audit = new AuditLog({ file: src.dataDir ? resolve(src.dataDir, config.audit.file) : undefined, maxBytes: config.audit.maxBytes, recent: config.audit.recent, log: src.logger });
  installAudit(app, audit);

  await statusRoutes(app, src);
  await consoleRoutes(app);

  app.get<{ Querystring: { limit: number } }>(
    '/api/v1/audit',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Recent changes made through the admin API (newest last)',
        tags: ['audit'],
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 100 } }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: {
              entries: {
                type: 'array',
                items: openObject(
                  { time: { type: 'string' }, actor: { type: 'string' }, role: { type: ['string', 'null'] }, method: { type: 'string' }, route: { type: 'string' }, status: { type: 'integer' }, outcome: { type: 'string', enum: ['ok', 'failed'] }, reqId: { type: 'string' }, ip: { type: 'string' } },
                  { required: ['time', 'actor', 'method', 'route', 'status', 'outcome'] },
                ),
              },
            },
            required: ['entries'],
          },
        },
      },
    },
    async (req) => ({ entries: audit.recent(req.query.limit) }),
  );

  app.get('/api/v1/openapi.json', { schema: { summary: 'This document', tags: ['meta'], response: { 200: openObject({ openapi: { type: 'string' }, paths: { type: 'object', additionalProperties: true } }, { required: ['openapi', 'paths'] }) } } }, async () =>
    openApiDocument(routes, { title: 'softswitch admin API', version: 'v1' }),
  );

  for (const plugin of src.plugins ?? []) await plugin(app);
  return app;
}
