/**
 * SIP trunk customers and their DIDs (class4/trunks/trunk-provisioning.ts), in service at once
 * without a restart (and, on a PostgreSQL store, at the other nodes as soon as they hear the NOTIFY):
 *   GET|POST          /api/v1/trunk-customers
 *   GET|PATCH|DELETE  /api/v1/trunk-customers/:id
 *   GET|POST          /api/v1/trunk-customers/:id/dids
 *   DELETE            /api/v1/trunk-customers/:id/dids/:number   (a number, or the first of a range)
 * Reads need read-only, changes operator (the default of every route); every change is audited
 * with its before/after. Customers of the configuration file are listed with origin "config" and
 * refuse changes (409 SSW_ERR_TRUNK_CUSTOMER_READ_ONLY): the file wins.
 */
import type { FastifyInstance } from 'fastify';
import type { TrunkCustomerInput, TrunkCustomerPatch, TrunkDidInput, TrunkProvisioning } from '../class4/trunks/trunk-provisioning.js';
import { auditChange } from './audit.js';
import { bodyReplies, errorReply, openObject } from './schemas.js';
import { namedFieldErrors } from './routes-tenants.js';

/** A customer with a few hundred prefixes, or one DID with its targets. */
export const TRUNK_CUSTOMER_BODY_BYTES = 64 * 1024;
export const TRUNK_DID_BODY_BYTES = 16 * 1024;

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const nullable = (s: Record<string, unknown>) => ({ anyOf: [s, { type: 'null' }] });

