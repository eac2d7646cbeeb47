/**
 * The shared store against a real PostgreSQL 15 started by the test (initdb in a temp dir).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Cdr } from '../../src/calls/cdr.js';
import { openPgStore, redact } from '../../src/store/pg-store.js';
import { PG_MIGRATIONS } from '../../src/store/pg-migrations.js';
import { openStore } from '../../src/store/open.js';
import type { SwitchStore } from '../../src/store/store.js';
import { silentLogger } from '../../src/util/log.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const missing = postgresMissing();
if (missing) console.warn(`skipping PostgreSQL store tests: ${missing}`);

const base: Cdr = {
  callId: 'x', direction: 'sip-to-isup', called: '12125550100', startTime: '2026-11-25T10:00:00.000Z',
  endTime: '2026-11-25T10:00:11.000Z', durationMs: 11_000, billableMs: 0, cause: 16,
};

describe.skipIf(missing !== '')('PostgreSQL store', () => {
  let server: PostgresServer;
  const opened: SwitchStore[] = [];
  const open = async (node: string) => {
    const s = await openPgStore({ url: server.url, node, logger: silentLogger });
    opened.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => undefined);
    await server?.stop();
  });

  it('migrates once when several nodes open it at the same time', async () => {
    const [a, b, c] = await Promise.all([open('m-a'), open('m-b'), open('m-c')]);
    expect([a.kind, b.kind, c.kind]).toEqual(['postgres', 'postgres', 'postgres']);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const rows = (await client.query('SELECT version FROM schema_migrations ORDER BY version')).rows;
    await client.end();
    expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version })));
  });

  it('round-trips every CDR field, and a call id is stored once however often it is written', async () => {
    const s = await open('rt');
    const full: Cdr = {
      ...base, callId: 'rt-1', sipCallId: 'abc@h', customer: 'cust', calling: '3125550100', routedNumber: '12125550100', lrn: '2125559999',
      carrier: 'ilec', trunkGroup: 'tg-ilec', cic: 7, rate: 0.0123, deckVersion: '0123456789abcdef', charge: 0.00205, jurisdiction: 'interstate', answerTime: '2026-11-25T10:00:01.000Z',
      billableMs: 10_000, sipStatus: 200, releasedBy: 'caller', gatewayEndpoint: 'ds/ds1-1/7@mgw', inTrunkGroup: 'tg-in', inCic: 3, target: 'sip:1@h', interrupted: false,
    };
    s.cdrs.write(full);
    s.cdrs.write(full);
    await s.cdrs.insert(full);
    await s.cdrs.flush();
    const got = (await s.cdrs.list({ limit: 100 })).filter((c) => c.callId === 'rt-1');
    expect(got).toHaveLength(1);
    const { id, ...rest } = got[0];
    expect(id).toBeGreaterThan(0);
    expect(rest).toEqual(full);
    expect((await s.cdrs.ratedSince('2026-11-25T00:00:00.000Z')).filter((r) => r.customer === 'cust')).toEqual([{ customer: 'cust', rate: 0.0123, billableMs: 10_000, endTime: full.endTime }]);
  });

  it('keeps each node its own journal: a restarted node recovers its own answered calls only, once', async () => {
    const a = await open('node-a');
    const b = await open('node-b');
    await a.journal.heartbeat(new Date('2026-11-25T10:00:30.000Z'));
    await a.journal.answered({ ...base, callId: 'a-up', answerTime: '2026-11-25T10:00:02.000Z' });
    await b.journal.answered({ ...base, callId: 'b-up', answerTime: '2026-11-25T10:00:02.000Z' });
    // A call answered and ended at once: its journal insert and its CDR commit race on two connections.
    void a.journal.answered({ ...base, callId: 'a-done', answerTime: '2026-11-25T10:00:02.000Z' });
    a.cdrs.write({ ...base, callId: 'a-done' });
    await a.cdrs.flush();

    const now = new Date('2026-11-25T11:00:00.000Z');
    const recovered = await a.journal.recover(now);
    expect(recovered.map((c) => c.callId)).toEqual(['a-up']);
    expect(recovered[0]).toMatchObject({ interrupted: true, cause: 41, endTime: '2026-11-25T10:00:30.000Z', billableMs: 28_000 });
    for (const c of recovered) a.cdrs.write(c);
    await a.cdrs.flush();
    expect(await a.journal.recover(now)).toEqual([]);
    expect((await b.journal.recover(now)).map((c) => c.callId)).toEqual(['b-up']);
    const all = await a.cdrs.list({ limit: 1000 });
    expect(all.filter((c) => c.callId === 'a-up')).toHaveLength(1);
    expect(all.find((c) => c.callId === 'a-up')?.interrupted).toBe(true);
  });

  it('commits a batch of CDRs written in one turn in one go, newest first on read', async () => {
    const s = await open('batch');
    for (let i = 0; i < 1200; i++) s.cdrs.write({ ...base, callId: `batch-${i}` });
    await s.cdrs.flush();
    const got = (await s.cdrs.list({ limit: 10_000 })).filter((c) => c.callId.startsWith('batch-'));
    expect(got).toHaveLength(1200);
    expect(got[0].callId).toBe('batch-1199');
  });

  it('is chosen by configuration, and a bad URL fails with the store error naming the server without its password', async () => {
    const s = await openStore({ kind: 'postgres', url: server.url, poolSize: 2 }, { dataDir: '/nonexistent', node: 'cfg', logger: silentLogger });
    opened.push(s);
    expect(s.kind).toBe('postgres');
    const bad = `postgres://ssw:hunter2@127.0.0.1:${server.port + 1}/postgres`;
    const err = await openStore({ kind: 'postgres', url: bad, poolSize: 1 }, { dataDir: '/x', node: 'bad', logger: silentLogger }).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'SSW_ERR_STORE_OPEN' });
    expect((err as Error).message).not.toContain('hunter2');
    expect(redact(bad)).toContain('ssw:***@');
  }, 30_000);
});
