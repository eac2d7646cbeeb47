/**
 * Defect 3: "a text/plain POST (no browser preflight) from any web page an operator has open
 * replaced and persisted a carrier's rate deck". The attack, and the content types each route takes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, bearer, type TestApi } from './app.js';

const EVIL_DECK = 'prefix,interstate\n1,9999\n';

/** What a page on http://evil.example sends with fetch(url, { method: 'POST', body, mode: 'no-cors' }) or a form. */
const attack = (extra: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/api/v1/routes/decks/ixc-b',
  payload: EVIL_DECK,
  headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example', ...extra },
});

async function deckUnchanged(t: TestApi, before: string): Promise<void> {
  const now = (await t.app.inject({ url: '/api/v1/routes/export?carrier=ixc-b', headers: { ...bearer('read-only') } })).body;
  expect(now).toBe(before);
  await expect(readFile(join(t.dataDir, 'lcr', 'decks', 'ixc-b.csv'), 'utf8')).rejects.toThrow(/ENOENT/);
}

describe('cross-site deck replacement (the reported attack)', () => {
  for (const mode of ['lab profile, no tokens (what was attacked)', 'tokens, the browser holding an admin token']) {
    it(`${mode}: refused with 403 and nothing persisted`, async () => {
      const lab = mode.startsWith('lab');
      const t = await buildApi({ lab, tokens: !lab });
      try {
        const before = (await t.app.inject({ url: '/api/v1/routes/export?carrier=ixc-b', headers: bearer('read-only') })).body;
        for (const req of [
          attack(lab ? {} : bearer('admin')),
          attack({ 'sec-fetch-site': 'cross-site', ...(lab ? {} : bearer('admin')) }),
          // A page on another port of the same host is same-site, not same-origin.
          attack({ origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site', ...(lab ? {} : bearer('admin')) }),
          attack({ origin: 'null' }),
          { ...attack(), headers: { 'content-type': 'text/csv', origin: 'http://evil.example', ...(lab ? {} : bearer('admin')) } },
        ]) {
          const r = await t.app.inject(req);
          expect(r.statusCode, JSON.stringify(req.headers)).toBe(403);
          expect(r.json().code).toBe('SSW_ERR_API_CROSS_SITE');
        }
        await deckUnchanged(t, before);
      } finally {
        await t.close();
      }
    });
  }

  it('the same page cannot use a JSON route either', async () => {
    const t = await buildApi({ lab: true, tokens: false });
    try {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/test/echo', payload: '{"note":"x"}', headers: { 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' } });
      expect(r.statusCode).toBe(403);
    } finally {
      await t.close();
    }
  });
});

describe('content types', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await buildApi();
  });
  afterAll(() => t.close());
  const admin = bearer('admin');

  it('the deck route takes text/csv only: text/plain, forms, JSON and octet-stream are 415', async () => {
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json', 'application/octet-stream']) {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: type === 'application/json' ? '"prefix,interstate\\n1,1\\n"' : EVIL_DECK, headers: { 'content-type': type, ...admin } });
      expect(r.statusCode, type).toBe(415);
      expect(r.json().code, type).toBe('SSW_ERR_API_MEDIA_TYPE');
    }
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: 'prefix,interstate\n1212,0.004\n', headers: { 'content-type': 'text/csv; charset=utf-8', ...admin } });
    expect(r.statusCode).toBe(200);
    const latin1 = await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: 'prefix,interstate\n1212,0.004\n', headers: { 'content-type': 'text/csv; charset=iso-8859-1', ...admin } });
    expect(latin1.statusCode).toBe(415);
  });

  it('JSON routes take application/json only', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/csv']) {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/test/echo', payload: '{"note":"x"}', headers: { 'content-type': type, ...bearer('operator') } });
      expect(r.statusCode, type).toBe(415);
    }
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/test/echo', payload: '{"note":"x"}', headers: { 'content-type': 'application/json', ...bearer('operator') } });
    expect(ok.statusCode).toBe(200);
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/test/echo', payload: '{"nope":1}', headers: { 'content-type': 'application/json', ...bearer('operator') } });
    expect(bad.statusCode).toBe(400);
  });

  it('same-origin browsers, user navigation and non-browser clients are let through', async () => {
    const send = (headers: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/test/echo', payload: '{"note":"x"}', headers: { 'content-type': 'application/json', ...bearer('operator'), ...headers } });
    expect((await send({})).statusCode).toBe(200); // curl, scripts: no Origin
    expect((await send({ origin: 'http://localhost' })).statusCode).toBe(200); // inject's Host is localhost:80
    expect((await send({ origin: 'http://localhost', 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);
    expect((await send({ 'sec-fetch-site': 'none' })).statusCode).toBe(200);
    expect((await send({ origin: 'http://localhost:8080' })).statusCode).toBe(403);
    expect((await send({ origin: 'https://localhost' })).statusCode).toBe(403);
  });

  it('reads are not subject to the Origin check (a browser cannot read the reply cross-site: no CORS headers are sent)', async () => {
    const r = await t.app.inject({ url: '/api/v1/routes/stats', headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', ...bearer('read-only') } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});
