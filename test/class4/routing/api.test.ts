import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lcrRoutes } from '../../../src/api/routes-lcr.js';
import { RoutingEngine } from '../../../src/class4/routing/engine.js';

let dir: string;
let app: FastifyInstance;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lcr-api-'));
  const engine = await RoutingEngine.load({}, { dataDir: dir });
  app = Fastify();
  await lcrRoutes(app, { engine });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

describe('LCR admin API', () => {
  it('GET lookup returns the full decision', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/routes/lookup?number=3125550123&caller=6175551111&at=2026-03-04T17:00:00Z' });
    expect(r.statusCode).toBe(200);
    const d = r.json();
    expect(d).toMatchObject({ lrn: '6175550000', portedNumber: '13125550123', jurisdiction: 'intrastate', matchedPrefix: '1617' });
    expect(d.candidates.map((c: { carrier: string }) => c.carrier)).toEqual(['ixc-b', 'ilec-tandem']);
    expect((await app.inject({ url: '/api/v1/routes/lookup' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/v1/routes/lookup?number=2125551234&at=yesterday' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/v1/routes/lookup?number=19005551234' })).json().blocked).toMatch(/premium/);
  });

  it('POST a deck: 422 with bad rows, 200 with counts, 404 for an unknown carrier', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', headers: { 'content-type': 'text/csv' }, payload: 'prefix,interstate\n1212,0.004\n12x3,0.004\n' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ ok: false, errorCount: 1, errors: [{ line: 3 }] });
    const good = await app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', headers: { 'content-type': 'text/csv' }, payload: 'prefix,interstate\n1212,0.004\n4420,0.008\n' });
    expect(good.statusCode).toBe(200);
    expect(good.json()).toMatchObject({ ok: true, rows: 2 });
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/routes/decks/nope', headers: { 'content-type': 'text/csv' }, payload: 'prefix,interstate\n1,1\n' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('SSW_ERR_UNKNOWN_CARRIER');
  });

  it('GET export returns the active table as CSV, and stats its size', async () => {
    const r = await app.inject({ url: '/api/v1/routes/export?carrier=ixc-b' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/csv/);
    expect(r.body).toBe('carrier,prefix,interstate,intrastate,indeterminate,effective\nixc-b,1212,0.004,0.004,0.004,1970-01-01\nixc-b,4420,0.008,0.008,0.008,1970-01-01\n');
    const s = (await app.inject({ url: '/api/v1/routes/stats' })).json();
    expect(s.carriers.map((c: { id: string }) => c.id)).toEqual(['ilec-tandem', 'ixc-b']);
    expect(s.reloads).toBe(1);
  });
});
