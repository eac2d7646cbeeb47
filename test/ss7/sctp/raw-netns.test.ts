/**
 * SCTP over raw IPv4 between two network namespaces joined by a veth pair, one endpoint per
 * namespace (two userspace stacks in one namespace would both see every SCTP packet).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const isRoot = process.getuid?.() === 0;
/** Listing namespaces works without privileges; only creating one shows that this test can run. */
function canMakeNetns(): boolean {
  const probe = `ssw-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return false;
  const vA = `sswpa${process.pid % 100000}`;
  const veth = spawnSync('ip', ['link', 'add', vA, 'type', 'veth', 'peer', 'name', `sswpb${process.pid % 100000}`]).status === 0;
  if (veth) spawnSync('ip', ['link', 'del', vA]);
  spawnSync('ip', ['netns', 'del', probe]);
  return veth;
}
const haveNetns = isRoot && spawnSync('ip', ['netns', 'list']).status === 0 && canMakeNetns();
const skipWhy = !isRoot ? 'not root (raw IP needs CAP_NET_RAW, netns needs CAP_SYS_ADMIN)' : !haveNetns ? '`ip netns add` / veth not permitted here (container without CAP_SYS_ADMIN?)' : '';
if (skipWhy) console.warn(`skipping raw-IP SCTP test: ${skipWhy}`);

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

function runIn(ns: string, args: string[]): { done: Promise<{ code: number | null; out: string }>; ready: Promise<void>; kill: () => void } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(here, 'raw-peer.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: join(here, '../../..'),
  });
  let out = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('READY')) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; out: string }>((r) => child.on('exit', (code) => r({ code, out })));
  return { done, ready, kill: () => child.kill('SIGKILL') };
}

const result = (out: string) => JSON.parse(out.split('\n').find((l) => l.startsWith('RESULT '))?.slice(7) ?? '{}');

describe.skipIf(!!skipWhy)('SCTP over raw IP between two network namespaces', () => {
  it('associates, echoes 2,000 messages in order on 4 streams, and shuts down', async () => {
    const tag = `ssw${process.pid % 100000}`;
    const [nsA, nsB, vA, vB] = [`${tag}a`, `${tag}b`, `${tag}va`, `${tag}vb`];
    const cleanup = () => {
      spawnSync('ip', ['netns', 'del', nsA]);
      spawnSync('ip', ['netns', 'del', nsB]);
    };
    cleanup();
    let server: ReturnType<typeof runIn> | undefined;
    let client: ReturnType<typeof runIn> | undefined;
    try {
      ip('netns', 'add', nsA);
      ip('netns', 'add', nsB);
      ip('link', 'add', vA, 'type', 'veth', 'peer', 'name', vB);
      ip('link', 'set', vA, 'netns', nsA);
      ip('link', 'set', vB, 'netns', nsB);
      ip('-n', nsA, 'addr', 'add', '10.213.0.1/24', 'dev', vA);
      ip('-n', nsB, 'addr', 'add', '10.213.0.2/24', 'dev', vB);
      for (const [ns, dev] of [[nsA, vA], [nsB, vB]]) {
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', ns, 'link', 'set', dev, 'up');
      }
      server = runIn(nsB, ['server', '10.213.0.2', '2905', '10.213.0.1', '40000']);
      await Promise.race([server.ready, server.done.then((r) => Promise.reject(new Error(`server exited: ${r.out}`)))]);
      client = runIn(nsA, ['client', '10.213.0.1', '40000', '10.213.0.2', '2905', '2000']);
      const c = await client.done;
      const s = await Promise.race([server.done, new Promise<{ code: null; out: string }>((r) => setTimeout(() => r({ code: null, out: 'server still running' }), 5000))]);
      const cr = result(c.out);
      console.info(`raw-IP client: ${JSON.stringify(cr)}`);
      expect(cr, c.out).toMatchObject({ ok: true, received: 2000, errors: 0 });
      expect(c.code).toBe(0);
      expect(result(s.out), s.out).toMatchObject({ ok: true, down: 'shutdown' });
    } finally {
      server?.kill();
      client?.kill();
      cleanup();
    }
  }, 40_000);
});
