/**
 * The admin API as the switch builds it, on a real routing engine with the sample decks and a
 * fresh data directory, with one token per role and every log line captured.
 */
import { Registry } from 'prom-client';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createApiServer, type ApiSources } from '../../src/api/server.js';
import { lcrRoutes } from '../../src/api/routes-lcr.js';
import { cdrRoutes } from '../../src/api/routes-cdrs.js';
import { openDatabase } from '../../src/store/database.js';
import { CdrStore } from '../../src/store/cdr-store.js';
import { apiConfigSchema } from '../../src/api/config.js';
import { createToken, hashToken, ROLES, type Role } from '../../src/api/tokens.js';
import { RoutingEngine } from '../../src/class4/routing/engine.js';
import { DeckVersions } from '../../src/class4/routing/deck-versions.js';
import { DeckVersionStore } from '../../src/store/deck-versions.js';
import { SqliteTenantRepository } from '../../src/store/sqlite-tenants.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { TenantProvisioning } from '../../src/class5/provisioning.js';
import { Registrar } from '../../src/class5/registrar.js';
import { tenantRoutes } from '../../src/api/routes-tenants.js';
import { systemClock } from '../../src/util/clock.js';
import { tenantSchema, type TenantConfig } from '../../src/class5/config.js';

export const TOKENS: Record<Role, string> = { 'read-only': createToken(), operator: createToken(), admin: createToken() };
export const tokenEntries = ROLES.map((role) => ({ name: `${role}-user`, role, hash: hashToken(TOKENS[role]) }));
export const bearer = (role: Role) => ({ authorization: `Bearer ${TOKENS[role]}` });

/** A JSON change route of the kind other plugins add (the lab's are like it), with no access declared. */
async function jsonPlugin(app: FastifyInstance): Promise<void> {
  app.post(
    '/api/v1/test/echo',
    {
      schema: {
        summary: 'Test-only JSON change route',
        body: { type: 'object', properties: { note: { type: 'string', maxLength: 100 } }, required: ['note'], additionalProperties: false },
        response: { 200: { type: 'object', properties: { note: { type: 'string' } } } },
      },
    },
    async (req) => ({ note: (req.body as { note: string }).note }),
  );
  app.delete('/api/v1/test/things/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string' } } }, response: { 204: { type: 'null' } } } }, async (_req, reply) => reply.code(204).send());
}

export interface TestApi {
  app: FastifyInstance;
  engine: RoutingEngine;
  versions: DeckVersions;
  dataDir: string;
  /** Tenant provisioning over the test's SQLite store, with one configuration-file tenant "filed" (filed.example). */
  provisioning: TenantProvisioning;
  directory: TenantDirectory;
  registrar: Registrar;
  /** Every line the process logger wrote (JSON text). */
  lines: string[];
  close(): Promise<void>;
}

export interface TestApiOptions {
  lab?: boolean;
  /** Configure the three tokens (default true). */
  tokens?: boolean;
  api?: Record<string, unknown>;
  logLevel?: string;
  sources?: Partial<ApiSources>;
}

export async function buildApi(opts: TestApiOptions = {}): Promise<TestApi> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ssw-api-'));
  const engine = await RoutingEngine.load({}, { dataDir });
  const db = openDatabase(join(dataDir, 'softswitch.sqlite'));
  const versions = new DeckVersions({ engine, store: new DeckVersionStore(db), dataDir });
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const configTenants: TenantConfig[] = [tenantSchema.parse({ id: 'filed', domain: 'filed.example', extensions: [{ number: '100', password: 'filed-secret' }], dids: [{ did: '2125550900', extension: '100' }] })];
  const directory = new TenantDirectory({ tenants: configTenants });
  const registrar = new Registrar({ clock: systemClock, minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 3600, maxContactsPerAor: 5 });
  const provisioning = new TenantProvisioning({ repo: new SqliteTenantRepository(db), directory, configTenants, clock: systemClock, logger, dropRegistrations: (t, aor) => registrar.drop(t, aor) });
  await provisioning.load();
  const config = apiConfigSchema.parse({ ...(opts.tokens === false ? {} : { tokens: tokenEntries }), ...opts.api });
  const app = await createApiServer({
    logger,
    registry: new Registry(),
    config,
    lab: opts.lab ?? false,
    dataDir,
    logLevel: opts.logLevel,
    health: () => ({ store: true }),
    plugins: [(a) => lcrRoutes(a, { engine, maxDeckBytes: config.limits.deckBytes, versions }), (a) => cdrRoutes(a, { cdrs: new CdrStore(openDatabase(join(dataDir, 'cdrs.sqlite'))) }), (a) => tenantRoutes(a, { provisioning }), jsonPlugin],
    ...opts.sources,
  });
  await app.ready();
  return {
    app,
    engine,
    versions,
    dataDir,
    provisioning,
    directory,
    registrar,
    lines,
    async close() {
      registrar.close();
      await app.close();
      await engine.close();
      db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A URL that reaches the route's handler: path parameters and required query filled in. */
export function urlFor(url: string): string {
  const path = url.replace(':carrier', 'ixc-b').replace(/:([A-Za-z0-9_]+)/g, 'x1');
  return path === '/api/v1/routes/lookup' ? `${path}?number=12125550150` : path;
}

/** A body the route accepts, with its content type. */
export function bodyFor(method: string, url: string): { payload?: string; headers: Record<string, string> } {
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return { headers: {} };
  if (url.endsWith('/activate') || url.endsWith('/rollback')) return { payload: '{}', headers: { 'content-type': 'application/json' } };
  if (url.startsWith('/api/v1/routes/decks/')) return { payload: 'prefix,interstate\n1212,0.004\n', headers: { 'content-type': 'text/csv' } };
  return { payload: JSON.stringify({ note: 'x' }), headers: { 'content-type': 'application/json' } };
}
