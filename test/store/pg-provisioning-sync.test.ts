/**
 * Provisioning shared by two nodes through a real PostgreSQL (started by the test): each node has
 * its own store client (pool with its node name), live trunk customer / DID tables, tenant
 * directory and change feed, as the switch wires them (src/app/provisioning-sync.ts). A trunk
 * customer, a trunk DID, a tenant and an extension made at node A are in service at node B within
 * a second (latency measured from A's commit to B's table); a change made by hand in psql reaches
 * both; when B's LISTEN connection is killed, B listens again and re-reads what changed meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import pg from 'pg';
import { openPgStore } from '../../src/store/pg-store.js';
import type { SwitchStore } from '../../src/store/store.js';
import { TrunkProvisioning } from '../../src/class4/trunks/trunk-provisioning.js';
import { TrunkCustomerTable } from '../../src/class4/trunks/trunk-customers.js';
import { DidTable } from '../../src/class4/trunks/dids.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { TenantProvisioning } from '../../src/class5/provisioning.js';
import { followProvisioning } from '../../src/app/provisioning-sync.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const missing = postgresMissing();
if (missing) console.warn(`skipping shared provisioning tests: ${missing}`);

interface Node {
  name: string;
  store: SwitchStore;
  customers: TrunkCustomerTable;
  dids: DidTable;
  trunks: TrunkProvisioning;
  directory: TenantDirectory;
  tenants: TenantProvisioning;
  registry: Registry;
  stop?: () => Promise<void>;
}

/** Waits for `cond`, checking every millisecond; resolves with the milliseconds it took. */
async function within(cond: () => boolean, what: string, ms: number): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return performance.now() - t0;
}

const reloads = async (n: Node, reason: string) => ((await n.registry.getSingleMetric('softswitch_provisioning_reloads_total')?.get())?.values ?? []).filter((v) => v.labels.reason === reason).reduce((s, v) => s + v.value, 0);