const customerId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Letters, digits, dot, dash, underscore; at most 64' } as const;
const source = { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}(/\\d{1,2})?$', description: 'IPv4 address or CIDR prefix the trunk sends from' } as const;
const sources = { type: 'array', items: source, minItems: 1, maxItems: 1024 } as const;
const digits = { type: 'string', pattern: '^\\d{1,20}$' } as const;
const limits = {
  type: 'object',
  description: 'Toll-fraud limits (as trunkCustomers[].limits of the configuration); a PATCH merges them into those in force',
  properties: {
    callsPerSecond: { type: 'number', minimum: 0 },
    spendPerHour: { type: 'number', minimum: 0 },
    spendPerDay: { type: 'number', minimum: 0 },
    allowHighRisk: { type: 'boolean' },
    allowPremium: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;
const customerFields = {
  name: { type: 'string', maxLength: 128 },
  sources,
  routingCustomer: { type: 'string', minLength: 1, maxLength: 64, description: 'Routing customer (routing.customers); routing.defaultCustomer when absent' },
  maxCalls: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  unreachableCause: { type: 'integer', enum: [34, 20] },
  limits,
} as const;
const target = {
  type: 'object',
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 253 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    transport: { type: 'string', enum: ['udp', 'tcp', 'tls'] },
    weight: { type: 'number', exclusiveMinimum: 0 },
  },
  required: ['host'],
  additionalProperties: false,
} as const;

const limitsView = openObject({ callsPerSecond: { type: 'number' }, spendPerHour: { type: 'number' }, spendPerDay: { type: 'number' }, allowHighRisk: { type: 'boolean' }, allowPremium: { type: 'boolean' } });
const customerView = openObject(
  { id: str, name: str, origin: { type: 'string', enum: ['config', 'store'] }, sources: { type: 'array', items: str }, routingCustomer: str, maxCalls: int, unreachableCause: int, limits: limitsView, dids: int, createdAt: str, updatedAt: str },
  { required: ['id', 'origin', 'sources', 'maxCalls', 'dids'] },
);
const didView = openObject(
  {
    customer: str,
    origin: { type: 'string', enum: ['config', 'store'] },
    number: str,
    range: openObject({ from: str, to: str }),
    targets: { type: 'array', items: openObject({ host: str, port: int, transport: str, weight: { type: 'number' } }) },
    selection: str,
    deliverAs: str,
    createdAt: str,
  },
  { required: ['customer', 'origin', 'number', 'targets'] },
);

const notFound = { ...errorReply, description: 'No such trunk customer or DID (SSW_ERR_TRUNK_CUSTOMER_NOT_FOUND)' };
const conflict = { ...errorReply, description: 'An id, source prefix or DID is taken (SSW_ERR_TRUNK_CUSTOMER_CONFLICT) or the customer comes from the configuration file (SSW_ERR_TRUNK_CUSTOMER_READ_ONLY)' };
const invalid = { ...errorReply, description: 'The body does not match the schema, or a field is not valid (SSW_ERR_TRUNK_CUSTOMER_INVALID); the message names the field' };
const changeReplies = { ...bodyReplies, 400: invalid, 404: notFound, 409: conflict };

const idParams = { type: 'object', properties: { id: customerId }, required: ['id'], additionalProperties: false } as const;
const didParams = { type: 'object', properties: { id: customerId, number: digits }, required: ['id', 'number'], additionalProperties: false } as const;

export async function trunkCustomerRoutes(app: FastifyInstance, opts: { provisioning: TrunkProvisioning }): Promise<void> {
  const p = opts.provisioning;
  const common = { schemaErrorFormatter: namedFieldErrors };
  const tags = ['class4'];

  app.get('/api/v1/trunk-customers', { ...common, schema: { summary: 'SIP trunk customers, from the configuration file (origin config) and the store (origin store)', tags, response: { 200: { type: 'object', properties: { customers: { type: 'array', items: customerView } }, required: ['customers'] } } } }, async () => ({
    customers: p.list(),
  }));

  app.post<{ Body: TrunkCustomerInput }>(
    '/api/v1/trunk-customers',
    {
      ...common,
      bodyLimit: TRUNK_CUSTOMER_BODY_BYTES,
      schema: {
        summary: 'Create a trunk customer: INVITEs from its sources are admitted at once',
        tags,
        body: { type: 'object', properties: { id: customerId, ...customerFields }, required: ['id', 'sources'], additionalProperties: false },
        response: { 201: customerView, ...changeReplies },
      },
    },
    async (req, reply) => {
      const after = await p.createCustomer(req.body);
      auditChange(req, { after });
      return reply.code(201).send(after);
    },
  );

  app.get<{ Params: { id: string } }>('/api/v1/trunk-customers/:id', { ...common, schema: { summary: 'One trunk customer', tags, params: idParams, response: { 200: customerView, 404: notFound } } }, async (req) => p.customer(req.params.id));

  app.patch<{ Params: { id: string }; Body: TrunkCustomerPatch }>(
    '/api/v1/trunk-customers/:id',
    {
      ...common,
      bodyLimit: TRUNK_CUSTOMER_BODY_BYTES,
      schema: {
        summary: 'Change a trunk customer (sources replace the list, limits merge); null clears name or routingCustomer',
        tags,
        params: idParams,
        body: {
          type: 'object',
          properties: { ...customerFields, name: nullable(customerFields.name), routingCustomer: nullable(customerFields.routingCustomer) },
          additionalProperties: false,
          minProperties: 1,
        },
        response: { 200: customerView, ...changeReplies },
      },
    },
    async (req) => {
      const { before, after } = await p.updateCustomer(req.params.id, req.body);
      auditChange(req, { before, after });
      return after;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/trunk-customers/:id',
    { ...common, schema: { summary: 'Delete a trunk customer and its DIDs; its next INVITE is refused as from an unknown source (calls up now continue)', tags, params: idParams, response: { 204: { type: 'null', description: 'Deleted' }, 404: notFound, 409: conflict } } },
    async (req, reply) => {
      const before = await p.deleteCustomer(req.params.id);
      auditChange(req, { before });
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/trunk-customers/:id/dids',
    { ...common, schema: { summary: "A trunk customer's DIDs and where calls to them go", tags, params: idParams, response: { 200: { type: 'object', properties: { dids: { type: 'array', items: didView } }, required: ['dids'] }, 404: notFound } } },
    async (req) => ({ dids: p.didsOf(req.params.id) }),
  );

  app.post<{ Params: { id: string }; Body: TrunkDidInput }>(
    '/api/v1/trunk-customers/:id/dids',
    {
      ...common,
      bodyLimit: TRUNK_DID_BODY_BYTES,
      schema: {
        summary: 'Give the customer a DID (one number or an inclusive range): PSTN calls to it go to its targets at once',
        tags,
        params: idParams,
        body: {
          type: 'object',
          properties: {
            number: digits,
            range: { type: 'object', properties: { from: digits, to: digits }, required: ['from', 'to'], additionalProperties: false },
            targets: { type: 'array', items: target, minItems: 1, maxItems: 32 },
            selection: { type: 'string', enum: ['ordered', 'weighted'] },
            deliverAs: { type: 'string', enum: ['national', 'e164'] },
          },
          required: ['targets'],
          additionalProperties: false,
        },
        response: { 201: didView, ...changeReplies },
      },
    },
    async (req, reply) => {
      const after = await p.addDid(req.params.id, req.body);
      auditChange(req, { after });
      return reply.code(201).send(after);
    },
  );

  app.delete<{ Params: { id: string; number: string } }>(
    '/api/v1/trunk-customers/:id/dids/:number',
    { ...common, schema: { summary: 'Take a DID (the number, or the first of its range) from the customer', tags, params: didParams, response: { 204: { type: 'null', description: 'Removed' }, 404: notFound, 409: conflict } } },
    async (req, reply) => {
      const before = await p.deleteDid(req.params.id, req.params.number);
      auditChange(req, { before });
      return reply.code(204).send();
    },
  );
}
