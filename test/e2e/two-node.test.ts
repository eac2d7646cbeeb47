/**
 * Past one machine, on one machine: PostgreSQL and Redis started by the test, the tandem
 * simulator as the SG in its own process, and two switch processes, each an ASP of the same AS
 * in loadshare mode owning half of the trunk group's CICs, CDRs in the shared PostgreSQL, call
 * counts in Redis. SIPp calls run at both; node n2 is killed with SIGKILL while calls are up.
 * The SG clears only n2's circuits, n1's calls in progress complete and n1 takes new calls; every
 * call SIPp completed has exactly one CDR in PostgreSQL (n2's too, once n2 is back and has
 * recovered its journal), and n2's counts leave Redis once its heartbeat expires.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { redisMissing, startRedis, type RedisServer } from '../helpers/redis.js';
import { activeCalls, nodeReady, planCluster, spawnSoftswitch, stopProc, type ClusterPlan, type Proc } from '../helpers/cluster.js';
import { until } from '../helpers/lab-switch.js';

const missing = [hasSipp() ? '' : 'sipp (sip-tester) not installed', postgresMissing(), redisMissing()].filter(Boolean).join(', ');
if (missing) console.warn(`skipping two-node test: ${missing}`);

describe.skipIf(missing !== '')('two switch nodes, one AS in loadshare, shared PostgreSQL and Redis', () => {
  let pgServer: PostgresServer;
  let redisServer: RedisServer;
  let plan: ClusterPlan;
  let tandem: Proc | undefined;
  const nodes = new Map<string, Proc>();

  beforeAll(async () => {
    [pgServer, redisServer] = await Promise.all([startPostgres(), startRedis()]);
    plan = await planCluster({
      dir: mkdtempSync(join(tmpdir(), 'ssw-2node-')),
      pgUrl: pgServer.url,
      redisUrl: redisServer.url,
      nodes: [
        { name: 'n1', cics: { first: 1, count: 12 } },
        { name: 'n2', cics: { first: 13, count: 12 } },
      ],
    });
  }, 90_000);

  afterAll(async () => {
    for (const p of nodes.values()) await stopProc(p);
    await stopProc(tandem);
    await pgServer?.stop();
    await redisServer?.stop();
  }, 60_000);

  it('survives one node killed mid-call: the other keeps serving, and every completed call has one CDR', async () => {
    const [n1, n2] = plan.nodes;
    tandem = await spawnSoftswitch(['tandem-sim', '--config', plan.tandemFile], `node n2 ASP on SCTP/UDP port ${n2.sgPort}`);
    for (const n of plan.nodes) nodes.set(n.name, await spawnSoftswitch(['start', '--config', n.file], 'admin API'));
    await Promise.all(plan.nodes.map((n) => nodeReady(n, plan.token)));

    // Calls held 4 s at both nodes; n2 is killed while its calls are up.
    const call = (port: number, count: number, holdMs: number) =>
      runSipp({ scenario: 'uac', target: `127.0.0.1:${port}`, timeoutS: 60, args: ['-s', '12125550150', '-m', String(count), '-r', '4', '-l', '8', '-d', String(holdMs), '-recv_timeout', '8000'] });
    const atN1 = call(n1.sipPort, 16, 4000);
    const atN2 = call(n2.sipPort, 16, 4000);
    await until(async () => (await activeCalls(n2, plan.token)).filter((c) => c.state === 'answered').length >= 4, 'answered calls on n2', 20_000);
    const n1Before = await activeCalls(n1, plan.token);
    expect(n1Before.every((c) => c.cic === undefined || (c.cic >= 1 && c.cic <= 12))).toBe(true);
    const n2Up = (await activeCalls(n2, plan.token)).filter((c) => c.state === 'answered');
    expect(n2Up.every((c) => c.cic !== undefined && c.cic >= 13 && c.cic <= 24)).toBe(true);
    await stopProc(nodes.get('n2'), 'SIGKILL');

    // The SG takes n2's ASP down when it falls silent and clears its circuits only.
    await until(() => /switch node ASP down[^\n]*"node":"n2"|"node":"n2"[^\n]*switch node ASP down/.test(tandem!.out()), 'the tandem to take n2 down', 15_000);
    const r1: SippResult = await atN1;
    expect(r1.exitCode, r1.stdout.slice(-1500)).toBe(0);
    expect(r1.stats.successful).toBe(16);
    const r2: SippResult = await atN2;
    expect(r2.stats.failed).toBeGreaterThan(0);

    // n1 keeps serving new calls.
    const after = await call(n1.sipPort, 12, 500);
    expect(after.exitCode, after.stdout.slice(-1500)).toBe(0);
    expect(after.stats.successful).toBe(12);

    // n2's call counts leave Redis with its heartbeat (3 s TTL).
    const redis = new Redis(redisServer.url);
    try {
      await until(async () => (await redis.exists('ssw:calls:n2')) === 0 && (await redis.zscore('ssw:nodes', 'n2')) === null, 'n2 to leave Redis', 15_000);
    } finally {
      redis.disconnect();
    }

    // n2 comes back: its journal turns the calls that were up at the kill into interrupted CDRs.
    nodes.set('n2', await spawnSoftswitch(['start', '--config', n2.file], 'admin API'));
    await nodeReady(n2, plan.token);

    const db = new pg.Client({ connectionString: pgServer.url });
    await db.connect();
    try {
      const rows = (await db.query<{ node: string; sip_call_id: string; sip_status: number | null; interrupted: boolean | null; cic: number | null }>('SELECT node, sip_call_id, sip_status, interrupted, cic FROM cdrs')).rows;
      const count = new Map<string, number>();
      for (const r of rows) count.set(r.sip_call_id, (count.get(r.sip_call_id) ?? 0) + 1);
      expect([...count.entries()].filter(([, n]) => n > 1)).toEqual([]);
      const n1Rows = rows.filter((r) => r.node === 'n1');
      expect(n1Rows.filter((r) => r.sip_status === 200 && !r.interrupted)).toHaveLength(28);
      expect(n1Rows.every((r) => r.cic !== null && r.cic >= 1 && r.cic <= 12)).toBe(true);
      const n2Rows = rows.filter((r) => r.node === 'n2');
      // Every call SIPp completed at n2 is recorded (normally, or as interrupted if the kill beat its commit)…
      expect(n2Rows.filter((r) => r.sip_status === 200).length).toBeGreaterThanOrEqual(r2.stats.successful);
      // …and every call that was up at the kill, once, as interrupted.
      expect(n2Rows.filter((r) => r.interrupted).length).toBeGreaterThanOrEqual(n2Up.length);
      expect(n2Rows.every((r) => r.cic !== null && r.cic >= 13 && r.cic <= 24)).toBe(true);
    } finally {
      await db.end();
    }
  }, 240_000);
});
