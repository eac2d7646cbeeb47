import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { buildApi, bearer, bodyFor, TOKENS, urlFor, type TestApi } from './app.js';
import { createToken, roleAtLeast, ROLES, TokenVerifier, hashToken, bearerToken, type Role } from '../../src/api/tokens.js';
import { installSecurity } from '../../src/api/security.js';
import { silentLogger } from '../../src/util/log.js';

/**
 * What each route needs, written here independently of the routes: reads read-only, changes
 * operator, and these exceptions. A new route gets the default for its method; a new admin or
 * public route must be added here, or this test fails.
 */
const ADMIN = new Set([
  'POST /api/v1/routes/decks/:carrier',
  'POST /api/v1/routes/decks/:carrier/versions',
  'POST /api/v1/routes/decks/versions/:id/activate',
  'POST /api/v1/routes/decks/:carrier/rollback',
  'GET /api/v1/audit',
  'HEAD /api/v1/audit',
]);
const PUBLIC = new Set(['GET /healthz', 'HEAD /healthz']);

function expectedAccess(method: string, url: string): Role | 'public' {
  const key = `${method} ${url}`;
  // The console's static files carry no data: the pages read the API with the operator's token.
  if (PUBLIC.has(key) || ((method === 'GET' || method === 'HEAD') && (url === '/console' || url.startsWith('/console/')))) return 'public';
  if (ADMIN.has(key)) return 'admin';
  return method === 'GET' || method === 'HEAD' ? 'read-only' : 'operator';
}

