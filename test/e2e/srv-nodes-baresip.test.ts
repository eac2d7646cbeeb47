/**
 * SIP spread across switch nodes by DNS SRV (issue 9): `_sip._udp.switch.lab` in a real DNS server
 * (dnsmasq) names two switch nodes (priority 10 and 20) sharing registrations through Redis. Two
 * baresip phones (libre does RFC 3263 itself, pointed at dnsmasq with `dns_server`) register to
 * `sip:switch.lab` and land on the priority-10 node; a call between them is answered there. The
 * node is stopped; the next call from the same phone lands on the other node: libre tries the
 * next SRV target after Timer B (32 s). It does not remember the dead target, so each new
 * transaction (the INVITE again with credentials after the 407) starts at the dead node again:
 * the call is established through node 2 after a second Timer B (about 64 s), and its CDR is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { Baresip, hasBaresip } from '../helpers/baresip.js';
import { dnsmasqMissing, startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { redisMissing, startRedis, type RedisServer } from '../helpers/redis.js';
import { freeUdpPort } from '../helpers/sipp.js';

const missing = [hasBaresip() ? '' : 'baresip not installed', dnsmasqMissing(), redisMissing()].filter(Boolean).join(', ');
if (missing) console.warn(`skipping SIP spread across nodes by DNS SRV: ${missing}`);

describe.skipIf(missing !== '')('SIP spread across nodes by DNS SRV: baresip → _sip._udp.switch.lab → two switch nodes', () => {
  let redis: RedisServer;
  let dns: Dnsmasq;
  const nodes: RunningSwitch[] = [];
  const ports: number[] = [];
  const phones: Baresip[] = [];
  let stopped = false;

  beforeAll(async () => {
    redis = await startRedis();
    ports.push(await freeUdpPort(), await freeUdpPort());
    dns = await startDnsmasq(
      [
        '--host-record=n1.switch.lab,127.0.0.1',
        '--host-record=n2.switch.lab,127.0.0.1',
        `--srv-host=_sip._udp.switch.lab,n1.switch.lab,${ports[0]},10,100`,
        `--srv-host=_sip._udp.switch.lab,n2.switch.lab,${ports[1]},20,100`,
      ],
      { ttlS: 60 },
    );
    for (const [i, port] of ports.entries()) {
      const { ssw } = await startLabSwitch({
        node: { name: `srv-n${i + 1}` },
        sip: { port, unknownSources: 'accept' },
        cluster: { redis: { url: redis.url, keyPrefix: `srv-${process.pid}:` } },
        lab: { startOsmoMgw: false },
        mgcp: { localPort: 0, gateways: [] },
        class5: {
          enabled: true,
          // One nonce key for the cluster: a request authorised at one node is good at the other after failover.
          auth: { algorithms: ['MD5'], nonceSecret: 'srv-cluster-nonce-key-0123456789' },
          tenants: [{ id: 'lab', domain: 'switch.lab', extensions: [{ number: '1001', password: 'secret1001' }, { number: '1002', password: 'secret1002' }] }],
        },
      });
      nodes.push(ssw);
    }
  }, 60_000);

  afterAll(async () => {
    for (const p of phones) await p.stop();
    for (const [i, n] of nodes.entries()) if (i !== 0 || !stopped) await n.stop();
    await dns?.stop();
    await redis?.stop();
  });

  /** Registrations a node sees for the tenant. */
  const registered = async (ssw: RunningSwitch) =>
    ((await ssw.api.inject({ url: '/api/v1/registrations?tenant=lab' })).json() as { registrations: Array<{ aor: string }> }).registrations.map((r) => r.aor).sort();

  it('both phones register to sip:switch.lab through SRV and land on the priority-10 node; the other node sees them through Redis', async () => {
    for (const [n, pw] of [['1001', 'secret1001'], ['1002', 'secret1002']]) {
      const p = await Baresip.start({ aor: `sip:${n}@switch.lab`, password: pw, outbound: 'switch.lab', dnsServer: dns.server, autoAnswer: n === '1002' });
      phones.push(p);
      await p.waitFor((e) => e.type === 'REGISTER_OK', `${n} REGISTER_OK`, 20_000);
    }
    expect(dns.queries()).toContain('SRV _sip._udp.switch.lab');
    expect(await registered(nodes[0])).toEqual(['sip:1001@switch.lab', 'sip:1002@switch.lab']);
    await until(async () => (await registered(nodes[1])).length === 2, 'node 2 to see both registrations', 10_000);
  }, 60_000);

  it('a call 1001 → 1002 is answered through the priority-10 node', async () => {
    const [caller] = phones;
    const before = (await nodes[0].cdrs.list()).length;
    caller.command('dial', 'sip:1002@switch.lab');
    await caller.waitFor((e) => e.type === 'CALL_ESTABLISHED', 'CALL_ESTABLISHED via node 1', 20_000);
    caller.command('hangup');
    await caller.waitFor((e) => e.type === 'CALL_CLOSED', 'CALL_CLOSED', 10_000);
    await until(async () => (await nodes[0].cdrs.list()).length > before, 'a CDR on node 1', 10_000);
  }, 40_000);

  it('node 1 stops: the next call from the same phone is established through the priority-20 node (libre moves on after Timer B)', async () => {
    await nodes[0].stop();
    stopped = true;
    const [caller] = phones;
    const invites = async () => {
      const m = (await nodes[1].registry.getMetricsAsJSON()).find((x) => x.name === 'softswitch_sip_messages_received_total');
      return (m?.values ?? []).filter((v) => v.labels.kind === 'INVITE').reduce((n, v) => n + v.value, 0);
    };
    const before = await invites();
    const t0 = Date.now();
    const earlier = new Set(caller.events);
    caller.command('dial', 'sip:1002@switch.lab');
    await until(async () => (await invites()) > before, 'an INVITE from baresip at node 2', 45_000);
    console.log(`baresip's INVITE reached node 2 ${Date.now() - t0} ms after the dial (node 1 stopped)`);
    // Node 2 challenges; libre sends the INVITE with credentials to the priority-10 node again and,
    // after another Timer B, to node 2, which answers it (the callee's binding is shared in Redis).
    const cdrsBefore = (await nodes[1].cdrs.list()).length;
    await caller.waitFor((e) => e.type === 'CALL_ESTABLISHED' && !earlier.has(e), 'CALL_ESTABLISHED via node 2', 80_000);
    console.log(`the call was established through node 2 ${Date.now() - t0} ms after the dial`);
    caller.command('hangup');
    await caller.waitFor((e) => e.type === 'CALL_CLOSED' && !earlier.has(e), 'CALL_CLOSED', 10_000);
    await until(async () => (await nodes[1].cdrs.list()).length > cdrsBefore, 'a CDR on node 2', 10_000);
    const cdr = (await nodes[1].cdrs.list())[0];
    expect(cdr.answerTime).toBeDefined();
  }, 150_000);
});
