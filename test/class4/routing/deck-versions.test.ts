/**
 * Rate deck versions through the admin API as the switch mounts it (tokens, audit, the deck
 * worker, the SQLite store): import with a validation report, list, show, diff, activate, roll
 * back, and the refusals (401/403 by role, 404, 409, junk refused early).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildApi, type TestApi } from '../../api/app.js';

const NOON = '2026-03-04T17:00:00Z';
const V1 = 'prefix,interstate,intrastate\n1212,0.004,0.005\n1213,0.006,0.006\n4420,0.008,0.008\n';
const V2 = 'prefix,interstate,intrastate\n1212,0.003,0.005\n1214,0.007,0.007\n4420,0.008,0.008\n';

let t: TestApi;
beforeAll(async () => {
  t = await buildApi();
});
afterAll(() => t.close());

const importDeck = (body: string | Buffer, role: 'admin' | 'operator' | 'read-only' | null = 'admin', carrier = 'ixc-b') =>
  t.app.inject({ method: 'POST', url: `/api/v1/routes/decks/${carrier}/versions`, payload: body, headers: { 'content-type': 'text/csv', ...(role ? bearer(role) : {}) } });
const get = (url: string, role: 'admin' | 'operator' | 'read-only' | null = 'read-only') => t.app.inject({ url, headers: role ? bearer(role) : {} });
const post = (url: string, role: 'admin' | 'operator' | 'read-only' | null = 'admin', body: unknown = {}) =>
  t.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(role ? bearer(role) : {}) } });
const rateOf = (number: string, carrier: string) => {
  const d = t.engine.lookup({ called: number, at: new Date(NOON) });
  return d.candidates.find((c) => c.carrier === carrier);
};

describe('rate deck versions over the admin API', () => {
  let v1 = 0;
  let v2 = 0;

  it('imports store versions with a validation report and do not change routing until activated', async () => {
    const before = rateOf('12125551234', 'ixc-b');
    const a = await importDeck(V1);
    expect(a.statusCode).toBe(201);
    expect(a.json().version).toMatchObject({ carrier: 'ixc-b', status: 'valid', rowCount: 3, accepted: 3, rejected: 0, active: false, createdBy: 'admin-user', report: { errors: [] } });
    v1 = a.json().version.id;
    const b = await importDeck(V2);
    v2 = b.json().version.id;
    expect(v2).toBeGreaterThan(v1);
    expect(rateOf('12125551234', 'ixc-b')).toEqual(before);

    const bad = await importDeck('prefix,interstate\n1212,0.004\n12x3,0.004\n1215,abc\n');
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ ok: false, code: 'SSW_ERR_RATE_DECK_INVALID', errorCount: 2, errors: [{ line: 3 }, { line: 4, message: expect.stringMatching(/interstate rate "abc"/) }] });
    const badId = bad.json().version.id;
    const shown = await get(`/api/v1/routes/decks/versions/${badId}`);
    expect(shown.json()).toMatchObject({ id: badId, status: 'rejected', accepted: 1, rejected: 2, report: { errors: [{ line: 3 }, { line: 4 }] } });
    expect(shown.json().file).toBeUndefined();

    const list = await get('/api/v1/routes/decks/ixc-b/versions');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ carrier: 'ixc-b', activeVersion: null });
    expect(list.json().versions.map((v: { id: number }) => v.id)).toEqual([badId, v2, v1]);
  });

  it('refuses junk early, stores it as rejected, and answers 415 for binary', async () => {
    const junk = 'prefix,interstate\n' + 'lorem ipsum dolor sit amet,consectetur\n'.repeat(50_000);
    const r = await importDeck(junk);
    expect(r.statusCode).toBe(422);
    expect(r.json().stoppedAtLine).toBeLessThan(1000);
    expect(r.json().version).toMatchObject({ status: 'rejected' });
    expect(r.json().version.rowCount).toBeLessThan(1000);
    const bin = await importDeck(Buffer.from([0x70, 0x72, 0xff, 0xfe, 0x00, 0x01, 0x0a]));
    expect(bin.statusCode).toBe(415);
    expect(bin.json()).toMatchObject({ code: 'SSW_ERR_API_MEDIA_TYPE', version: { status: 'rejected' } });
  });

  it('diffs two versions: counts and the rows', async () => {
    const r = await get(`/api/v1/routes/decks/diff?from=${v1}&to=${v2}`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      from: v1,
      to: v2,
      counts: { added: 1, removed: 1, changed: 1, unchanged: 1 },
      added: [{ prefix: '1214', after: { interstate: '0.007' } }],
      removed: [{ prefix: '1213', before: { interstate: '0.006' } }],
      changed: [{ prefix: '1212', before: { interstate: '0.004' }, after: { interstate: '0.003' } }],
      truncated: false,
    });
    expect((await get(`/api/v1/routes/decks/diff?from=${v1}&to=999999`)).statusCode).toBe(404);
  });

  it('activates, rolls back through history, and refuses what cannot be done', async () => {
    const a1 = await post(`/api/v1/routes/decks/versions/${v1}/activate`, 'admin', { reason: 'first carrier deck' });
    expect(a1.statusCode).toBe(200);
    expect(a1.json()).toMatchObject({ version: { id: v1, active: true }, previousVersionId: null, activation: { kind: 'activate', activatedBy: 'admin-user' } });
    expect(rateOf('12125551234', 'ixc-b')?.rate).toBe(0.004);
    const a2 = await post(`/api/v1/routes/decks/versions/${v2}/activate`);
    expect(a2.json()).toMatchObject({ previousVersionId: v1 });
    expect(rateOf('12125551234', 'ixc-b')?.rate).toBe(0.003);
    expect((await get('/api/v1/routes/decks/ixc-b/versions')).json().activeVersion).toBe(v2);

    const back = await post('/api/v1/routes/decks/ixc-b/rollback');
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ version: { id: v1 }, previousVersionId: v2, activation: { kind: 'rollback' } });
    expect(rateOf('12125551234', 'ixc-b')?.rate).toBe(0.004);
    const none = await post('/api/v1/routes/decks/ixc-b/rollback');
    expect(none.statusCode).toBe(409);
    expect(none.json().code).toBe('SSW_ERR_DECK_NO_ROLLBACK');

    const rejected = (await get('/api/v1/routes/decks/ixc-b/versions')).json().versions.find((v: { status: string }) => v.status === 'rejected');
    const r = await post(`/api/v1/routes/decks/versions/${rejected.id}/activate`);
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('SSW_ERR_DECK_VERSION_REJECTED');
    expect((await post('/api/v1/routes/decks/versions/999999/activate')).statusCode).toBe(404);
    expect((await post('/api/v1/routes/decks/nope/rollback')).statusCode).toBe(404);
    expect((await get('/api/v1/routes/decks/nope/versions')).statusCode).toBe(404);
  });

  it('needs a token for every route, read-only to read and admin to change', async () => {
    const reads = [`/api/v1/routes/decks/ixc-b/versions`, `/api/v1/routes/decks/versions/${v1}`, `/api/v1/routes/decks/diff?from=${v1}&to=${v2}`];
    for (const url of reads) {
      expect((await get(url, null)).statusCode, url).toBe(401);
      expect((await get(url, 'read-only')).statusCode, url).toBe(200);
    }
    expect((await importDeck(V1, null)).statusCode).toBe(401);
    expect((await importDeck(V1, 'operator')).statusCode).toBe(403);
    expect((await importDeck(V1, 'read-only')).statusCode).toBe(403);
    for (const url of [`/api/v1/routes/decks/versions/${v2}/activate`, '/api/v1/routes/decks/ixc-b/rollback']) {
      expect((await post(url, null)).statusCode, url).toBe(401);
      expect((await post(url, 'read-only')).statusCode, url).toBe(403);
      expect((await post(url, 'operator')).statusCode, url).toBe(403);
    }
  });

  it('writes every change to the audit log with before and after', async () => {
    const audit = (await get('/api/v1/audit?limit=100', 'admin')).json().entries as Array<{ route: string; status: number; before?: unknown; after?: { activeVersion?: number; reason?: string } }>;
    const activations = audit.filter((e) => e.route === '/api/v1/routes/decks/versions/:id/activate' && e.status === 200);
    expect(activations[0]).toMatchObject({ before: { activeVersion: null }, after: { activeVersion: v1, reason: 'first carrier deck' } });
    expect(audit.some((e) => e.route === '/api/v1/routes/decks/:carrier/rollback' && e.status === 200)).toBe(true);
    expect(audit.filter((e) => e.route === '/api/v1/routes/decks/:carrier/versions' && e.status === 201).length).toBeGreaterThanOrEqual(2);
  });

  it('the historical import route still imports and activates, now as a stored version', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: V2, headers: { 'content-type': 'text/csv', ...bearer('admin') } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ ok: true, carrier: 'ixc-b', rows: 3, version: expect.any(Number) });
    expect((await get('/api/v1/routes/decks/ixc-b/versions')).json().activeVersion).toBe(r.json().version);
    expect(rateOf('12125551234', 'ixc-b')?.rate).toBe(0.003);
  });
});
