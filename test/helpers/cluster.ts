/**
 * A two-node cluster on one machine for tests and benchmarks: config files for switch nodes
 * (each an ASP of one AS in loadshare toward the tandem simulator, owning a CIC range, CDRs in
 * PostgreSQL, counts in Redis) and the tandem simulator, each run as its own process via
 * bin/softswitch.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken, hashToken } from '../../src/api/tokens.js';
import { freeUdpPort } from './sipp.js';
import { freeTcpPort } from './postgres.js';

export interface ClusterNodePlan {
  name: string;
  /** CICs of tg-ilec this node owns. */
  cics: { first: number; count: number };
  sipPort: number;
  apiPort: number;
  sgPort: number;
  file: string;
}

export interface ClusterPlan {
  dir: string;
  token: string;
  nodes: ClusterNodePlan[];
  tandemFile: string;
}

export async function planCluster(opts: {
  dir: string;
  pgUrl?: string;
  redisUrl?: string;
  nodes: Array<{ name: string; cics: { first: number; count: number } }>;
  answerDelayMs?: number;
  logLevel?: string;
  /** Extra lines for every node's file (e.g. overload or SIP limits for a benchmark). */
  nodeExtra?: string[];
  /** The trunk customer sipp-co's concurrent-call limit (default 200). */
  maxCalls?: number;
}): Promise<ClusterPlan> {
  const token = createToken();
  const nodes: ClusterNodePlan[] = [];
  for (const n of opts.nodes) {
    nodes.push({ ...n, sipPort: await freeUdpPort(), apiPort: await freeTcpPort(), sgPort: await freeUdpPort(), file: join(opts.dir, `${n.name}.yaml`) });
  }
  const clusterNodes = `[${nodes.map((n) => `{ name: ${n.name}, cics: [{ trunkGroup: tg-ilec, first: ${n.cics.first}, count: ${n.cics.count} }] }`).join(', ')}]`;
  const common = [
    `logLevel: ${opts.logLevel ?? 'warn'}`,
    ...(opts.pgUrl ? [`store: { kind: postgres, url: "${opts.pgUrl}" }`] : []),
    `cluster: { ${opts.redisUrl ? `redis: { url: "${opts.redisUrl}", nodeTtlS: 3, refreshMs: 200 }, ` : ''}nodes: ${clusterNodes} }`,
    'mgcp: { localPort: 0, gateways: [] }',
    'didHealth: { probeIntervalMs: 0 }',
    `trunkGroups: [{ id: tg-ilec, dpc: 2-2-2, cics: { first: 1, count: ${Math.max(...nodes.map((n) => n.cics.first + n.cics.count)) - 1} } }]`,
    'routing: { carriers: [{ id: ilec-tandem, trunkGroups: [tg-ilec], deck: config/rate-decks/ilec-tandem.csv }] }',
    `trunkCustomers: [{ id: sipp-co, sources: [127.0.0.1/32], maxCalls: ${opts.maxCalls ?? 200} }]`,
    'shutdown: { drainMs: 2000 }',
  ];
  const ss7 = (sgPort: number) => `ss7: { variant: ansi, localPointCode: 1-1-1, m3ua: { trafficMode: loadshare, routingContext: 7, beatIntervalMs: 400 }, sgs: [{ name: tandem, address: 127.0.0.1, port: ${sgPort} }] }`;
  for (const n of nodes) {
    mkdirSync(join(opts.dir, n.name), { recursive: true });
    writeFileSync(
      n.file,
      [
        `node: { name: ${n.name} }`,
        `dataDir: ${join(opts.dir, n.name)}`,
        `api: { port: ${n.apiPort}, tokens: [{ name: test, role: read-only, hash: "${hashToken(token)}" }] }`,
        `sip: { port: ${n.sipPort} }`,
        'lab: { enabled: false, startOsmoMgw: false }',
        ss7(n.sgPort),
        ...common,
        ...(opts.nodeExtra ?? []),
        '',
      ].join('\n'),
    );
  }
  const tandemFile = join(opts.dir, 'tandem.yaml');
  writeFileSync(
    tandemFile,
    [
      `dataDir: ${join(opts.dir, 'tandem')}`,
      // Each node's ASP on its own port (one association per SCTP-over-UDP socket); silent 1.5 s = down.
      `lab: { enabled: false, startOsmoMgw: false, tandemSim: { alertDelayMs: 20, answerDelayMs: ${opts.answerDelayMs ?? 50}, aspSilenceMs: 1500, asps: [${nodes.map((n) => `{ node: ${n.name}, port: ${n.sgPort} }`).join(', ')}] } }`,
      ss7(0),
      ...common.filter((l) => !l.startsWith('store:')),
      '',
    ].join('\n'),
  );
  return { dir: opts.dir, token, nodes, tandemFile };
}

export interface Proc {
  child: ChildProcess;
  out: () => string;
}

/** Spawns `bin/softswitch.js ARGS` and resolves once its output contains `ready`. */
export function spawnSoftswitch(args: string[], ready: string, timeoutMs = 30_000): Promise<Proc> {
  const child = spawn(process.execPath, ['bin/softswitch.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${args.join(' ')} not ready: ${out.slice(-2000)}`)), timeoutMs);
    const seen = (d: Buffer) => {
      out = (out + d.toString()).slice(-200_000);
      if (out.includes(ready)) {
        clearTimeout(t);
        resolve({ child, out: () => out });
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${args.join(' ')} exited (${code}): ${out.slice(-2000)}`));
    });
  });
}

export async function stopProc(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill(signal);
  await exited;
}

/** A node is ready for calls: M3UA active and its circuit resets (GRS) done. */
export async function nodeReady(node: ClusterNodePlan, token: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const h = await fetch(`http://127.0.0.1:${node.apiPort}/healthz`);
      if (h.status === 200) {
        const tgs = (await (await fetch(`http://127.0.0.1:${node.apiPort}/api/v1/isup/trunk-groups`, { headers: { authorization: `Bearer ${token}` } })).json()) as Array<{ pending: unknown[]; available: boolean }>;
        if (Array.isArray(tgs) && tgs.every((t) => t.pending.length === 0 && t.available)) return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`node ${node.name} not ready within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Active calls on a node (admin API). */
export async function activeCalls(node: ClusterNodePlan, token: string): Promise<Array<{ state: string; cic?: number }>> {
  return ((await (await fetch(`http://127.0.0.1:${node.apiPort}/api/v1/calls`, { headers: { authorization: `Bearer ${token}` } })).json()) as { calls: Array<{ state: string; cic?: number }> }).calls;
}
