/**
 * RFC 3263 end to end at the SIP stack: `sip:…@carrier.lab` located through a real DNS server
 * (dnsmasq: NAPTR → SRV → A) to SIPp UASes on loopback. The priority-10 server answers → used;
 * it answers 503 → the priority-20 one gets the call (new branch); it is not running → the call
 * moves on after the no-response failover time and the dead one is tried last afterwards; equal
 * priority with weights 3:1 spreads calls about 3:1; an OPTIONS request fails over too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { EmbeddedSignallingPort } from '../../../src/sip/embedded-adapter.js';
import { sipConfigSchema } from '../../../src/sip/config.js';
import { systemClock } from '../../../src/util/clock.js';
import { createLogger } from '../../../src/util/log.js';
import { dnsmasqMissing, startDnsmasq, type Dnsmasq } from '../../helpers/dnsmasq.js';
import { freeUdpPort, hasSipp, runSipp } from '../../helpers/sipp.js';

const scenario = (name: string) => new URL(`../../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : dnsmasqMissing();
if (missing) console.warn(`skipping RFC 3263 failover tests with SIPp: ${missing}`);

const SDP = 'v=0\r\no=ssw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing !== '')('RFC 3263 location and failover: the stack to SIPp UASes found by NAPTR/SRV in dnsmasq', () => {
  let dns: Dnsmasq;
  let port: EmbeddedSignallingPort;
  const registry = new Registry();
  /** Where each INVITE/OPTIONS left for: the port it was sent to, in order. */
  const sent: { method: string; port: number; branch: string }[] = [];
  const ports = { a: 0, b: 0, wa: 0, wb: 0, dead: 0, b2: 0, oa: 0, ob: 0 };

  beforeAll(async () => {
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freeUdpPort();
    dns = await startDnsmasq(
      [
        '--host-record=a.carrier.lab,127.0.0.1',
        '--host-record=b.carrier.lab,127.0.0.1',
        '--naptr-record=carrier.lab,10,10,S,SIP+D2U,,_sip._udp.carrier.lab',
        `--srv-host=_sip._udp.carrier.lab,a.carrier.lab,${ports.a},10,100`,
        `--srv-host=_sip._udp.carrier.lab,b.carrier.lab,${ports.b},20,100`,
        `--srv-host=_sip._udp.dead.lab,a.carrier.lab,${ports.dead},10,100`,
        `--srv-host=_sip._udp.dead.lab,b.carrier.lab,${ports.b2},20,100`,
        `--srv-host=_sip._udp.options.lab,a.carrier.lab,${ports.oa},10,100`,
        `--srv-host=_sip._udp.options.lab,b.carrier.lab,${ports.ob},20,100`,
        // No NAPTR here: SRV straight away, one priority, weights 3:1.
        `--srv-host=_sip._udp.weighted.lab,a.carrier.lab,${ports.wa},10,75`,
        `--srv-host=_sip._udp.weighted.lab,b.carrier.lab,${ports.wb},10,25`,
      ],
      { ttlS: 60 },
    );
    const dnsConfig = sipConfigSchema.parse({ dns: { servers: [dns.server], noResponseFailoverMs: 800, failedTargetHoldS: 30 } }).dns;
    port = await EmbeddedSignallingPort.create({
      address: '127.0.0.1',
      port: 0,
      transports: ['udp'],
      logger: createLogger('silent'),
      clock: systemClock,
      registry,
      dns: dnsConfig,
      tap: (m) => {
        if (m.dir !== 'out' || !m.remote) return;
        const text = m.bytes.toString('latin1');
        const method = /^(INVITE|OPTIONS) /.exec(text)?.[1];
        if (method) sent.push({ method, port: m.remote.port, branch: /branch=([^;\r\n]+)/.exec(text)?.[1] ?? '' });
      },
    });
  });
  afterAll(async () => {
    await port?.close();
    await dns?.stop();
  });

  /** One call to `uri` with SIPp UASes running as given; the INVITE destinations, first send per branch. */
  async function call(uri: string, peers: { port: number; scenario: string; calls?: number }[]) {
    sent.length = 0;
    const sipps = peers.map((p) => runSipp({ scenario: p.scenario, localPort: p.port, timeoutS: 20, args: ['-m', String(p.calls ?? 1)] }));
    await sleep(400);
    let outcome: string;
    const t0 = Date.now();
    let answerMs = -1;
    try {
      const d = await port.createUAC(uri, { localSdp: SDP, from: '3125550199' });
      answerMs = Date.now() - t0;
      await d.destroy();
      outcome = 'answered';
    } catch (err) {
      outcome = `rejected ${(err as { status?: number }).status}`;
    }
    const results = await Promise.all(sipps);
    const firstSends = sent.filter((s, i) => s.method === 'INVITE' && sent.findIndex((x) => x.branch === s.branch) === i).map((s) => s.port);
    return { outcome, results, firstSends, answerMs };
  }

  it('the priority-10 server answers: the call is its, nothing goes to the priority-20 one', async () => {
    const r = await call('sip:2125550100@carrier.lab', [{ port: ports.a, scenario: 'uas' }]);
    expect(r.outcome).toBe('answered');
    expect(r.firstSends).toEqual([ports.a]);
    expect(r.results[0].exitCode, r.results[0].stdout.slice(-1500)).toBe(0);
    expect(dns.queries()).toEqual(expect.arrayContaining(['NAPTR carrier.lab', 'SRV _sip._udp.carrier.lab', 'A a.carrier.lab']));
  });

  it('the priority-10 server answers 503: a new INVITE (new branch) to the priority-20 one, which answers', async () => {
    const r = await call('sip:2125550101@carrier.lab', [
      { port: ports.a, scenario: scenario('carrier-503.xml') },
      { port: ports.b, scenario: 'uas' },
    ]);
    expect(r.outcome).toBe('answered');
    expect(r.firstSends).toEqual([ports.a, ports.b]);
    for (const s of r.results) expect(s.exitCode, s.stdout.slice(-1500)).toBe(0);
    expect(await registry.getSingleMetricAsString('softswitch_sip_target_failovers_total')).toMatch(/reason="503"} 1/);
  });

  it('after that 503 the priority-10 server is tried last for a while: the next call goes to the priority-20 one first', async () => {
    const r = await call('sip:2125550102@carrier.lab', [{ port: ports.b, scenario: 'uas' }]);
    expect(r.outcome).toBe('answered');
    expect(r.firstSends).toEqual([ports.b]);
  });

  it('the priority-10 server is not running: after 0.8 s without a response the priority-20 one gets the call; the next call goes there first', async () => {
    const r = await call('sip:2125550103@dead.lab', [{ port: ports.b2, scenario: 'uas' }]);
    const took = r.answerMs;
    expect(r.outcome).toBe('answered');
    expect(r.firstSends).toEqual([ports.dead, ports.b2]);
    expect(took).toBeGreaterThanOrEqual(750);
    expect(took).toBeLessThan(2_500);
    expect(r.results[0].exitCode, r.results[0].stdout.slice(-1500)).toBe(0);
    const again = await call('sip:2125550104@dead.lab', [{ port: ports.b2, scenario: 'uas' }]);
    expect(again.firstSends).toEqual([ports.b2]);
    expect(await registry.getSingleMetricAsString('softswitch_sip_target_failovers_total')).toMatch(/reason="no-response"} 1/);
  });

  it('OPTIONS (request()) fails over too: 503 from the first, 200 from the second', async () => {
    sent.length = 0;
    const sipps = [
      runSipp({ scenario: scenario('carrier-503-options.xml'), localPort: ports.oa, timeoutS: 15, args: ['-m', '1'] }),
      runSipp({ scenario: scenario('sip-uas-options.xml'), localPort: ports.ob, timeoutS: 15, args: ['-m', '1'] }),
    ];
    await sleep(400);
    const res = await port.request('sip:options.lab', { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(sent.filter((s) => s.method === 'OPTIONS').map((s) => s.port)).toEqual([ports.oa, ports.ob]);
    for (const s of await Promise.all(sipps)) expect(s.exitCode, s.stdout.slice(-1500)).toBe(0);
  });

  it('a name with no records: the call is refused locally with 503 (DNS: no-targets), nothing is sent', async () => {
    const r = await call('sip:2125550105@nowhere.lab', []);
    expect(r.outcome).toBe('rejected 503');
    expect(r.firstSends).toEqual([]);
  });

  it('weights 3:1 in one priority spread 200 calls about 3:1', async () => {
    const n = 200;
    const pids: number[] = [];
    const sipps = [ports.wa, ports.wb].map((p) => runSipp({ scenario: 'uas', localPort: p, timeoutS: 60, args: ['-m', String(n)], onSpawn: (pid) => pids.push(pid) }));
    await sleep(400);
    sent.length = 0;
    let answered = 0;
    for (let i = 0; i < n; i++) {
      const d = await port.createUAC(`sip:2125552${String(i).padStart(3, '0')}@weighted.lab`, { localSdp: SDP });
      await d.destroy();
      answered++;
    }
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    await Promise.all(sipps);
    const toA = sent.filter((s) => s.method === 'INVITE' && s.port === ports.wa).length;
    const toB = sent.filter((s) => s.method === 'INVITE' && s.port === ports.wb).length;
    console.log(`weighted SRV 75/25 over ${n} calls: ${toA} to A, ${toB} to B`);
    expect(answered).toBe(n);
    expect(toA + toB).toBe(n);
    // Binomial(200, 0.75): standard deviation 3.1 %; these bounds are 3 of them either side.
    expect(toA / n).toBeGreaterThan(0.65);
    expect(toA / n).toBeLessThan(0.85);
  }, 90_000);
});
