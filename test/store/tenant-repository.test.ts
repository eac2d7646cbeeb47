/**
 * The tenant repository on both databases, the same checks each: SQLite (migration 7) and a real
 * PostgreSQL 15 started by the test (migration 3). Round trip of every field, replace on put,
 * cascades of tenant and extension removal, the unique keys as a backstop, and two nodes on one
 * PostgreSQL seeing the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { PG_MIGRATIONS } from '../../src/store/pg-migrations.js';
import { SqliteTenantRepository } from '../../src/store/sqlite-tenants.js';
import { openPgStore } from '../../src/store/pg-store.js';
import type { SwitchStore } from '../../src/store/store.js';
import type { StoredExtension, StoredTenant, TenantRepository } from '../../src/store/tenant-repository.js';
import { silentLogger } from '../../src/util/log.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { TenantProvisioning } from '../../src/class5/provisioning.js';
import { systemClock } from '../../src/util/clock.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const T0 = '2026-11-30T10:00:00.000Z';
const tenant = (id: string, over: Partial<StoredTenant> = {}): StoredTenant => ({
  id,
  domain: `${id}.example`,
  mainNumber: '2125550400',
  voicemail: 'sip:vm@127.0.0.1:5080',
  callerIdPolicy: 'main-number',
  cos: 'local',
  huntGroups: [{ number: '500', strategy: 'circular', members: ['1001'], ringS: 12 }],
  createdAt: T0,
  updatedAt: T0,
  ...over,
});
const extension = (tenantId: string, number: string, over: Partial<StoredExtension> = {}): StoredExtension => ({
  tenantId,
  number,
  displayName: `Ext ${number}`,
  ha1Md5: 'a'.repeat(32),
  ha1Sha256: 'b'.repeat(64),
  callerId: '+12125550401',
  cos: 'international',
  maxDevices: 3,
  features: { cfu: '1002', followMe: { mode: 'sequential', targets: [{ number: '2125550111', ringS: 20 }] } },
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

function contract(name: string, repo: () => TenantRepository) {
  it(`${name}: round-trips every field; put replaces; optional fields may be absent`, async () => {
    const r = repo();
    await r.putTenant(tenant('acme'));
    await r.putTenant(tenant('bare', { mainNumber: undefined, voicemail: undefined, huntGroups: [] }));
    await r.putExtension(extension('acme', '1001'));
    await r.putExtension(extension('acme', '1002', { displayName: undefined, callerId: undefined, cos: undefined, maxDevices: undefined, features: {} }));
    await r.putDid({ did: '2125550401', tenantId: 'acme', extension: '1001', createdAt: T0 });
    await r.putDid({ did: '2125550402', tenantId: 'acme', huntGroup: '500', createdAt: T0 });
    const all = await r.load();
    expect(all.tenants).toEqual([tenant('acme'), tenant('bare', { mainNumber: undefined, voicemail: undefined, huntGroups: [] })]);
    expect(all.extensions).toEqual([extension('acme', '1001'), extension('acme', '1002', { displayName: undefined, callerId: undefined, cos: undefined, maxDevices: undefined, features: {} })]);
    expect(all.dids).toEqual([
      { did: '2125550401', tenantId: 'acme', extension: '1001', huntGroup: undefined, createdAt: T0 },
      { did: '2125550402', tenantId: 'acme', extension: undefined, huntGroup: '500', createdAt: T0 },
    ]);
    await r.putTenant(tenant('acme', { cos: 'blocked', updatedAt: '2026-11-30T11:00:00.000Z' }));
    await r.putExtension(extension('acme', '1001', { ha1Md5: 'c'.repeat(32) }));
    const again = await r.load();
    expect(again.tenants.find((t) => t.id === 'acme')?.cos).toBe('blocked');
    expect(again.extensions.find((e) => e.number === '1001')?.ha1Md5).toBe('c'.repeat(32));
    expect(again.extensions).toHaveLength(2);
  });

  it(`${name}: removing an extension removes its DIDs; removing a tenant removes everything of it only`, async () => {
    const r = repo();
    await r.putTenant(tenant('other'));
    await r.putExtension(extension('other', '1001'));
    await r.putDid({ did: '2125550499', tenantId: 'other', extension: '1001', createdAt: T0 });
    await r.deleteExtension('acme', '1001');
    let all = await r.load();
    expect(all.extensions.map((e) => `${e.tenantId}/${e.number}`)).toEqual(['acme/1002', 'other/1001']);
    expect(all.dids.map((d) => d.did)).toEqual(['2125550402', '2125550499']);
    await r.deleteDid('2125550402');
    await r.deleteTenant('acme');
    all = await r.load();
    expect(all.tenants.map((t) => t.id)).toEqual(['bare', 'other']);
    expect(all.extensions.map((e) => `${e.tenantId}/${e.number}`)).toEqual(['other/1001']);
    expect(all.dids.map((d) => d.did)).toEqual(['2125550499']);
  });

  it(`${name}: the schema refuses what the service must never write (a second tenant on a domain, a DID ringing two things, no HA1)`, async () => {
    const r = repo();
    await expect(r.putTenant(tenant('twin', { domain: 'other.example' }))).rejects.toThrow(/unique|UNIQUE/);
    await expect(r.putDid({ did: '2125550498', tenantId: 'other', extension: '1001', huntGroup: '500', createdAt: T0 })).rejects.toThrow(/check|CHECK/);
    await expect(r.putExtension(extension('other', '1009', { ha1Sha256: undefined as unknown as string }))).rejects.toThrow(/null|NULL/);
  });
}

describe('tenant repository on SQLite', () => {
  const db = openDatabase(':memory:');
  afterAll(() => db.close());
  it('is migration 7 of the embedded store', () => {
    expect(MIGRATIONS.find((m) => m.version === 7)?.sql).toMatch(/CREATE TABLE class5_tenants/);
    expect((db.prepare('SELECT version FROM schema_migrations WHERE version = 7').get() as { version: number }).version).toBe(7);
  });
  contract('SQLite', () => new SqliteTenantRepository(db));
});

const missing = postgresMissing();
if (missing) console.warn(`skipping PostgreSQL tenant repository tests: ${missing}`);

describe.skipIf(missing !== '')('tenant repository on PostgreSQL', () => {
  let server: PostgresServer;
  let a: SwitchStore;
  let b: SwitchStore;

  beforeAll(async () => {
    server = await startPostgres();
    a = await openPgStore({ url: server.url, node: 'node-a', logger: silentLogger });
    b = await openPgStore({ url: server.url, node: 'node-b', logger: silentLogger });
  }, 60_000);

  afterAll(async () => {
    await a?.close().catch(() => undefined);
    await b?.close().catch(() => undefined);
    await server?.stop();
  });

  it('is migration 3 of the shared store', async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const rows = (await client.query('SELECT version FROM schema_migrations ORDER BY version')).rows;
    await client.end();
    expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version })));
    expect(PG_MIGRATIONS.find((m) => m.version === 3)?.sql).toMatch(/CREATE TABLE class5_tenants/);
  });

  contract('PostgreSQL', () => a.tenants);

  it('a second node reads what the first wrote (one shared set of tenants)', async () => {
    await a.tenants.putTenant(tenant('shared'));
    expect((await b.tenants.load()).tenants.map((t) => t.id)).toContain('shared');
  });

  it('two nodes provisioning through one PostgreSQL: a refresh on the other node puts the change in service and drops a removed extension’s registrations', async () => {
    const node = (store: SwitchStore) => {
      const directory = new TenantDirectory({ tenants: [] });
      const dropped: string[] = [];
      const p = new TenantProvisioning({ repo: store.tenants, directory, configTenants: [], clock: systemClock, logger: silentLogger, dropRegistrations: (t, aor) => (dropped.push(`${t} ${aor ?? '*'}`), 0) });
      return { directory, dropped, p };
    };
    const na = node(a);
    const nb = node(b);
    await na.p.load();
    await nb.p.load();
    await na.p.createTenant({ id: 'pg-acme', domain: 'pg-acme.example' });
    await na.p.addExtension('pg-acme', { number: '1001', password: 'pg-acme-1001' });
    expect(nb.directory.byId('pg-acme')).toBeUndefined();
    await nb.p.refresh();
    expect(nb.directory.byDomain('pg-acme.example')?.extensions.has('1001')).toBe(true);
    expect(nb.directory.ha1(nb.directory.byId('pg-acme')!, '1001')).toEqual(na.directory.ha1(na.directory.byId('pg-acme')!, '1001'));
    // Node b refuses what node a holds (after its refresh), naming the key.
    await expect(nb.p.createTenant({ id: 'pg-other', domain: 'pg-acme.example' })).rejects.toThrow(/domain: pg-acme\.example is tenant pg-acme's in the store/);
    await na.p.deleteExtension('pg-acme', '1001');
    await nb.p.refresh();
    expect(nb.directory.byId('pg-acme')?.extensions.has('1001')).toBe(false);
    expect(nb.dropped).toEqual(['pg-acme sip:1001@pg-acme.example']);
  });
});
