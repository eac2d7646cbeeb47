/** JSON Schemas shared by the admin API routes (fastify validates and serializes with them; /api/v1/openapi.json documents them). */

export const errorReply = {
  type: 'object',
  description: 'An error: what happened, an error code (docs/errors.md) and, for operator errors, what to do.',
  properties: {
    error: { type: 'string' },
    code: { type: 'string' },
    action: { type: 'string' },
  },
  required: ['error'],
  additionalProperties: true,
} as const;

/** The replies every protected route can give before its handler runs. */
export const guardReplies = {
  401: { ...errorReply, description: 'No valid bearer token (SSW_ERR_API_UNAUTHENTICATED)' },
  403: { ...errorReply, description: 'Role too low (SSW_ERR_API_FORBIDDEN) or cross-site request (SSW_ERR_API_CROSS_SITE)' },
} as const;

/** Replies of routes that take a body. */
export const bodyReplies = {
  400: { ...errorReply, description: 'The body or parameters do not match the schema' },
  413: { ...errorReply, description: 'Body larger than the route accepts (SSW_ERR_API_BODY_TOO_LARGE)' },
  415: { ...errorReply, description: 'Content type not accepted (SSW_ERR_API_MEDIA_TYPE)' },
} as const;

/** An object whose listed properties are documented; others pass through unchanged. */
export function openObject(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', properties, additionalProperties: true, ...extra } as const;
}
