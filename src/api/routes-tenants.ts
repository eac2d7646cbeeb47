/**
 * Hosted-PBX provisioning (class5/provisioning.ts), effective at once without a restart:
 *   GET|POST          /api/v1/tenants
 *   GET|PATCH|DELETE  /api/v1/tenants/:id
 *   GET|POST          /api/v1/tenants/:id/extensions
 *   GET|PATCH|DELETE  /api/v1/tenants/:id/extensions/:number
 *   GET|POST          /api/v1/tenants/:id/dids
 *   DELETE            /api/v1/tenants/:id/dids/:did
 * Reads need read-only, changes operator (the default of every route). Every reply is about the
 * one tenant in the path. Passwords are taken, turned into digest HA1s and forgotten: no reply and
 * no audit entry carries a password or an HA1. Tenants of the configuration file are listed with
 * origin "config" and refuse changes (409 SSW_ERR_TENANT_READ_ONLY).
 */
import type { FastifyInstance } from 'fastify';
import type { TenantProvisioning, TenantInput, TenantPatch, ExtensionInput, ExtensionPatch, DidInput } from '../class5/provisioning.js';
import { auditChange } from './audit.js';
import { bodyReplies, errorReply, openObject } from './schemas.js';

/** Bodies are small: a tenant with its hunt groups, one extension, one DID. */
export const TENANT_BODY_BYTES = 64 * 1024;
export const EXTENSION_BODY_BYTES = 16 * 1024;

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const nullable = (s: Record<string, unknown>) => ({ anyOf: [s, { type: 'null' }] });

