/**
 * Class 5 registrations (RFC 3261 §10.3 bindings):
 *   GET /api/v1/registrations[?tenant=]   AORs with their current contacts, Path and expiry
 * Registered by the assembly when the class5 section is enabled.
 */
import type { FastifyInstance } from 'fastify';
import type { Registrar } from '../class5/registrar.js';
import { openObject } from './schemas.js';

const str = { type: 'string' } as const;

const contact = openObject(
  {
    contact: str,
    expiresInS: { type: 'integer' },
    path: { type: 'array', items: str },
    source: str,
    q: { type: 'number' },
    userAgent: str,
  },
  { required: ['contact', 'expiresInS'] },
);

export async function registrationRoutes(app: FastifyInstance, opts: { registrar: Registrar; now: () => number }): Promise<void> {
  app.get<{ Querystring: { tenant?: string } }>(
    '/api/v1/registrations',
    {
      schema: {
        summary: 'Registered contacts per address-of-record, per tenant',
        tags: ['class5'],
        querystring: { type: 'object', properties: { tenant: { type: 'string', minLength: 1 } }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: { registrations: { type: 'array', items: openObject({ tenant: str, aor: str, contacts: { type: 'array', items: contact } }, { required: ['tenant', 'aor', 'contacts'] }) } },
            required: ['registrations'],
          },
        },
      },
    },
    async (req) => {
      const now = opts.now();
      return {
        registrations: opts.registrar.list(req.query.tenant).map((r) => ({
          tenant: r.tenant,
          aor: r.aor,
          contacts: r.contacts.map((b) => ({
            contact: b.contact,
            expiresInS: Math.max(0, Math.round((b.expiresAt - now) / 1000)),
            path: b.path,
            source: `${b.source.address}:${b.source.port}`,
            ...(b.q !== undefined ? { q: b.q } : {}),
            ...(b.userAgent ? { userAgent: b.userAgent } : {}),
          })),
        })),
      };
    },
  );
}
