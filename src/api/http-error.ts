/**
 * Error replies of the admin API: `{ error, code, action }` for operator errors (codes from
 * src/errors.ts), `{ error, code }` for fastify's own (validation, 404), never a stack.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SoftswitchError, type ErrorCode } from '../errors.js';

/** An error that is the reply: status and body chosen where it is raised. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error ?? `HTTP ${statusCode}`));
    this.name = 'HttpError';
  }

  static of(statusCode: number, code: ErrorCode, detail?: string): HttpError {
    const e = new SoftswitchError(code, detail);
    return new HttpError(statusCode, { error: e.message, code: e.code, action: e.action });
  }
}

/** Operator errors that are the request's doing, with their HTTP status. */
const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  SSW_ERR_UNKNOWN_CARRIER: 404,
  SSW_ERR_DECK_VERSION_NOT_FOUND: 404,
  SSW_ERR_DECK_VERSION_REJECTED: 409,
  SSW_ERR_DECK_NO_ROLLBACK: 409,
  SSW_ERR_TENANT_NOT_FOUND: 404,
  SSW_ERR_TENANT_CONFLICT: 409,
  SSW_ERR_TENANT_READ_ONLY: 409,
  SSW_ERR_TENANT_INVALID: 400,
  SSW_ERR_TRUNK_CUSTOMER_NOT_FOUND: 404,
  SSW_ERR_TRUNK_CUSTOMER_CONFLICT: 409,
  SSW_ERR_TRUNK_CUSTOMER_READ_ONLY: 409,
  SSW_ERR_TRUNK_CUSTOMER_INVALID: 400,
};

/** Fastify's error codes that are the client's doing, with the operator code that explains them. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SSW_ERR_API_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SSW_ERR_API_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SSW_ERR_API_BODY_TOO_LARGE',
};

export function apiErrorHandler(err: FastifyError | HttpError | SoftswitchError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof HttpError) return reply.code(err.statusCode).send(err.body);
  if (err instanceof SoftswitchError) {
    const status = STATUS_OF[err.code] ?? 500;
    if (status === 500) req.log.error({ err }, 'admin API request failed');
    return reply.code(status).send({ error: err.message, code: err.code, action: err.action });
  }
  const status = err.statusCode ?? 500;
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) {
    const detail = mapped === 'SSW_ERR_API_MEDIA_TYPE' ? `${req.headers['content-type'] ?? 'no content type'} is not accepted by ${req.method} ${req.routeOptions.url ?? req.url}` : err.message;
    return reply.code(status).send(HttpError.of(status, mapped, detail).body);
  }
  if (status >= 500) {
    req.log.error({ err }, 'admin API request failed');
    return reply.code(500).send({ error: 'internal error (logged)', code: 'INTERNAL' });
  }
  return reply.code(status).send({ error: err.message, code: err.code ?? `HTTP_${status}` });
}