describe('admin API tokens and roles, route by route', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await buildApi();
  });
  afterAll(() => t.close());

  it('knows every route (the iteration below covers plugins too)', () => {
    const keys = t.app.apiRoutes.map((r) => `${r.method} ${r.url}`);
    expect(keys).toEqual(expect.arrayContaining(['GET /healthz', 'GET /metrics', 'GET /api/v1/cdrs', 'POST /api/v1/routes/decks/:carrier', 'POST /api/v1/test/echo', 'DELETE /api/v1/test/things/:id', 'GET /api/v1/openapi.json']));
    expect(keys.length).toBeGreaterThan(20);
  });

  it('each route: 401 without a token, with an unknown token and with a malformed header; 403 below its role; served at its role', async () => {
    const checked: string[] = [];
    for (const route of t.app.apiRoutes) {
      const access = expectedAccess(route.method, route.url);
      expect(route.access, `${route.method} ${route.url}`).toBe(access);
      const method = route.method as 'GET' | 'HEAD' | 'POST' | 'DELETE';
      const url = urlFor(route.url);
      const { payload, headers } = bodyFor(route.method, route.url);
      const send = (extra: Record<string, string>) => t.app.inject({ method, url, payload, headers: { ...headers, ...extra } });
      const what = `${route.method} ${route.url}`;
      if (access === 'public') {
        expect((await send({})).statusCode, what).toBeLessThan(400);
        continue;
      }
      const none = await send({});
      expect(none.statusCode, what).toBe(401);
      expect(none.headers['www-authenticate'], what).toMatch(/^Bearer realm="softswitch"/);
      if (method !== 'HEAD') expect(none.json().code, what).toBe('SSW_ERR_API_UNAUTHENTICATED');
      expect((await send({ authorization: `Bearer ${createToken()}` })).statusCode, what).toBe(401);
      expect((await send({ authorization: `Basic ${Buffer.from(`x:${TOKENS.admin}`).toString('base64')}` })).statusCode, what).toBe(401);
      expect((await send({ authorization: `Bearer ${TOKENS.admin}x` })).statusCode, what).toBe(401);
      for (const role of ROLES) {
        const r = await send(bearer(role));
        if (roleAtLeast(role, access)) expect([401, 403], `${what} as ${role}: ${r.body}`).not.toContain(r.statusCode);
        else {
          expect(r.statusCode, `${what} as ${role}`).toBe(403);
          if (method !== 'HEAD') expect(r.json().code).toBe('SSW_ERR_API_FORBIDDEN');
        }
      }
      checked.push(what);
    }
    expect(checked).toContain('POST /api/v1/routes/decks/:carrier');
    expect(checked).toContain('DELETE /api/v1/test/things/:id');
  });

  it('unknown URLs need a token too (no route enumeration)', async () => {
    expect((await t.app.inject({ url: '/api/v1/nope' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/nope', headers: bearer('read-only') })).statusCode).toBe(404);
  });

  it('over a real socket, the bearer token is what lets a request through', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as { port: number };
    const get = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/api/v1/routes/stats', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    expect(await get({})).toBe(401);
    expect(await get(bearer('read-only'))).toBe(200);
  });
});

describe('route access can only be raised', () => {
  for (const [method, access] of [['POST', 'read-only'], ['POST', 'public'], ['DELETE', 'public']] as const) {
    it(`a ${method} route declared ${access} is refused at registration`, async () => {
      const app = Fastify();
      installSecurity(app, { verifier: new TokenVerifier([]), log: silentLogger });
      expect(() => app.route({ method, url: '/x', config: { access }, handler: async () => ({}) })).toThrow(/too weak/);
      await app.close();
    });
  }
});

describe('without tokens', () => {
  it('production on loopback refuses every request but /healthz (fail closed) and says so', async () => {
    const t = await buildApi({ tokens: false });
    try {
      expect(t.lines.join('')).toMatch(/no api\.tokens configured/);
      expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/api/v1/calls' })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/api/v1/calls', headers: bearer('admin') })).statusCode).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('the lab profile on loopback runs with authentication off, says so, and answers only loopback Host names', async () => {
    const t = await buildApi({ lab: true, tokens: false });
    try {
      const line = t.lines.map((l) => JSON.parse(l)).find((l) => /authentication is OFF/.test(l.msg));
      expect(line).toMatchObject({ component: 'api', level: 40, host: '127.0.0.1' });
      for (const route of t.app.apiRoutes) {
        const { payload, headers } = bodyFor(route.method, route.url);
        const r = await t.app.inject({ method: route.method as 'GET', url: urlFor(route.url), payload, headers });
        expect([401, 403], `${route.method} ${route.url}: ${r.body}`).not.toContain(r.statusCode);
      }
      // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1.
      for (const host of ['evil.example:8080', 'evil.example', '10.0.0.1:8080']) {
        const r = await t.app.inject({ url: '/api/v1/cdrs', headers: { host } });
        expect(r.statusCode, host).toBe(403);
        expect(r.json().code).toBe('SSW_ERR_API_CROSS_SITE');
      }
      for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'localhost']) expect((await t.app.inject({ url: '/api/v1/routes/stats', headers: { host } })).statusCode, host).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('the lab profile with tokens configured requires them', async () => {
    const t = await buildApi({ lab: true });
    try {
      expect((await t.app.inject({ url: '/api/v1/calls' })).statusCode).toBe(401);
      expect(t.lines.join('')).not.toMatch(/authentication is OFF/);
    } finally {
      await t.close();
    }
  });
});

describe('tokens', () => {
  it('are checked against salted SHA-256 hashes; the same token hashes differently each time', () => {
    const token = createToken();
    expect(token).toMatch(/^ssw_[A-Za-z0-9_-]{43}$/);
    const a = hashToken(token);
    expect(a).not.toBe(hashToken(token));
    expect(a).not.toContain(token.slice(4));
    const v = new TokenVerifier([{ name: 'ops', role: 'operator', hash: a }, { name: 'other', role: 'admin', hash: hashToken(createToken()) }]);
    expect(v.verify(token)).toEqual({ name: 'ops', role: 'operator' });
    expect(v.verify(token + 'x')).toBeUndefined();
    expect(v.verify('')).toBeUndefined();
    expect(v.verify('x'.repeat(10_000))).toBeUndefined();
  });

  it('are read from "Authorization: Bearer" only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
