/**
 * Trunk customer provisioning routes on the admin API as the switch builds them (tokens per role,
 * audit log, SQLite store, the live customer and DID tables the intakes read): each route answers
 * at its role, 401 without a token and 403 to a read-only token that tries to change; changes reach
 * the live tables at once and survive a restart; the configuration file's customer is read-only,
 * its ids, prefixes and numbers refused; at load the file wins a clash with a stored row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/server.js';
import { apiConfigSchema } from '../../src/api/config.js';
import { trunkCustomerRoutes } from '../../src/api/routes-trunks.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { SqliteTrunkRepository } from '../../src/store/sqlite-trunks.js';
import { TrunkProvisioning } from '../../src/class4/trunks/trunk-provisioning.js';
import { TrunkCustomerTable } from '../../src/class4/trunks/trunk-customers.js';
import { DidTable } from '../../src/class4/trunks/dids.js';
import { trunkCustomerSchema, type TrunkCustomerConfig } from '../../src/class4/trunks/config.js';
import { systemClock } from '../../src/util/clock.js';
import { bearer, tokenEntries } from './app.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const FILED: TrunkCustomerConfig[] = [
  trunkCustomerSchema.parse({ id: 'filed', sources: ['198.51.100.0/24'], dids: [{ range: { from: '2125550100', to: '2125550199' }, targets: [{ host: '127.0.0.1', port: 5090 }] }] }),
];

interface Switchlet {
  app: FastifyInstance;
  customers: TrunkCustomerTable;
  dids: DidTable;
  provisioning: TrunkProvisioning;
  lines: string[];
  published: TrunkCustomerConfig[][];
}

async function build(db: Db, configCustomers = FILED): Promise<Switchlet> {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const customers = new TrunkCustomerTable(configCustomers);
  const dids = new DidTable(configCustomers);
  const published: TrunkCustomerConfig[][] = [];
  const provisioning = new TrunkProvisioning({
    repo: new SqliteTrunkRepository(db),
    configCustomers,
    customers,
    dids,
    clock: systemClock,
    logger,
    onPublish: (all) => void published.push([...all]),
    otherDidOwner: (from, to) => (from <= '2125550777' && '2125550777' <= to ? 'Class 5 tenant acme (DID 2125550777)' : undefined),
  });
  await provisioning.load();
  const app = await createApiServer({
    logger,
    registry: new Registry(),
    config: apiConfigSchema.parse({ tokens: tokenEntries }),
    lab: false,
    dataDir: tmpdir(),
    health: () => ({ store: true }),
    plugins: [(a) => trunkCustomerRoutes(a, { provisioning })],
  });
  await app.ready();
  return { app, customers, dids, provisioning, lines, published };
}

describe('trunk customer provisioning API', () => {
  let dir: string;
  let db: Db;
  let s: Switchlet;
  const send = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    s.app.inject({ method, url, ...(payload !== undefined ? { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } } : { headers }) });
  const op = bearer('operator');

  /** 401 with no token; a change 403 to read-only; then the operator's (or read-only's, for reads) reply. */
  const guarded = async (method: Method, url: string, payload?: unknown) => {
    const none = await send(method, url, payload);
    expect(none.statusCode, `${method} ${url} without a token`).toBe(401);
    if (method !== 'GET') {
      const ro = await send(method, url, payload, bearer('read-only'));
      expect(ro.statusCode, `${method} ${url} as read-only: ${ro.body}`).toBe(403);
      expect(ro.json().code).toBe('SSW_ERR_API_FORBIDDEN');
      return send(method, url, payload, op);
    }
    return send(method, url, payload, bearer('read-only'));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssw-trunks-api-'));
    db = openDatabase(join(dir, 'softswitch.sqlite'));
    s = await build(db);
  });
  afterAll(async () => {
    await s.app.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('walks every route: create, read, change and delete a customer and a DID; 401 and 403 on each; the live tables follow at once', async () => {
    expect(s.customers.identify('203.0.113.7')).toBeUndefined();
    const created = await guarded('POST', '/api/v1/trunk-customers', { id: 'newco', name: 'NewCo PBX', sources: ['203.0.113.0/28'], maxCalls: 20, limits: { callsPerSecond: 5 } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ id: 'newco', name: 'NewCo PBX', origin: 'store', sources: ['203.0.113.0/28'], maxCalls: 20, unreachableCause: 34, limits: { callsPerSecond: 5, allowPremium: true }, dids: 0 });
    // In service for the next INVITE from that source, and for the fraud guard.
    expect(s.customers.identify('203.0.113.7')).toMatchObject({ id: 'newco', maxCalls: 20 });
    expect(s.published.at(-1)!.find((c) => c.id === 'newco')?.limits.callsPerSecond).toBe(5);

    const list = await guarded('GET', '/api/v1/trunk-customers');
    expect(list.statusCode).toBe(200);
    expect(list.json().customers.map((c: { id: string; origin: string }) => `${c.id}:${c.origin}`)).toEqual(['filed:config', 'newco:store']);
    const one = await guarded('GET', '/api/v1/trunk-customers/newco');
    expect(one.statusCode).toBe(200);

    const patched = await guarded('PATCH', '/api/v1/trunk-customers/newco', { sources: ['203.0.113.16/28'], routingCustomer: 'gold', limits: { allowHighRisk: true } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ sources: ['203.0.113.16/28'], routingCustomer: 'gold', limits: { callsPerSecond: 5, allowHighRisk: true } });
    expect(s.customers.identify('203.0.113.7')).toBeUndefined();
    expect(s.customers.identify('203.0.113.17')).toMatchObject({ id: 'newco', routingCustomer: 'gold' });

    expect(s.dids.lookup('2125550300')).toBeUndefined();
    const did = await guarded('POST', '/api/v1/trunk-customers/newco/dids', { range: { from: '2125550300', to: '2125550349' }, targets: [{ host: '127.0.0.1', port: 5099 }] });
    expect(did.statusCode, did.body).toBe(201);
    expect(did.json()).toMatchObject({ customer: 'newco', origin: 'store', number: '2125550300', range: { from: '2125550300', to: '2125550349' }, targets: [{ host: '127.0.0.1', port: 5099, weight: 1 }], selection: 'ordered', deliverAs: 'national' });
    // The PSTN intake's DID table has it at once, E.164 form included.
    expect(s.dids.lookup('12125550321')).toMatchObject({ customer: 'newco' });
    const single = await send('POST', '/api/v1/trunk-customers/newco/dids', { number: '3125550100', targets: [{ host: 'pbx.newco.example', transport: 'tcp' }], deliverAs: 'e164' }, op);
    expect(single.statusCode, single.body).toBe(201);
    const dids = await guarded('GET', '/api/v1/trunk-customers/newco/dids');
    expect(dids.json().dids.map((d: { number: string }) => d.number)).toEqual(['2125550300', '3125550100']);
    expect((await send('GET', '/api/v1/trunk-customers/newco', undefined, op)).json().dids).toBe(2);

    const delDid = await guarded('DELETE', '/api/v1/trunk-customers/newco/dids/2125550300');
    expect(delDid.statusCode).toBe(204);
    expect(s.dids.lookup('2125550321')).toBeUndefined();
    expect((await send('DELETE', '/api/v1/trunk-customers/newco/dids/2125550301', undefined, op)).statusCode).toBe(404);

    const del = await guarded('DELETE', '/api/v1/trunk-customers/newco');
    expect(del.statusCode).toBe(204);
    expect(s.customers.identify('203.0.113.17')).toBeUndefined();
    expect(s.dids.lookup('3125550100')).toBeUndefined();
    expect(s.published.at(-1)!.map((c) => c.id)).toEqual(['filed']);
    const gone = await send('GET', '/api/v1/trunk-customers/newco', undefined, bearer('read-only'));
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('SSW_ERR_TRUNK_CUSTOMER_NOT_FOUND');
  });

  it('every change is audited with before/after and the actor', async () => {
    await send('POST', '/api/v1/trunk-customers', { id: 'audited', sources: ['192.0.2.50'] }, op);
    await send('PATCH', '/api/v1/trunk-customers/audited', { maxCalls: 7 }, op);
    await send('POST', '/api/v1/trunk-customers/audited/dids', { number: '4155550100', targets: [{ host: '192.0.2.51' }] }, op);
    await send('DELETE', '/api/v1/trunk-customers/audited', undefined, op);
    const audit = await send('GET', '/api/v1/audit?limit=1000', undefined, bearer('admin'));
    const entries = (audit.json() as { entries: Array<{ route: string; method: string; params?: Record<string, string>; before?: Record<string, unknown>; after?: Record<string, unknown>; actor: string; status: number }> }).entries.filter(
      (e) => e.params?.id === 'audited' || (e.after as { id?: string } | undefined)?.id === 'audited',
    );
    expect(entries.map((e) => `${e.method} ${e.route} ${e.status}`)).toEqual([
      'POST /api/v1/trunk-customers 201',
      'PATCH /api/v1/trunk-customers/:id 200',
      'POST /api/v1/trunk-customers/:id/dids 201',
      'DELETE /api/v1/trunk-customers/:id 204',
    ]);
    expect(entries[1].before).toMatchObject({ maxCalls: 100 });
    expect(entries[1].after).toMatchObject({ maxCalls: 7 });
    expect(entries[2].after).toMatchObject({ number: '4155550100', customer: 'audited' });
    expect(entries[3].before).toMatchObject({ id: 'audited', dids: 1 });
    expect(entries.every((e) => e.actor === 'operator-user')).toBe(true);
  });

  it('the configuration file customer is listed read-only; its id, prefix and numbers cannot be taken; bad fields are named', async () => {
    const filed = await send('GET', '/api/v1/trunk-customers/filed', undefined, op);
    expect(filed.json()).toMatchObject({ id: 'filed', origin: 'config', dids: 1 });
    expect((await send('GET', '/api/v1/trunk-customers/filed/dids', undefined, op)).json().dids).toEqual([expect.objectContaining({ origin: 'config', range: { from: '2125550100', to: '2125550199' } })]);
    for (const [method, url, body] of [
      ['PATCH', '/api/v1/trunk-customers/filed', { maxCalls: 1 }],
      ['DELETE', '/api/v1/trunk-customers/filed', undefined],
      ['POST', '/api/v1/trunk-customers/filed/dids', { number: '5555550100', targets: [{ host: 'x.example' }] }],
      ['DELETE', '/api/v1/trunk-customers/filed/dids/2125550100', undefined],
    ] as Array<[Method, string, unknown]>) {
      const r = await send(method, url, body, op);
      expect(r.statusCode, `${method} ${url}`).toBe(409);
      expect(r.json().code).toBe('SSW_ERR_TRUNK_CUSTOMER_READ_ONLY');
    }
    const sameId = await send('POST', '/api/v1/trunk-customers', { id: 'filed', sources: ['192.0.2.1'] }, op);
    expect(sameId.statusCode).toBe(409);
    expect(sameId.json()).toMatchObject({ code: 'SSW_ERR_TRUNK_CUSTOMER_CONFLICT', error: expect.stringContaining('configuration file') });
    const samePrefix = await send('POST', '/api/v1/trunk-customers', { id: 'copycat', sources: ['198.51.100.0/24'] }, op);
    expect(samePrefix.statusCode).toBe(409);
    expect(samePrefix.json().error).toMatch(/sources: 198\.51\.100\.0\/24 is trunk customer filed's \(configuration file\)/);

    expect((await send('POST', '/api/v1/trunk-customers', { id: 'other', sources: ['192.0.2.99/32'] }, op)).statusCode).toBe(201);
    const overlap = await send('POST', '/api/v1/trunk-customers/other/dids', { range: { from: '2125550190', to: '2125550209' }, targets: [{ host: '192.0.2.98' }] }, op);
    expect(overlap.statusCode).toBe(409);
    expect(overlap.json().error).toMatch(/overlaps a DID of trunk customer filed \(configuration file\)/);
    const tenants = await send('POST', '/api/v1/trunk-customers/other/dids', { range: { from: '2125550700', to: '2125550799' }, targets: [{ host: '192.0.2.98' }] }, op);
    expect(tenants.statusCode).toBe(409);
    expect(tenants.json().error).toMatch(/Class 5 tenant acme/);

    const badPrefix = await send('POST', '/api/v1/trunk-customers', { id: 'bad', sources: ['300.1.2.3/24'] }, op);
    expect(badPrefix.statusCode).toBe(400);
    expect(badPrefix.json()).toMatchObject({ code: 'SSW_ERR_TRUNK_CUSTOMER_INVALID', error: expect.stringContaining('sources.0') });
    const badRange = await send('POST', '/api/v1/trunk-customers/other/dids', { range: { from: '2125550900', to: '212555089' }, targets: [{ host: 'x.example' }] }, op);
    expect(badRange.statusCode).toBe(400);
    expect(badRange.json().error).toMatch(/range/);
    const missing = await send('POST', '/api/v1/trunk-customers', { id: 'x' }, op);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatch(/body\/sources/);
    expect((await send('DELETE', '/api/v1/trunk-customers/other', undefined, op)).statusCode).toBe(204);
  });

  it('what the store holds is in service after a restart; a file customer with the same id, or file numbers, win over stored rows', async () => {
    expect((await send('POST', '/api/v1/trunk-customers', { id: 'kept', sources: ['192.0.2.10'] }, op)).statusCode).toBe(201);
    expect((await send('POST', '/api/v1/trunk-customers/kept/dids', { number: '6175550100', targets: [{ host: '192.0.2.11' }] }, op)).statusCode).toBe(201);
    expect((await send('POST', '/api/v1/trunk-customers', { id: 'clash', sources: ['192.0.2.20'] }, op)).statusCode).toBe(201);
    expect((await send('POST', '/api/v1/trunk-customers/kept/dids', { number: '7185550100', targets: [{ host: '192.0.2.11' }] }, op)).statusCode).toBe(201);
    await s.app.close();

    // Restart with a file that now has a customer "clash" and the number 7185550100.
    const file = [
      ...FILED,
      trunkCustomerSchema.parse({ id: 'clash', sources: ['192.0.2.30'] }),
      trunkCustomerSchema.parse({ id: 'numbers', sources: ['192.0.2.40'], dids: [{ number: '7185550100', targets: [{ host: '192.0.2.41' }] }] }),
    ];
    s = await build(db, file);
    expect(s.customers.identify('192.0.2.10')?.id).toBe('kept');
    expect(s.dids.lookup('6175550100')?.customer).toBe('kept');
    // The file's "clash" (192.0.2.30) is in service, the stored one (192.0.2.20) is not.
    expect(s.customers.identify('192.0.2.30')?.id).toBe('clash');
    expect(s.customers.identify('192.0.2.20')).toBeUndefined();
    expect(s.dids.lookup('7185550100')?.customer).toBe('numbers');
    const log = s.lines.join('');
    expect(log).toContain('stored trunk customer clash left out of service');
    expect(log).toContain('stored DID 7185550100 of kept left out of service');
    expect((await send('GET', '/api/v1/trunk-customers/clash', undefined, op)).json().origin).toBe('config');
  });
});
