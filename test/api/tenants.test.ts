/**
 * Tenant provisioning routes on the admin API as the switch builds it (tokens per role, audit
 * log, SQLite store): each route answers at its role, 401 without a token and 403 to a read-only
 * token that tries to change; changes reach the tenant directory at once; credentials never come
 * back or reach the audit log; the configuration file's tenant is read-only and its keys refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildApi, bearer, type TestApi } from './app.js';
import { ha1 } from '../../src/sip/digest.js';
import { openDatabase } from '../../src/store/database.js';
import { SqliteTenantRepository } from '../../src/store/sqlite-tenants.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { TenantProvisioning } from '../../src/class5/provisioning.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

describe('tenant provisioning API', () => {
  let t: TestApi;
  const send = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, ...(payload !== undefined ? { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } } : { headers }) });

  /** 401 with no token; a change 403 to read-only; then the operator's (or read-only's, for reads) reply. */
  const guarded = async (method: Method, url: string, payload?: unknown) => {
    const none = await send(method, url, payload);
    expect(none.statusCode, `${method} ${url} without a token`).toBe(401);
    if (method !== 'GET') {
      const ro = await send(method, url, payload, bearer('read-only'));
      expect(ro.statusCode, `${method} ${url} as read-only: ${ro.body}`).toBe(403);
      expect(ro.json().code).toBe('SSW_ERR_API_FORBIDDEN');
      return send(method, url, payload, bearer('operator'));
    }
    return send(method, url, payload, bearer('read-only'));
  };

  beforeAll(async () => {
    t = await buildApi();
  });
  afterAll(() => t.close());

  it('walks every route: create, read, change and delete a tenant, an extension and a DID; 401 and 403 on each', async () => {
    const created = await guarded('POST', '/api/v1/tenants', { id: 'acme', domain: 'ACME.example', mainNumber: '+12125550000', huntGroups: [] });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ id: 'acme', domain: 'acme.example', origin: 'store', callerIdPolicy: 'extension', cos: 'national', extensions: 0 });
    expect(t.directory.byDomain('acme.example')?.origin).toBe('store');

    const list = await guarded('GET', '/api/v1/tenants');
    expect(list.statusCode).toBe(200);
    expect(list.json().tenants.map((x: { id: string; origin: string }) => `${x.id}:${x.origin}`)).toEqual(['acme:store', 'filed:config']);
    const one = await guarded('GET', '/api/v1/tenants/acme');
    expect(one.statusCode).toBe(200);

    const patched = await guarded('PATCH', '/api/v1/tenants/acme', { voicemail: 'sip:vm@127.0.0.1:5080', cos: 'local' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ voicemail: 'sip:vm@127.0.0.1:5080', cos: 'local' });
    expect(t.directory.byId('acme')?.config.voicemail).toBe('sip:vm@127.0.0.1:5080');

    const ext = await guarded('POST', '/api/v1/tenants/acme/extensions', { number: '1001', displayName: 'Reception', password: 'correct horse 1001', features: { cfna: '1002', noAnswerS: 15 } });
    expect(ext.statusCode, ext.body).toBe(201);
    expect(ext.json()).toMatchObject({ tenant: 'acme', number: '1001', cos: 'local', credentials: ['MD5', 'SHA-256'] });
    expect(ext.body).not.toMatch(/correct horse|ha1/i);
    // In service at once: the registrar's digest lookup has the HA1 of number:domain:password.
    const tenant = t.directory.byDomain('acme.example')!;
    expect(t.directory.ha1(tenant, '1001')).toEqual({ MD5: ha1('MD5', '1001', 'acme.example', 'correct horse 1001'), 'SHA-256': ha1('SHA-256', '1001', 'acme.example', 'correct horse 1001') });
    expect(tenant.extensions.get('1001')?.features.cfna).toBe('1002');

    const exts = await guarded('GET', '/api/v1/tenants/acme/extensions');
    expect(exts.json().extensions.map((e: { number: string }) => e.number)).toEqual(['1001']);
    const getExt = await guarded('GET', '/api/v1/tenants/acme/extensions/1001');
    expect(getExt.statusCode).toBe(200);
    const patchExt = await guarded('PATCH', '/api/v1/tenants/acme/extensions/1001', { password: 'new secret 1001', cos: 'international', maxDevices: 2 });
    expect(patchExt.statusCode, patchExt.body).toBe(200);
    expect(t.directory.ha1(t.directory.byId('acme')!, '1001')?.MD5).toBe(ha1('MD5', '1001', 'acme.example', 'new secret 1001'));
    expect(t.directory.byId('acme')!.extensions.get('1001')).toMatchObject({ cos: 'international', maxDevices: 2 });

    const did = await guarded('POST', '/api/v1/tenants/acme/dids', { did: '2125550300', extension: '1001' });
    expect(did.statusCode, did.body).toBe(201);
    expect(t.directory.did('+12125550300')?.extension?.number).toBe('1001');
    const dids = await guarded('GET', '/api/v1/tenants/acme/dids');
    expect(dids.json().dids).toEqual([expect.objectContaining({ did: '2125550300', tenant: 'acme', extension: '1001' })]);
    const delDid = await guarded('DELETE', '/api/v1/tenants/acme/dids/2125550300');
    expect(delDid.statusCode).toBe(204);
    expect(t.directory.did('2125550300')).toBeUndefined();

    // A registered phone loses its binding with its extension.
    t.registrar.apply('acme', 'sip:1001@acme.example', { contacts: ['<sip:1001@127.0.0.1:5099>'], callId: 'c1', cseq: 1, path: [], supportedPath: false, source: { address: '127.0.0.1', port: 5099 } });
    expect(t.registrar.lookup('acme', 'sip:1001@acme.example')).toHaveLength(1);
    const delExt = await guarded('DELETE', '/api/v1/tenants/acme/extensions/1001');
    expect(delExt.statusCode).toBe(204);
    expect(t.registrar.lookup('acme', 'sip:1001@acme.example')).toHaveLength(0);
    expect(t.directory.byId('acme')!.extensions.has('1001')).toBe(false);
    expect(t.directory.retiredHa1(t.directory.byId('acme')!, '1001')?.MD5).toBe(ha1('MD5', '1001', 'acme.example', 'new secret 1001'));

    const delTenant = await guarded('DELETE', '/api/v1/tenants/acme');
    expect(delTenant.statusCode).toBe(204);
    expect(t.directory.byDomain('acme.example')).toBeUndefined();
    expect((await send('GET', '/api/v1/tenants/acme', undefined, bearer('read-only'))).statusCode).toBe(404);
  });

  it('every change is audited with before/after, and no password or HA1 reaches the audit log', async () => {
    await send('POST', '/api/v1/tenants', { id: 'audited', domain: 'audited.example' }, bearer('operator'));
    await send('POST', '/api/v1/tenants/audited/extensions', { number: '2001', password: 'audit-secret-2001' }, bearer('operator'));
    await send('PATCH', '/api/v1/tenants/audited/extensions/2001', { password: 'audit-secret-2002' }, bearer('operator'));
    await send('DELETE', '/api/v1/tenants/audited/extensions/2001', undefined, bearer('operator'));
    const audit = await send('GET', '/api/v1/audit?limit=1000', undefined, bearer('admin'));
    const entries = (audit.json() as { entries: Array<{ route: string; method: string; params?: Record<string, string>; before?: unknown; after?: Record<string, unknown>; actor: string }> }).entries.filter((e) => e.params?.id === 'audited');
    expect(entries.map((e) => `${e.method} ${e.route}`)).toEqual(['POST /api/v1/tenants/:id/extensions', 'PATCH /api/v1/tenants/:id/extensions/:number', 'DELETE /api/v1/tenants/:id/extensions/:number']);
    const patch = entries.find((e) => e.method === 'PATCH' && e.route === '/api/v1/tenants/:id/extensions/:number')!;
    expect(patch.before).toMatchObject({ number: '2001' });
    expect(patch.after).toMatchObject({ number: '2001', credentialsChanged: true });
    expect(entries.find((e) => e.method === 'DELETE' && e.route.endsWith(':number'))?.before).toMatchObject({ number: '2001' });
    expect(entries.every((e) => e.actor === 'operator-user')).toBe(true);
    const all = JSON.stringify(audit.json()) + t.lines.join('');
    for (const secret of ['audit-secret-2001', 'audit-secret-2002', ha1('MD5', '2001', 'audited.example', 'audit-secret-2001'), ha1('SHA-256', '2001', 'audited.example', 'audit-secret-2002')]) expect(all).not.toContain(secret);
  });

  it('the configuration file tenant is listed read-only; its id, domain and DIDs cannot be taken', async () => {
    const op = bearer('operator');
    const filed = await send('GET', '/api/v1/tenants/filed/extensions', undefined, op);
    expect(filed.json().extensions).toEqual([expect.objectContaining({ number: '100', credentials: ['MD5', 'SHA-256'] })]);
    const ro = await send('PATCH', '/api/v1/tenants/filed', { cos: 'local' }, op);
    expect(ro.statusCode).toBe(409);
    expect(ro.json()).toMatchObject({ code: 'SSW_ERR_TENANT_READ_ONLY' });
    expect((await send('POST', '/api/v1/tenants/filed/extensions', { number: '101', password: 'xxxxxxxx' }, op)).json().code).toBe('SSW_ERR_TENANT_READ_ONLY');
    const sameId = await send('POST', '/api/v1/tenants', { id: 'filed', domain: 'other.example' }, op);
    expect(sameId.statusCode).toBe(409);
    expect(sameId.json().error).toMatch(/id: tenant filed exists in the configuration file/);
    const sameDomain = await send('POST', '/api/v1/tenants', { id: 'copycat', domain: 'FILED.example' }, op);
    expect(sameDomain.statusCode).toBe(409);
    expect(sameDomain.json().error).toMatch(/domain: filed\.example is tenant filed's/);
    await send('POST', '/api/v1/tenants', { id: 'initech', domain: 'initech.example' }, op);
    await send('POST', '/api/v1/tenants/initech/extensions', { number: '3001', password: 'initech-3001' }, op);
    const did = await send('POST', '/api/v1/tenants/initech/dids', { did: '2125550900', extension: '3001' }, op);
    expect(did.statusCode).toBe(409);
    expect(did.json().error).toMatch(/did: 2125550900 is tenant filed \(configuration file\)'s/);
    const dupExt = await send('POST', '/api/v1/tenants/initech/extensions', { number: '3001', password: 'initech-3001' }, op);
    expect(dupExt.statusCode).toBe(409);
    expect(dupExt.json().error).toMatch(/number: extension 3001 exists/);
  });

  it('validation errors name the field; bodies above the limit are 413', async () => {
    const op = bearer('operator');
    const badDomain = await send('POST', '/api/v1/tenants', { id: 'bad', domain: 'bad domain' }, op);
    expect(badDomain.statusCode).toBe(400);
    expect(badDomain.json().error).toMatch(/body\/domain/);
    const cos = await send('POST', '/api/v1/tenants', { id: 'bad', domain: 'bad.example', cos: 'galactic' }, op);
    expect(cos.statusCode).toBe(400);
    expect(cos.json().error).toMatch(/body\/cos must be equal to one of the allowed values/);
    const missing = await send('POST', '/api/v1/tenants', { id: 'bad' }, op);
    expect(missing.json().error).toMatch(/body\/domain/);
    await send('POST', '/api/v1/tenants', { id: 'valid', domain: 'valid.example' }, op);
    const feature = await send('POST', '/api/v1/tenants/valid/extensions', { number: '4001', password: 'valid-4001', features: { noAnswerS: 1 } }, op);
    expect(feature.statusCode).toBe(400);
    expect(feature.json()).toMatchObject({ code: 'SSW_ERR_TENANT_INVALID' });
    expect(feature.json().error).toMatch(/features\.noAnswerS/);
    const noSecret = await send('POST', '/api/v1/tenants/valid/extensions', { number: '4001' }, op);
    expect(noSecret.statusCode).toBe(400);
    expect(noSecret.json().error).toMatch(/password/);
    const member = await send('PATCH', '/api/v1/tenants/valid', { huntGroups: [{ number: '500', members: ['4999'] }] }, op);
    expect(member.statusCode).toBe(400);
    expect(member.json().error).toMatch(/huntGroups\.0\.members: no extension 4999/);
    const huge = await send('POST', '/api/v1/tenants/valid/extensions', { number: '4002', password: 'valid-4002', displayName: 'x'.repeat(20_000) }, op);
    expect(huge.statusCode).toBe(413);
  });

  it('tenant isolation: each reply is about the tenant in the path only', async () => {
    const op = bearer('operator');
    await send('POST', '/api/v1/tenants', { id: 'north', domain: 'north.example' }, op);
    await send('POST', '/api/v1/tenants', { id: 'south', domain: 'south.example' }, op);
    await send('POST', '/api/v1/tenants/north/extensions', { number: '1001', password: 'north-1001', displayName: 'North reception' }, op);
    await send('POST', '/api/v1/tenants/south/extensions', { number: '1001', password: 'south-1001', displayName: 'South reception' }, op);
    const south = await send('GET', '/api/v1/tenants/south/extensions', undefined, bearer('read-only'));
    expect(south.body).not.toMatch(/North/);
    expect(south.json().extensions).toEqual([expect.objectContaining({ tenant: 'south', number: '1001', displayName: 'South reception' })]);
    expect((await send('GET', '/api/v1/tenants/south/extensions/1002', undefined, bearer('read-only'))).statusCode).toBe(404);
    // Same number, two tenants, two realms: each has its own HA1.
    expect(t.directory.ha1(t.directory.byId('north')!, '1001')?.MD5).not.toBe(t.directory.ha1(t.directory.byId('south')!, '1001')?.MD5);
  });

  it('what was provisioned is in the store: a restarted switch loads it (no API call replayed)', async () => {
    const db = openDatabase(join(t.dataDir, 'softswitch.sqlite'));
    const directory = new TenantDirectory({ tenants: [] });
    const again = new TenantProvisioning({ repo: new SqliteTenantRepository(db), directory, configTenants: [], clock: systemClock, logger: silentLogger });
    await again.load();
    expect(directory.byDomain('north.example')?.extensions.get('1001')?.displayName).toBe('North reception');
    expect(directory.byDomain('acme.example')).toBeUndefined();
    db.close();
  });

  it('the OpenAPI document describes the tenant routes with their bodies', async () => {
    const doc = (await send('GET', '/api/v1/openapi.json', undefined, bearer('read-only'))).json() as { paths: Record<string, Record<string, { requestBody?: unknown; 'x-required-role': string }>> };
    expect(doc.paths['/api/v1/tenants'].post.requestBody).toBeDefined();
    expect(doc.paths['/api/v1/tenants/{id}/extensions/{number}'].patch['x-required-role']).toBe('operator');
    expect(doc.paths['/api/v1/tenants/{id}/dids/{did}'].delete['x-required-role']).toBe('operator');
    expect(doc.paths['/api/v1/tenants/{id}'].get['x-required-role']).toBe('read-only');
  });
});
