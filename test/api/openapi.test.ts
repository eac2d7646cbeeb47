import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, bearer, type TestApi } from './app.js';

interface Operation {
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean; schema: unknown }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content: Record<string, { schema: unknown }> }>;
  security: unknown[];
  'x-required-role': string;
}

let t: TestApi;
let doc: { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };
beforeAll(async () => {
  t = await buildApi();
  const r = await t.app.inject({ url: '/api/v1/openapi.json', headers: bearer('read-only') });
  expect(r.statusCode).toBe(200);
  doc = r.json();
});
afterAll(() => t.close());

describe('OpenAPI document at GET /api/v1/openapi.json', () => {
  it('is OpenAPI 3.1 with a bearer security scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: 'v1' });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('has every registered route, with its parameters, body and replies from the route schemas', () => {
    const routes = t.app.apiRoutes.filter((r) => r.method !== 'HEAD');
    const ids = new Set<string>();
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      const what = `${route.method} ${route.url}`;
      expect(op, what).toBeDefined();
      expect(ids.has(op.operationId), `${what}: operationId unique`).toBe(false);
      ids.add(op.operationId);
      // Every route documents a success reply with a schema.
      const success = Object.entries(op.responses).filter(([code]) => code.startsWith('2'));
      expect(success.length, `${what}: a 2xx reply`).toBeGreaterThan(0);
      for (const [, r] of success) expect(Object.values(r.content)[0].schema, what).toBeDefined();
      // Path parameters documented, one per :name in the URL.
      const pathParams = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
      expect(op.parameters.filter((p) => p.in === 'path').map((p) => p.name).sort(), what).toEqual(pathParams.sort());
      expect(op.parameters.every((p) => p.schema !== undefined), what).toBe(true);
      // The guards' replies on every protected route; the role it needs.
      expect(op['x-required-role'], what).toBe(route.access);
      if (route.access === 'public') expect(op.security).toEqual([]);
      else {
        expect(op.security, what).toEqual([{ bearerAuth: [] }]);
        expect(Object.keys(op.responses), what).toEqual(expect.arrayContaining(['401', '403']));
      }
      if (route.method === 'POST') {
        expect(op.requestBody, what).toBeDefined();
        expect(Object.keys(op.responses), what).toEqual(expect.arrayContaining(['413', '415']));
      }
    }
    expect(Object.keys(doc.paths).length).toBe(new Set(routes.map((r) => r.url)).size);
  });

  it('documents the routes of src/api in detail', () => {
    const deck = doc.paths['/api/v1/routes/decks/{carrier}'].post;
    expect(Object.keys(deck.requestBody!.content)).toEqual(['text/csv']);
    expect(deck['x-required-role']).toBe('admin');
    expect(Object.keys(deck.responses)).toEqual(expect.arrayContaining(['200', '404', '422']));
    const lookup = doc.paths['/api/v1/routes/lookup'].get;
    expect(lookup.parameters.find((p) => p.name === 'number')).toMatchObject({ in: 'query', required: true });
    expect(lookup.parameters.find((p) => p.name === 'caller')).toMatchObject({ in: 'query', required: false });
    expect(Object.keys(doc.paths['/api/v1/routes/export'].get.responses['200'].content)).toEqual(['text/csv']);
    expect(doc.paths['/api/v1/cdrs'].get.parameters.map((p) => p.name)).toEqual(['limit', 'after']);
    expect(doc.paths['/healthz'].get.responses).toHaveProperty('503');
    // Every route this API registers itself carries schemas (plugins' routes are checked above).
    for (const r of t.app.apiRoutes.filter((x) => !x.url.startsWith('/api/v1/test/'))) expect(r.schema?.response, `${r.method} ${r.url}`).toBeDefined();
  });
});

describe('response schemas', () => {
  it('validate queries (400) and do not drop fields from what the engine returns', async () => {
    expect((await t.app.inject({ url: '/api/v1/routes/lookup', headers: bearer('read-only') })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/cdrs?limit=0', headers: bearer('read-only') })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/cdrs?limit=abc', headers: bearer('read-only') })).json().code).toBe('FST_ERR_VALIDATION');
    for (const q of [{ number: '3125550123', caller: '6175551111', at: '2026-03-04T17:00:00Z' }, { number: '19005551234' }, { number: '4420712345678' }] as Array<Record<string, string>>) {
      const served = (await t.app.inject({ url: `/api/v1/routes/lookup?${new URLSearchParams(q)}`, headers: bearer('read-only') })).json();
      const direct = JSON.parse(JSON.stringify(t.engine.lookup({ called: q.number, calling: q.caller, at: q.at ? new Date(q.at) : undefined })));
      delete served.at;
      delete direct.at;
      expect(served).toEqual(direct);
    }
    const stats = (await t.app.inject({ url: '/api/v1/routes/stats', headers: bearer('read-only') })).json();
    expect(Object.keys(stats).sort()).toEqual(Object.keys(JSON.parse(JSON.stringify(t.engine.stats()))).sort());
  });
});
