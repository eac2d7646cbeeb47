import { Registry } from 'prom-client';
/**
 * Cluster-wide state against a real redis-server started by the test: per-customer call counts
 * across nodes (one of them a separate process killed with SIGKILL), rate-limit shares, and SIP
 * registrations shared between registrars.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisClusterState } from '../../src/cluster/redis-state.js';
import { SharedRegistrations } from '../../src/cluster/registrations.js';
import { Registrar } from '../../src/class5/registrar.js';
import { FraudGuard, customerLimitsSchema, fraudConfigSchema } from '../../src/class4/admission/fraud.js';
import { CallManager } from '../../src/calls/manager.js';
import { VirtualClock, systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { redisMissing, startRedis, type RedisServer } from '../helpers/redis.js';
import { until } from '../helpers/lab-switch.js';

const missing = redisMissing();
if (missing) console.warn(`skipping Redis cluster-state tests: ${missing}`);

describe.skipIf(missing !== '')('cluster state in Redis', () => {
  let server: RedisServer;
  const closers: Array<() => Promise<void> | void> = [];
  const node = async (name: string, prefix = 'ssw:') => {
    const s = await RedisClusterState.connect({ url: server.url, keyPrefix: prefix, nodeTtlS: 2, refreshMs: 50 }, name, silentLogger);
    closers.push(() => s.close());
    return s;
  };

  beforeAll(async () => {
    server = await startRedis();
  }, 30_000);

  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await server?.stop();
  });

  it('counts a customer\'s calls on every node, and a clean stop removes a node\'s share at once', async () => {
    const a = await node('a', 'c1:');
    const b = await node('b', 'c1:');
    const managerA = new CallManager({ clock: systemClock, logger: silentLogger, writeCdr: () => undefined }, systemClock, a.counts);
    for (let i = 0; i < 3; i++) a.counts.started('acme');
    b.counts.started('acme');
    await until(() => b.counts.active('acme') === 4 && a.counts.active('acme') === 4, 'both nodes to see 4 calls', 5000);
    expect(managerA.activeFor('acme')).toBe(4);
    expect(a.liveNodes).toBe(2);
    expect(a.rateShare()).toBe(0.5);
    a.counts.ended('acme');
    await until(() => b.counts.active('acme') === 3, 'the ended call to leave the count', 5000);
    await a.close();
    await b.refresh();
    expect(b.counts.active('acme')).toBe(1);
    expect(b.liveNodes).toBe(1);
  });

  it('forgets a node killed with SIGKILL once its heartbeat expires, not before', async () => {
    const b = await node('survivor');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/cluster/fixtures/count-node.ts', server.url, 'doomed', 'acme', '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('fixture node did not start')), 20_000);
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && (clearTimeout(t), resolve()));
    });
    await until(() => b.counts.active('acme') === 5, 'the other process\'s 5 calls', 5000);
    expect(b.liveNodes).toBe(2);
    const killed = Date.now();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 500));
    await b.refresh();
    // Still counted within the TTL (2 s): a node that merely paused keeps its calls.
    if (Date.now() - killed < 1500) expect(b.counts.active('acme')).toBe(5);
    await until(() => b.counts.active('acme') === 0 && b.liveNodes === 1, 'the dead node\'s calls to stop counting', 8000);
    expect(Date.now() - killed).toBeGreaterThanOrEqual(1900);
    const probe = new Redis(server.url);
    expect(await probe.exists('ssw:calls:doomed')).toBe(0);
    probe.disconnect();
  }, 40_000);

  it('takes a customer\'s last call slots atomically: two nodes racing for them never exceed the limit', async () => {
    const a = await node('x-a', 'x:');
    const b = await node('x-b', 'x:');
    const managers = [a, b].map((n) => new CallManager({ clock: systemClock, logger: silentLogger, writeCdr: () => undefined }, systemClock, n.counts));
    // Both nodes see 0 calls; 40 admissions race for 10 slots, half at each node, all at once.
    const tries = Array.from({ length: 40 }, (_, i) => managers[i % 2].admitFor('acme', 10));
    const answers = await Promise.all(tries);
    expect(answers.filter(Boolean)).toHaveLength(10);
    const perNode = [0, 1].map((k) => answers.filter((ok, i) => ok && i % 2 === k).length);
    // The slots taken are in Redis at once, before any refresh.
    const probe = new Redis(server.url);
    closers.push(() => void probe.disconnect());
    const inRedis = async () => Number((await probe.hget('x:calls:x-a', 'acme')) ?? 0) + Number((await probe.hget('x:calls:x-b', 'acme')) ?? 0);
    expect(await inRedis()).toBe(10);
    // The calls start (using their slots, not taking more), a refresh republishes them unchanged.
    for (const [k, n] of perNode.entries()) for (let i = 0; i < n; i++) [a, b][k].counts.started('acme');
    await Promise.all([a.refresh(), b.refresh()]);
    expect(await inRedis()).toBe(10);
    expect(a.counts.active('acme')).toBe(10);
    expect(await managers[0].admitFor('acme', 10)).toBe(false);
    // One call ends at a node that holds one (the race may have given every slot to one node):
    // its slot is free at once, for either node.
    const ender = perNode[1] > 0 ? b : a;
    ender.counts.ended('acme');
    // The decrement goes over the ending node's own connection; a's reservation over a's, so wait until it landed.
    for (let i = 0; i < 100 && (await inRedis()) !== 9; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await inRedis()).toBe(9);
    expect(await managers[0].admitFor('acme', 10)).toBe(true);
    expect(await managers[1].admitFor('acme', 10)).toBe(false);
    a.counts.started('acme');
    await Promise.all([a.refresh(), b.refresh()]);
    expect(await inRedis()).toBe(10);
  });

  it('splits a customer\'s calls-per-second limit between the live nodes', async () => {
    const a = await node('r-a', 'r:');
    const b = await node('r-b', 'r:');
    await a.refresh();
    const clock = new VirtualClock(Date.parse('2026-11-30T12:00:00Z'));
    const guard = new FraudGuard([{ id: 'acme', limits: customerLimitsSchema.parse({ callsPerSecond: 4 }) }], fraudConfigSchema.parse({}), clock, silentLogger, new Registry(), () => a.rateShare());
    const admitted = () => [1, 2, 3, 4, 5].filter(() => guard.check('acme', '12125550100') === undefined).length;
    expect(admitted()).toBe(2);
    clock.advance(1000);
    await b.close();
    await a.refresh();
    expect(a.liveNodes).toBe(1);
    expect(admitted()).toBe(4);
  });

  it('shares SIP registrations: a REGISTER at one node is found at the others, expires, and is loaded by a node that starts later', async () => {
    const clock = systemClock;
    const opts = { clock, minExpiresS: 1, maxExpiresS: 3600, defaultExpiresS: 3600, maxContactsPerAor: 5 };
    const redisA = new Redis(server.url);
    const redisB = new Redis(server.url);
    closers.push(() => void redisA.disconnect(), () => void redisB.disconnect());
    const shareA = new SharedRegistrations(redisA, 'g:', 'A', silentLogger);
    const shareB = new SharedRegistrations(redisB, 'g:', 'B', silentLogger);
    const regA = new Registrar({ ...opts, onChange: shareA.changed });
    const regB = new Registrar({ ...opts, onChange: shareB.changed });
    closers.push(() => shareA.close(), () => shareB.close(), () => regA.close(), () => regB.close());
    await shareA.attach(regA);
    await shareB.attach(regB);
    const register = (contact: string, expires: string, cseq: number) =>
      regA.apply('t1', 'sip:100@t1.example', { contacts: [contact], expires, callId: 'c1', cseq, path: [], supportedPath: false, source: { address: '192.0.2.1', port: 5060 } });
    expect(register('<sip:100@192.0.2.1:5060>', '3600', 1).status).toBe(200);
    await until(() => regB.lookup('t1', 'sip:100@t1.example').length === 1, 'node B to learn the binding', 5000);
    expect(regB.lookup('t1', 'sip:100@t1.example')[0]).toMatchObject({ contact: 'sip:100@192.0.2.1:5060', callId: 'c1' });
    const ttl = await redisA.pttl('g:reg:t1:sip:100@t1.example');
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);

    // A node started later loads what is stored.
    const redisC = new Redis(server.url);
    closers.push(() => void redisC.disconnect());
    const regC = new Registrar(opts);
    const shareC = new SharedRegistrations(redisC, 'g:', 'C', silentLogger);
    closers.push(() => shareC.close(), () => regC.close());
    expect(await shareC.attach(regC)).toBe(1);
    expect(regC.lookup('t1', 'sip:100@t1.example')).toHaveLength(1);

    // Unregister: gone everywhere, and from Redis.
    expect(register('<sip:100@192.0.2.1:5060>', '0', 2).status).toBe(200);
    await until(() => regB.lookup('t1', 'sip:100@t1.example').length === 0 && regC.lookup('t1', 'sip:100@t1.example').length === 0, 'the unregistration to reach B and C', 5000);
    expect(await redisA.exists('g:reg:t1:sip:100@t1.example')).toBe(0);

    // A short registration's key expires in Redis with its binding.
    expect(register('<sip:100@192.0.2.1:5060>', '1', 3).status).toBe(200);
    await until(async () => (await redisA.exists('g:reg:t1:sip:100@t1.example')) === 0, 'the key to expire with the binding', 5000);
  }, 30_000);
});
