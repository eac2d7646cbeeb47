/**
 * Rate deck versions shared by two nodes through a real PostgreSQL (started by the test): node A
 * imports and activates a version; node B — its own routing engine, deck worker and data
 * directory — gets the body from the store and routes with it within seconds, without an API call
 * of its own; a rollback on A is followed by B too; a node started later installs the activation
 * current in the store; B can activate a version A imported (body fetched from the store).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeckVersions } from '../../src/class4/routing/deck-versions.js';
import { RoutingEngine } from '../../src/class4/routing/engine.js';
import { PgDeckVersionStore } from '../../src/store/pg-deck-versions.js';
import { migratePg } from '../../src/store/pg-store.js';
import { silentLogger } from '../../src/util/log.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const missing = postgresMissing();
if (missing) console.warn(`skipping shared deck version tests: ${missing}`);

const NOON = new Date('2026-03-04T17:00:00Z');
const V1 = 'prefix,interstate,intrastate\n1212,0.004,0.005\n1213,0.006,0.006\n4420,0.008,0.008\n';
const V2 = 'prefix,interstate,intrastate\n1212,0.003,0.005\n1214,0.007,0.007\n4420,0.008,0.008\n';

interface Node {
  engine: RoutingEngine;
  versions: DeckVersions;
  store: PgDeckVersionStore;
  pool: pg.Pool;
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(missing !== '')('rate deck versions shared through PostgreSQL', () => {
  let server: PostgresServer;
  const nodes: Node[] = [];

  async function startNode(name: string): Promise<Node> {
    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    // As the switch does: an idle connection's error (the server stopping) must not be an exception.
    pool.on('error', () => undefined);
    await migratePg(pool);
    const dataDir = await mkdtemp(join(tmpdir(), `ssw-decks-${name}-`));
    const engine = await RoutingEngine.load({}, { dataDir });
    const store = new PgDeckVersionStore(pool, name, silentLogger);
    const versions = new DeckVersions({ engine, store, dataDir });
    await versions.followStore();
    const n = { engine, versions, store, pool };
    nodes.push(n);
    return n;
  }

  async function importDeck(n: Node, csv: string): Promise<number> {
    const u = await n.versions.upload('ixc-b');
    await u.push(Buffer.from(csv));
    const v = await u.finish('ops');
    expect(v.status).toBe('valid');
    return v.id;
  }

  const rate = (n: Node, number: string) => n.engine.lookup({ called: number, at: NOON }).candidates.find((c) => c.carrier === 'ixc-b')?.rate;

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) {
      await n.store.close();
      await n.engine.close();
      await n.pool.end();
    }
    await server?.stop();
  });

  it('an activation on node A is followed by node B (body from the store, no API call on B)', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    const before = rate(b, '12125551234');
    const v1 = await importDeck(a, V1);
    expect(rate(b, '12125551234')).toBe(before);
    await a.versions.activate(v1, 'ops');
    expect(rate(a, '12125551234')).toBe(0.004);
    await until(() => rate(b, '12125551234') === 0.004, 'node B to route with version 1');
    expect(b.engine.deckVersion('ixc-b')).toBe(a.engine.deckVersion('ixc-b'));
    expect(await b.versions.activeVersion('ixc-b')).toBe(v1);
  });

  it('a rollback on A is followed by B; B can activate a version A imported', async () => {
    const [a, b] = nodes;
    const v2 = await importDeck(a, V2);
    await a.versions.activate(v2, 'ops');
    await until(() => rate(b, '12125551234') === 0.003, 'node B to route with version 2');
    expect(rate(b, '12145551234')).toBe(0.007);
    await a.versions.rollback('ixc-b', 'ops');
    await until(() => rate(b, '12125551234') === 0.004, 'node B to follow the rollback');
    expect(rate(b, '12145551234')).not.toBe(0.007);
    // B activates v2 itself: its body was fetched already or comes from the store now; A follows B.
    await b.versions.activate(v2, 'ops-b');
    expect(rate(b, '12125551234')).toBe(0.003);
    await until(() => rate(a, '12125551234') === 0.003, 'node A to follow node B');
    const diff = await b.versions.diff(v2 - 1, v2, 10);
    expect(diff).toBeDefined();
  });

  it('a node started later installs the activation current in the store', async () => {
    const c = await startNode('node-c');
    expect(rate(c, '12125551234')).toBe(0.003);
    expect(c.engine.deckVersion('ixc-b')).toBe(nodes[0].engine.deckVersion('ixc-b'));
  });
});
