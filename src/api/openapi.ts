/**
 * The OpenAPI 3.1 document of the admin API, generated from the routes' own JSON Schemas
 * (collected with an onRoute hook), served at GET /api/v1/openapi.json. The guards' replies
 * (401/403) and the body replies (413/415) are added here for every route they apply to, so a
 * route cannot be documented without them.
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { requiredAccess, type Access } from './security.js';
import { errorReply, bodyReplies, guardReplies } from './schemas.js';

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI operation. */
    summary?: string;
    description?: string;
    tags?: readonly string[];
  }
}

export interface CollectedRoute {
  method: string;
  url: string;
  schema?: FastifySchema;
  access: Access;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route and method registered (HEAD twins of GET routes included), with the access it needs. */
    apiRoutes: readonly CollectedRoute[];
  }
}

/** Every route registered on `app` from now on, also as `app.apiRoutes`. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of ([] as string[]).concat(route.method)) {
      routes.push({ method, url: route.url, schema: route.schema, access: requiredAccess(method, route.config?.access) });
    }
  });
  app.decorate('apiRoutes', routes);
  return routes;
}

type JsonSchema = Record<string, unknown>;

interface ContentSchema {
  content: Record<string, { schema: JsonSchema }>;
  description?: string;
}

function isContentSchema(s: unknown): s is ContentSchema {
  return typeof s === 'object' && s !== null && 'content' in s && typeof (s as ContentSchema).content === 'object';
}

function parametersOf(schema: JsonSchema | undefined, where: 'path' | 'query'): JsonSchema[] {
  const props = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

function mediaOf(s: unknown): ContentSchema['content'] {
  if (isContentSchema(s)) return s.content;
  return { 'application/json': { schema: s as JsonSchema } };
}

function responsesOf(route: CollectedRoute): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const declared = (route.schema?.response ?? {}) as Record<string, unknown>;
  const all: Record<string, unknown> = {
    ...(route.schema?.body ? bodyReplies : {}),
    ...(route.access === 'public' ? {} : guardReplies),
    ...declared,
  };
  for (const [code, s] of Object.entries(all)) {
    const description = (s as { description?: string }).description ?? (code.startsWith('2') ? 'Success' : 'Error');
    out[code] = { description, content: mediaOf(s) };
  }
  if (Object.keys(out).length === 0) out.default = { description: 'Undocumented reply', content: mediaOf(errorReply) };
  return out;
}

export function openApiDocument(routes: readonly CollectedRoute[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    if (r.method === 'HEAD') continue;
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const s = r.schema ?? {};
    const op: JsonSchema = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(s.summary ? { summary: s.summary } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(s.tags ? { tags: s.tags } : {}),
      parameters: [...parametersOf(s.params as JsonSchema | undefined, 'path'), ...parametersOf(s.querystring as JsonSchema | undefined, 'query')],
      ...(s.body ? { requestBody: { required: true, content: mediaOf(s.body) } } : {}),
      responses: responsesOf(r),
      security: r.access === 'public' ? [] : [{ bearerAuth: [] }],
      'x-required-role': r.access,
    };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'Admin API of the softswitch. Send `Authorization: Bearer <token>` (roles: read-only < operator < admin); changes from web pages of other origins are refused.' },
    paths,
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token from `softswitch api token create`' } } },
  };
}