describe.skipIf(missing !== '')('provisioning shared through PostgreSQL LISTEN/NOTIFY', () => {
  let server: PostgresServer;
  const nodes: Node[] = [];
  const latencies: number[] = [];

  async function startNode(name: string, pollMs = 60_000): Promise<Node> {
    const store = await openPgStore({ url: server.url, poolSize: 4, node: name, logger: silentLogger });
    const customers = new TrunkCustomerTable([]);
    const dids = new DidTable([]);
    const trunks = new TrunkProvisioning({ repo: store.trunks, configCustomers: [], customers, dids, clock: systemClock, logger: silentLogger });
    await trunks.load();
    const directory = new TenantDirectory({ tenants: [] });
    const tenants = new TenantProvisioning({ repo: store.tenants, directory, configTenants: [], clock: systemClock, logger: silentLogger });
    await tenants.load();
    const registry = new Registry();
    const n: Node = { name, store, customers, dids, trunks, directory, tenants, registry };
    n.stop = await followProvisioning(store, { tenants, trunks }, { pollMs, logger: silentLogger, registry });
    nodes.push(n);
    return n;
  }

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) {
      await n.stop?.();
      await n.store.close();
    }
    await server?.stop();
    if (latencies.length) {
      const sorted = [...latencies].sort((a, b) => a - b);
      console.log(`provisioning propagation A→B over ${sorted.length} changes: median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`);
    }
  }, 30_000);

  it('a trunk customer, its DID, a tenant and an extension made at A are in service at B within a second', async () => {
    const a = await startNode('a');
    const b = await startNode('b');

    await a.trunks.createCustomer({ id: 'newco', sources: ['203.0.113.0/28'], maxCalls: 5 });
    latencies.push(await within(() => b.customers.identify('203.0.113.9')?.id === 'newco', 'customer newco at B', 1000));
    await a.trunks.addDid('newco', { range: { from: '2125550300', to: '2125550349' }, targets: [{ host: '127.0.0.1', port: 5099 }] });
    latencies.push(await within(() => b.dids.lookup('2125550333')?.customer === 'newco', 'DID range at B', 1000));
    await a.trunks.updateCustomer('newco', { maxCalls: 9 });
    latencies.push(await within(() => b.customers.byId('newco')?.maxCalls === 9, 'maxCalls 9 at B', 1000));

    await a.tenants.createTenant({ id: 'acme', domain: 'acme.example' });
    latencies.push(await within(() => b.directory.byDomain('acme.example') !== undefined, 'tenant acme at B', 1000));
    await a.tenants.addExtension('acme', { number: '1001', password: 'pw-acme-1001' });
    latencies.push(await within(() => b.directory.byId('acme')?.extensions.has('1001') === true, 'extension 1001 at B', 1000));

    // And back: B's changes reach A; a removal too.
    await b.trunks.deleteDid('newco', '2125550300');
    latencies.push(await within(() => a.dids.lookup('2125550333') === undefined, 'DID removed at A', 1000));
    await b.tenants.deleteExtension('acme', '1001');
    latencies.push(await within(() => a.directory.byId('acme')?.extensions.has('1001') === false, 'extension removed at A', 1000));

    // A series, to measure: customers added at A one after another.
    for (let i = 0; i < 15; i++) {
      await a.trunks.createCustomer({ id: `c${i}`, sources: [`198.51.100.${i + 1}`] });
      latencies.push(await within(() => b.customers.identify(`198.51.100.${i + 1}`)?.id === `c${i}`, `customer c${i} at B`, 1000));
    }
    expect(Math.max(...latencies)).toBeLessThan(1000);
    // Each node skips the notices of its own changes (application_name) and re-reads on the other's.
    expect(await reloads(b, 'notify')).toBeGreaterThan(0);
  }, 60_000);

  it('a change made by hand in psql reaches both nodes', async () => {
    const [a, b] = nodes;
    const c = new pg.Client({ connectionString: server.url, application_name: 'psql' });
    await c.connect();
    try {
      await c.query("UPDATE trunk_customers SET max_calls = 42 WHERE id = 'newco'");
    } finally {
      await c.end();
    }
    await within(() => a.customers.byId('newco')?.maxCalls === 42 && b.customers.byId('newco')?.maxCalls === 42, 'the psql change at A and B', 1000);
  });

  it('when B’s LISTEN connection is killed, B listens again and re-reads what changed while it was deaf', async () => {
    const [a, b] = nodes;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const killed = await admin.query<{ n: string }>(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'softswitch:b' AND query ILIKE 'LISTEN%'",
      );
      expect(Number(killed.rows[0].n)).toBe(1);
      // While B is not listening, A adds a customer; the NOTIFY for it is lost to B.
      await a.trunks.createCustomer({ id: 'while-deaf', sources: ['192.0.2.77'] });
      // B connects again (2 s), LISTENs, and re-reads: the customer is there without any new notice.
      await within(() => b.customers.identify('192.0.2.77')?.id === 'while-deaf', 'the customer made while B was deaf', 6000);
      expect(await reloads(b, 'relisten')).toBeGreaterThan(0);
      // And it hears new notices again.
      await a.trunks.createCustomer({ id: 'after', sources: ['192.0.2.78'] });
      latencies.push(await within(() => b.customers.identify('192.0.2.78')?.id === 'after', 'a customer after B listens again', 1000));
    } finally {
      await admin.end();
    }
  }, 30_000);

  it('the safety poll re-reads even with no notice at all', async () => {
    // A node whose poll is 300 ms: a row written with triggers disabled (no NOTIFY) still arrives.
    const c = await startNode('c', 300);
    // Past its first re-reads (the one when listening began, a first poll): what follows is the poll's doing.
    const end = Date.now() + 3000;
    while ((await reloads(c, 'poll')) < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const polls = await reloads(c, 'poll');
    expect(await reloads(c, 'listen')).toBe(2); // one per area: tenants and trunks
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query('BEGIN');
      await admin.query('ALTER TABLE trunk_customers DISABLE TRIGGER trunk_customers_changed');
      await admin.query(
        "INSERT INTO trunk_customers (id, sources, max_calls, unreachable_cause, limits, created_at, updated_at) VALUES ('silent', '[\"192.0.2.88\"]', 3, 34, '{\"callsPerSecond\":0,\"spendPerHour\":0,\"spendPerDay\":0,\"allowHighRisk\":false,\"allowPremium\":true}', now()::text, now()::text)",
      );
      await admin.query('ALTER TABLE trunk_customers ENABLE TRIGGER trunk_customers_changed');
      await admin.query('COMMIT');
    } finally {
      await admin.end();
    }
    await within(() => c.customers.identify('192.0.2.88')?.id === 'silent', 'the silently written customer at C', 3000);
    expect(await reloads(c, 'poll')).toBeGreaterThan(polls);
  }, 30_000);
});
