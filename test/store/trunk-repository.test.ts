/**
 * The trunk customer repository on both databases, the same checks each: SQLite (migration 9) and
 * a real PostgreSQL 15 started by the test (migration 6). Round trip of every field, replace on put
 * (creation time kept), a customer's removal taking its DIDs, the DID key and the customer
 * reference as a backstop (on SQLite when foreign_keys is on; the provisioning service checks first); on PostgreSQL each write announces itself on softswitch_config_change
 * with the writer's application_name, when its transaction commits and not before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { PG_MIGRATIONS } from '../../src/store/pg-migrations.js';
import { SqliteTrunkRepository } from '../../src/store/sqlite-trunks.js';
import { openPgStore } from '../../src/store/pg-store.js';
import type { SwitchStore } from '../../src/store/store.js';
import type { StoredTrunkCustomer, StoredTrunkDid, TrunkCustomerRepository } from '../../src/store/trunk-repository.js';
import { CONFIG_CHANGE_CHANNEL } from '../../src/store/pg-change-feed.js';
import { silentLogger } from '../../src/util/log.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const T0 = '2026-11-30T10:00:00.000Z';
const T1 = '2026-11-30T11:00:00.000Z';
const LIMITS = { callsPerSecond: 5, spendPerHour: 10, spendPerDay: 100, allowHighRisk: true, allowPremium: false };
const customer = (id: string, over: Partial<StoredTrunkCustomer> = {}): StoredTrunkCustomer => ({
  id,
  name: `Customer ${id}`,
  sources: ['203.0.113.0/28', '198.51.100.7'],
  routingCustomer: 'gold',
  maxCalls: 25,
  unreachableCause: 20,
  limits: LIMITS,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});
const did = (customerId: string, first: string, last = first, over: Partial<StoredTrunkDid> = {}): StoredTrunkDid => ({
  customerId,
  first,
  last,
  targets: [
    { host: '192.0.2.10', port: 5070, transport: 'tcp', weight: 2 },
    { host: 'pbx.example', port: 5060, transport: 'udp', weight: 1 },
  ],
  selection: 'weighted',
  deliverAs: 'e164',
  createdAt: T0,
  ...over,
});

function sameChecks(name: string, repo: () => TrunkCustomerRepository) {
  describe(name, () => {
    it('round-trips every field of a customer and its DIDs', async () => {
      const r = repo();
      await r.putCustomer(customer('alpha'));
      await r.putCustomer(customer('bare', { name: undefined, routingCustomer: undefined, sources: ['192.0.2.1'] }));
      await r.putDid(did('alpha', '2125550100', '2125550199'));
      await r.putDid(did('alpha', '3125550100', '3125550100', { selection: 'ordered', deliverAs: 'national' }));
      const got = await r.load();
      expect(got.customers).toEqual([customer('alpha'), customer('bare', { name: undefined, routingCustomer: undefined, sources: ['192.0.2.1'] })]);
      expect(got.dids).toEqual([did('alpha', '2125550100', '2125550199'), did('alpha', '3125550100', '3125550100', { selection: 'ordered', deliverAs: 'national' })]);
    });

    it('put replaces a customer but keeps its creation time; a DID key is unique', async () => {
      const r = repo();
      await r.putCustomer(customer('alpha', { maxCalls: 3, createdAt: T1, updatedAt: T1, name: undefined }));
      const c = (await r.load()).customers.find((x) => x.id === 'alpha')!;
      expect(c).toMatchObject({ maxCalls: 3, createdAt: T0, updatedAt: T1 });
      expect(c.name).toBeUndefined();
      // The same first number again replaces that DID (one key per range).
      await r.putDid(did('alpha', '2125550100', '2125550149'));
      expect((await r.load()).dids.filter((d) => d.first === '2125550100').map((d) => d.last)).toEqual(['2125550149']);
    });

    it('a DID of no customer is refused; removing a customer removes its DIDs', async () => {
      const r = repo();
      await expect(r.putDid(did('nobody', '4155550100'))).rejects.toThrow();
      await r.deleteDid('3125550100');
      expect((await r.load()).dids.map((d) => d.first)).toEqual(['2125550100']);
      await r.deleteCustomer('alpha');
      const got = await r.load();
      expect(got.customers.map((c) => c.id)).toEqual(['bare']);
      expect(got.dids).toEqual([]);
    });
  });
}

describe('trunk customer repository', () => {
  it('is SQLite migration 9 and PostgreSQL migration 6', () => {
    expect(MIGRATIONS.find((m) => m.version === 9)?.sql).toContain('CREATE TABLE trunk_customers');
    expect(PG_MIGRATIONS.find((m) => m.version === 6)?.sql).toContain('CREATE TABLE trunk_customers');
  });

  const db = openDatabase(':memory:');
  db.pragma('foreign_keys = ON');
  sameChecks('on SQLite', () => new SqliteTrunkRepository(db));

  const missing = postgresMissing();
  if (missing) console.warn(`skipping the PostgreSQL half of the trunk repository tests: ${missing}`);
  describe.skipIf(missing !== '')('on PostgreSQL', () => {
    let server: PostgresServer;
    let store: SwitchStore;
    beforeAll(async () => {
      server = await startPostgres();
      store = await openPgStore({ url: server.url, node: 'n1', logger: silentLogger });
    }, 60_000);
    afterAll(async () => {
      await store?.close();
      await server?.stop();
    });
    sameChecks('the same checks', () => store.trunks);

    it('each change is announced with the writer, when it commits', async () => {
      const listener = new pg.Client({ connectionString: server.url });
      await listener.connect();
      const heard: Array<{ table: string; by: string }> = [];
      listener.on('notification', (m) => heard.push(JSON.parse(m.payload!) as { table: string; by: string }));
      await listener.query(`LISTEN ${CONFIG_CHANGE_CHANNEL}`);
      try {
        const c = await store.pgPool!.connect();
        try {
          await c.query('BEGIN');
          await c.query("UPDATE trunk_customers SET max_calls = 7 WHERE id = 'bare'");
          await new Promise((r) => setTimeout(r, 200));
          expect(heard).toEqual([]);
          await c.query('COMMIT');
        } finally {
          c.release();
        }
        await store.trunks.putDid(did('bare', '5085550100'));
        const end = Date.now() + 2000;
        while (heard.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
        expect(heard).toEqual([
          { table: 'trunk_customers', by: 'softswitch:n1' },
          { table: 'trunk_dids', by: 'softswitch:n1' },
        ]);
      } finally {
        await listener.end();
      }
    });
  });
});