const tenantId = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$', description: 'Lower-case letters, digits and dashes, at most 32' } as const;
const domain = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$', description: 'SIP domain of its users and the digest realm' } as const;
const e164 = { type: 'string', pattern: '^\\+?\\d{4,15}$' } as const;
const sipUri = { type: 'string', pattern: '^sips?:', maxLength: 512 } as const;
const cos = { type: 'string', enum: ['local', 'national', 'international', 'blocked'] } as const;
const extNumber = { type: 'string', pattern: '^\\d{2,8}$' } as const;
const didNumber = { type: 'string', pattern: '^\\d{4,15}$', description: 'National number, digits only' } as const;
const callerIdPolicy = { type: 'string', enum: ['extension', 'main-number'], description: "PSTN calls present the extension's caller ID (else the main number), or always the main number" } as const;
const huntGroup = {
  type: 'object',
  properties: {
    number: extNumber,
    strategy: { type: 'string', enum: ['linear', 'circular', 'simultaneous'], default: 'linear' },
    members: { type: 'array', items: extNumber, minItems: 1, maxItems: 64 },
    ringS: { type: 'integer', minimum: 3, maximum: 120, default: 15 },
  },
  required: ['number', 'members'],
  additionalProperties: false,
} as const;
const huntGroups = { type: 'array', items: huntGroup, maxItems: 256 } as const;
const features = { type: 'object', additionalProperties: true, description: 'Features as in class5.tenants[].extensions[].features of the configuration (cfu, cfb, cfna, voicemail, dnd, followMe, …)' } as const;
const ha1 = {
  type: 'object',
  description: 'Digest HA1s over number:domain:password (RFC 7616 §3.4.2), instead of a password',
  properties: { md5: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' }, sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
  required: ['md5', 'sha256'],
  additionalProperties: false,
} as const;
const password = { type: 'string', minLength: 8, maxLength: 128, description: 'Turned into digest HA1s at once; never stored or shown' } as const;

const tenantView = openObject(
  { id: str, domain: str, origin: { type: 'string', enum: ['config', 'store'] }, mainNumber: str, voicemail: str, callerIdPolicy: str, cos: str, huntGroups: { type: 'array', items: openObject({ number: str, strategy: str, members: { type: 'array', items: str }, ringS: int }) }, extensions: int, dids: int, createdAt: str, updatedAt: str },
  { required: ['id', 'domain', 'origin', 'extensions', 'dids'] },
);
const extensionView = openObject(
  { tenant: str, number: str, displayName: str, callerId: str, cos: str, maxDevices: int, features: { type: 'object', additionalProperties: true }, credentials: { type: 'array', items: str }, createdAt: str, updatedAt: str },
  { required: ['tenant', 'number', 'cos', 'credentials'] },
);
const didView = openObject({ did: str, tenant: str, extension: str, huntGroup: str, createdAt: str }, { required: ['did', 'tenant'] });

const notFound = { ...errorReply, description: 'No such tenant, extension or DID (SSW_ERR_TENANT_NOT_FOUND)' };
const conflict = { ...errorReply, description: 'A key is taken (SSW_ERR_TENANT_CONFLICT) or the tenant comes from the configuration file (SSW_ERR_TENANT_READ_ONLY)' };
const invalid = { ...errorReply, description: 'The body does not match the schema, or a field is not valid (SSW_ERR_TENANT_INVALID); the message names the field' };
const changeReplies = { ...bodyReplies, 400: invalid, 404: notFound, 409: conflict };

const idParams = { type: 'object', properties: { id: tenantId }, required: ['id'], additionalProperties: false } as const;
const extParams = { type: 'object', properties: { id: tenantId, number: extNumber }, required: ['id', 'number'], additionalProperties: false } as const;
const didParams = { type: 'object', properties: { id: tenantId, did: didNumber }, required: ['id', 'did'], additionalProperties: false } as const;

/**
 * Validation errors that name the field: ajv's own message, with the property an
 * additionalProperties or required error is about ("body/extra must NOT have additional properties").
 */
export function namedFieldErrors(errors: Parameters<NonNullable<Parameters<FastifyInstance['setSchemaErrorFormatter']>[0]>>[0], dataVar: string): Error {
  const text = errors.map((e) => {
    const params = e.params as { additionalProperty?: string; missingProperty?: string };
    const extra = params.additionalProperty ?? params.missingProperty;
    return `${dataVar}${e.instancePath}${extra ? `/${extra}` : ''} ${e.message ?? 'is not valid'}`;
  });
  return new Error(text.join('; '));
}

export async function tenantRoutes(app: FastifyInstance, opts: { provisioning: TenantProvisioning }): Promise<void> {
  const p = opts.provisioning;
  const common = { schemaErrorFormatter: namedFieldErrors };

  app.get('/api/v1/tenants', { ...common, schema: { summary: 'Hosted-PBX tenants, from the configuration file (origin config) and the store (origin store)', tags: ['class5'], response: { 200: { type: 'object', properties: { tenants: { type: 'array', items: tenantView } }, required: ['tenants'] } } } }, async () => ({
    tenants: p.listTenants(),
  }));

  app.post<{ Body: TenantInput }>(
    '/api/v1/tenants',
    {
      ...common,
      bodyLimit: TENANT_BODY_BYTES,
      schema: {
        summary: 'Create a tenant (in service at once)',
        tags: ['class5'],
        body: { type: 'object', properties: { id: tenantId, domain, mainNumber: e164, voicemail: sipUri, callerIdPolicy, cos, huntGroups }, required: ['id', 'domain'], additionalProperties: false },
        response: { 201: tenantView, ...changeReplies },
      },
    },
    async (req, reply) => {
      const after = await p.createTenant(req.body);
      auditChange(req, { after });
      return reply.code(201).send(after);
    },
  );

  app.get<{ Params: { id: string } }>('/api/v1/tenants/:id', { ...common, schema: { summary: 'One tenant', tags: ['class5'], params: idParams, response: { 200: tenantView, 404: notFound } } }, async (req) => p.tenant(req.params.id));

  app.patch<{ Params: { id: string }; Body: TenantPatch }>(
    '/api/v1/tenants/:id',
    {
      ...common,
      bodyLimit: TENANT_BODY_BYTES,
      schema: {
        summary: 'Change a tenant; null clears mainNumber or voicemail. The domain changes only while the tenant has no extensions (their HA1s are bound to it).',
        tags: ['class5'],
        params: idParams,
        body: { type: 'object', properties: { domain, mainNumber: nullable(e164), voicemail: nullable(sipUri), callerIdPolicy, cos, huntGroups }, additionalProperties: false, minProperties: 1 },
        response: { 200: tenantView, ...changeReplies },
      },
    },
    async (req) => {
      const { before, after } = await p.updateTenant(req.params.id, req.body);
      auditChange(req, { before, after });
      return after;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tenants/:id',
    { ...common, schema: { summary: 'Delete a tenant with its extensions and DIDs; their registrations are dropped', tags: ['class5'], params: idParams, response: { 204: { type: 'null', description: 'Deleted' }, 404: notFound, 409: conflict } } },
    async (req, reply) => {
      const before = await p.deleteTenant(req.params.id);
      auditChange(req, { before });
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/tenants/:id/extensions',
    { ...common, schema: { summary: "A tenant's extensions (never their credentials)", tags: ['class5'], params: idParams, response: { 200: { type: 'object', properties: { extensions: { type: 'array', items: extensionView } }, required: ['extensions'] }, 404: notFound } } },
    async (req) => ({ extensions: p.extensions(req.params.id) }),
  );

  app.post<{ Params: { id: string }; Body: ExtensionInput }>(
    '/api/v1/tenants/:id/extensions',
    {
      ...common,
      bodyLimit: EXTENSION_BODY_BYTES,
      schema: {
        summary: 'Add an extension (it can register at once); give a password or its HA1s',
        tags: ['class5'],
        params: idParams,
        body: { type: 'object', properties: { number: extNumber, displayName: { type: 'string', maxLength: 128 }, password, ha1, callerId: e164, cos, maxDevices: { type: 'integer', minimum: 1, maximum: 32 }, features }, required: ['number'], additionalProperties: false },
        response: { 201: extensionView, ...changeReplies },
      },
    },
    async (req, reply) => {
      const after = await p.addExtension(req.params.id, req.body);
      auditChange(req, { after });
      return reply.code(201).send(after);
    },
  );

  app.get<{ Params: { id: string; number: string } }>('/api/v1/tenants/:id/extensions/:number', { ...common, schema: { summary: 'One extension', tags: ['class5'], params: extParams, response: { 200: extensionView, 404: notFound } } }, async (req) =>
    p.extension(req.params.id, req.params.number),
  );

  app.patch<{ Params: { id: string; number: string }; Body: ExtensionPatch }>(
    '/api/v1/tenants/:id/extensions/:number',
    {
      ...common,
      bodyLimit: EXTENSION_BODY_BYTES,
      schema: {
        summary: 'Change an extension (a new password or HA1s, display name, caller ID, class of service, devices, features); null clears',
        tags: ['class5'],
        params: extParams,
        body: { type: 'object', properties: { displayName: nullable({ type: 'string', maxLength: 128 }), password, ha1, callerId: nullable(e164), cos: nullable(cos), maxDevices: nullable({ type: 'integer', minimum: 1, maximum: 32 }), features }, additionalProperties: false, minProperties: 1 },
        response: { 200: extensionView, ...changeReplies },
      },
    },
    async (req) => {
      const { before, after } = await p.updateExtension(req.params.id, req.params.number, req.body);
      // A credential change shows as such, never its value.
      const credentialsChanged = req.body.password !== undefined || req.body.ha1 !== undefined;
      auditChange(req, { before, after: credentialsChanged ? { ...after, credentialsChanged: true } : after });
      return after;
    },
  );

  app.delete<{ Params: { id: string; number: string } }>(
    '/api/v1/tenants/:id/extensions/:number',
    { ...common, schema: { summary: 'Remove an extension: its registrations are dropped, its DIDs removed; its phones get 404 on their next REGISTER', tags: ['class5'], params: extParams, response: { 204: { type: 'null', description: 'Removed' }, 404: notFound, 409: conflict } } },
    async (req, reply) => {
      const before = await p.deleteExtension(req.params.id, req.params.number);
      auditChange(req, { before });
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/tenants/:id/dids',
    { ...common, schema: { summary: "A tenant's DIDs and what each rings", tags: ['class5'], params: idParams, response: { 200: { type: 'object', properties: { dids: { type: 'array', items: didView } }, required: ['dids'] }, 404: notFound } } },
    async (req) => ({ dids: p.dids(req.params.id) }),
  );

  app.post<{ Params: { id: string }; Body: DidInput }>(
    '/api/v1/tenants/:id/dids',
    {
      ...common,
      bodyLimit: EXTENSION_BODY_BYTES,
      schema: {
        summary: 'Deliver a DID from the PSTN to an extension or a hunt group of the tenant',
        tags: ['class5'],
        params: idParams,
        body: { type: 'object', properties: { did: didNumber, extension: extNumber, huntGroup: extNumber }, required: ['did'], additionalProperties: false },
        response: { 201: didView, ...changeReplies },
      },
    },
    async (req, reply) => {
      const after = await p.addDid(req.params.id, req.body);
      auditChange(req, { after });
      return reply.code(201).send(after);
    },
  );

  app.delete<{ Params: { id: string; did: string } }>(
    '/api/v1/tenants/:id/dids/:did',
    { ...common, schema: { summary: 'Stop delivering a DID to the tenant', tags: ['class5'], params: didParams, response: { 204: { type: 'null', description: 'Removed' }, 404: notFound, 409: conflict } } },
    async (req, reply) => {
      const before = await p.deleteDid(req.params.id, req.params.did);
      auditChange(req, { before });
      return reply.code(204).send();
    },
  );
}
