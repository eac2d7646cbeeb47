/**
 * Calls per second through one switch node and through two, against the same tandem simulator
 * (one AS in loadshare, each node owning half the CICs), CDRs in PostgreSQL and counts in Redis,
 * every component its own process as in the two-node test. SIPp offers 200 short calls (answer,
 * immediate BYE) at 100/s per node, first at node n1 alone, then at both nodes at once; the rate is
 * completed calls over the wall time (failed calls, listed in the note, are mostly the switch's
 * own overload refusals, 503, when the machine is loaded). The ratio shows whether throughput grows with nodes — on one shared 2-core
 * machine the nodes, the tandem, PostgreSQL and the SIPps compete for the same cores, so it is a
 * floor for what two machines would show.
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasSipp, runSipp } from '../test/helpers/sipp.js';
import { postgresMissing, startPostgres } from '../test/helpers/postgres.js';
import { redisMissing, startRedis } from '../test/helpers/redis.js';
import { nodeReady, planCluster, spawnSoftswitch, stopProc, type ClusterNodePlan, type Proc } from '../test/helpers/cluster.js';
import type { Benchmark, BenchResult } from './harness.js';

const CALLS = 200;
const RATE = 100;

async function drive(nodes: ClusterNodePlan[], calls = CALLS): Promise<{ rate: number; ok: number; failed: number }> {
  const started = Date.now();
  const runs = await Promise.all(
    nodes.map((n) =>
      runSipp({ scenario: 'uac', target: `127.0.0.1:${n.sipPort}`, timeoutS: 40, args: ['-s', '12125550150', '-m', String(calls), '-r', String(RATE), '-l', '100', '-d', '0', '-recv_timeout', '5000'] }),
    ),
  );
  const seconds = (Date.now() - started) / 1000;
  const ok = runs.reduce((s, r) => s + r.stats.successful, 0);
  return { rate: ok / seconds, ok, failed: runs.reduce((s, r) => s + r.stats.failed, 0) };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'cluster-calls',
    async run(): Promise<BenchResult[]> {
      const missing = [hasSipp() ? '' : 'sipp', postgresMissing(), redisMissing()].filter(Boolean).join(', ');
      if (missing) return [{ name: 'cluster-calls-per-second', value: 0, unit: 'calls/s', note: `skipped: ${missing}` }];
      const [pgServer, redisServer] = await Promise.all([startPostgres(), startRedis()]);
      const procs: Proc[] = [];
      try {
        const plan = await planCluster({
          dir: mkdtempSync(join(tmpdir(), 'ssw-bench-cluster-')),
          pgUrl: pgServer.url,
          redisUrl: redisServer.url,
          logLevel: 'error',
          answerDelayMs: 0,
          nodes: [
            { name: 'n1', cics: { first: 1, count: 200 } },
            { name: 'n2', cics: { first: 201, count: 200 } },
          ],
        });
        procs.push(await spawnSoftswitch(['tandem-sim', '--config', plan.tandemFile], 'node n2 ASP on SCTP/UDP port', 90_000));
        for (const n of plan.nodes) procs.push(await spawnSoftswitch(['start', '--config', n.file], 'admin API', 90_000));
        await Promise.all(plan.nodes.map((n) => nodeReady(n, plan.token, 60_000)));
        await drive(plan.nodes, 20); // warm-up: JIT, PostgreSQL pool, SCTP
        const one = await drive([plan.nodes[0]]);
        const two = await drive(plan.nodes);
        const cpu = `${availableParallelism()} CPUs, load ${loadavg()[0].toFixed(1)}`;
        return [
          { name: 'cluster-calls-per-second-one-node', value: Math.round(one.rate), unit: 'calls/s', note: `${one.ok} calls completed, ${one.failed} failed; ${cpu}` },
          {
            name: 'cluster-calls-per-second-two-nodes',
            value: Math.round(two.rate),
            unit: 'calls/s',
            baseline: Math.round(one.rate),
            ratio: Number((two.rate / one.rate).toFixed(2)),
            note: `${two.ok} calls completed, ${two.failed} failed; same tandem, same machine (${cpu})`,
          },
        ];
      } finally {
        for (const p of procs.reverse()) await stopProc(p);
        await pgServer.stop();
        await redisServer.stop();
      }
    },
  },
];
