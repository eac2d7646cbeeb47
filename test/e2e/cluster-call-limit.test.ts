/**
 * A trunk customer's concurrent-call limit holds across a cluster: two switch processes sharing
 * call counts in a redis-server started by the test, the tandem simulator in its own process as
 * their SG. SIPp hammers the same customer (limit 10) at both nodes at once with calls held 4 s;
 * the calls up across both nodes never exceed 10, exactly 10 complete, and every other one is
 * refused with 503 and Q.850 cause 34, counted as `customer-limit` on the node that refused it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { redisMissing, startRedis, type RedisServer } from '../helpers/redis.js';
import { activeCalls, nodeReady, planCluster, spawnSoftswitch, stopProc, type ClusterPlan, type Proc } from '../helpers/cluster.js';

const missing = [hasSipp() ? '' : 'sipp (sip-tester) not installed', redisMissing()].filter(Boolean).join(', ');
if (missing) console.warn(`skipping cluster call-limit test: ${missing}`);

const LIMIT = 10;
const PER_NODE = 30;

describe.skipIf(missing !== '')('a customer\'s call limit across two nodes', () => {
  let redisServer: RedisServer;
  let plan: ClusterPlan;
  const procs: Proc[] = [];

  beforeAll(async () => {
    redisServer = await startRedis();
    plan = await planCluster({
      dir: mkdtempSync(join(tmpdir(), 'ssw-limit-')),
      redisUrl: redisServer.url,
      maxCalls: LIMIT,
      nodes: [
        { name: 'n1', cics: { first: 1, count: 24 } },
        { name: 'n2', cics: { first: 25, count: 24 } },
      ],
    });
    const [, n2] = plan.nodes;
    procs.push(await spawnSoftswitch(['tandem-sim', '--config', plan.tandemFile], `node n2 ASP on SCTP/UDP port ${n2.sgPort}`));
    for (const n of plan.nodes) procs.push(await spawnSoftswitch(['start', '--config', n.file], 'admin API'));
    await Promise.all(plan.nodes.map((n) => nodeReady(n, plan.token)));
  }, 120_000);

  afterAll(async () => {
    for (const p of procs.reverse()) await stopProc(p);
    await redisServer?.stop();
  }, 60_000);

  const limitRefusals = async (apiPort: number) => {
    const body = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`, { headers: { authorization: `Bearer ${plan.token}` } })).text();
    return Number(/^softswitch_sip_reject_total\{[^}]*reason="customer-limit"[^}]*\} (\S+)$/m.exec(body)?.[1] ?? 0);
  };

  it('never admits more than the limit cluster-wide while both nodes are hammered at once', async () => {
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const up = (await Promise.all(plan.nodes.map((n) => activeCalls(n, plan.token)))).reduce((sum, calls) => sum + calls.length, 0);
        peak = Math.max(peak, up);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    const hammer = (port: number) =>
      runSipp({ scenario: 'uac', target: `127.0.0.1:${port}`, timeoutS: 60, args: ['-s', '12125550150', '-m', String(PER_NODE), '-r', '100', '-l', String(PER_NODE), '-d', '4000', '-recv_timeout', '10000'] });
    const results = await Promise.all(plan.nodes.map((n) => hammer(n.sipPort)));
    sampling = false;
    await sampler;
    const completed = results.reduce((s, r) => s + r.stats.successful, 0);
    const refusedMetric = (await Promise.all(plan.nodes.map((n) => limitRefusals(n.apiPort)))).reduce((a, b) => a + b, 0);
    const figures = { limit: LIMIT, offered: 2 * PER_NODE, completed, perNode: results.map((r) => r.stats.successful), peakUp: peak, refusedCustomerLimit: refusedMetric };
    console.log(`CLUSTER call limit: ${JSON.stringify(figures)}`);
    expect(peak).toBeLessThanOrEqual(LIMIT);
    expect(completed).toBe(LIMIT);
    expect(refusedMetric).toBe(2 * PER_NODE - LIMIT);
    for (const r of results) expect(r.stats.successful + r.stats.failed).toBe(PER_NODE);
  }, 120_000);
});
