/**
 * Issue 9/11 end to end: PSTN calls (the tandem simulator's IAMs over M3UA) to DIDs whose SIP
 * target is a DNS name, `carrier.lab`, with no port. The switch locates it by RFC 3263 through a
 * real DNS server (dnsmasq: NAPTR → SRV → A) to two SIPp UASes on loopback with priorities 10
 * and 20: the first answers → the call is its; the first answers 503 → the second gets the call;
 * the first is not running → the second gets it after sip.dns.noResponseFailoverMs. Each call
 * must be answered (ANM to the tandem) and each SIPp scenario succeed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { startSwitch, type RunningSwitch } from '../../src/app/start.js';
import { createLogger } from '../../src/util/log.js';
import type { SimCallRecord } from '../../src/app/lab/tandem-sim/simulator.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { freeUdpPort, hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { until, waitAspActive } from '../helpers/lab-switch.js';
import { dnsmasqMissing, startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : dnsmasqMissing();
if (missing) console.warn(`skipping DID calls to a carrier located by DNS SRV: ${missing}`);

interface Case {
  record: SimCallRecord;
  sipps: SippResult[];
}

describe.skipIf(missing !== '')('DID calls to sip:…@carrier.lab located by NAPTR/SRV (dnsmasq) with failover', () => {
  let ssw: RunningSwitch;
  let dns: Dnsmasq;
  const ports: Record<string, number> = {};
  const cases: Record<string, Case> = {};

  beforeAll(async () => {
    for (const k of ['first', 'second', 'busyFirst', 'busySecond', 'deadFirst', 'deadSecond']) ports[k] = await freeUdpPort();
    /** A carrier domain: NAPTR to its UDP SRV, two servers on loopback at priorities 10 and 20. */
    const carrier = (domain: string, first: number, second: number) => [
      `--naptr-record=${domain},10,10,S,SIP+D2U,,_sip._udp.${domain}`,
      `--srv-host=_sip._udp.${domain},edge-a.${domain},${first},10,100`,
      `--srv-host=_sip._udp.${domain},edge-b.${domain},${second},20,100`,
      `--host-record=edge-a.${domain},127.0.0.1`,
      `--host-record=edge-b.${domain},127.0.0.1`,
    ];
    dns = await startDnsmasq([...carrier('carrier.lab', ports.first, ports.second), ...carrier('busy.carrier.lab', ports.busyFirst, ports.busySecond), ...carrier('dead.carrier.lab', ports.deadFirst, ports.deadSecond)], { ttlS: 60 });
    const config = validateConfig({
      dataDir: mkdtempSync(join(tmpdir(), 'ssw-srv-')),
      logLevel: 'warn',
      api: { port: 0 },
      sip: { port: 0, dns: { servers: [dns.server], noResponseFailoverMs: 800 } },
      mgcp: { localPort: 0 },
      calls: { sipAnswerTimeoutMs: 3000, sipTargetNoResponseMs: 3000 },
      didHealth: { probeIntervalMs: 0 },
      trunkCustomers: [
        {
          id: 'srv-co',
          sources: ['127.0.0.1/32'],
          dids: [
            { number: '2125550130', targets: [{ host: 'carrier.lab' }] },
            { number: '2125550131', targets: [{ host: 'busy.carrier.lab' }] },
            { number: '2125550132', targets: [{ host: 'dead.carrier.lab' }] },
          ],
        },
      ],
      lab: { enabled: true, startOsmoMgw: true, tandemSim: { port: 0 } },
      shutdown: { drainMs: 2000 },
    });
    ssw = await startSwitch(config, createLogger('warn'));
    await waitAspActive(ssw);
    const sim = ssw.tandem!.simulator;
    const call = async (name: string, called: string, pbxs: { scenario: string; port: number }[]) => {
      const sipps = pbxs.map((p) => runSipp({ scenario: p.scenario, localPort: p.port, timeoutS: 15, args: ['-m', '1'] }));
      await new Promise((r) => setTimeout(r, 400)); // SIPp binds its port
      const res = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/originate', payload: { calling: '3125550199', called, holdMs: 300 } });
      expect(res.statusCode, res.body).toBe(201);
      const { cic, trunkGroup } = res.json() as { cic: number; trunkGroup: string };
      const record = sim.history.filter((r) => r.direction === 'outgoing' && r.cic === cic && r.trunkGroup === trunkGroup).at(-1)!;
      await until(() => record.state === 'idle', `${name}: the tandem's call to end`, 15_000);
      await until(() => ssw.calls.activeCount === 0, `${name}: the switch's call to end`, 10_000);
      cases[name] = { record, sipps: await Promise.all(sipps) };
    };
    await call('first-answers', '2125550130', [{ scenario: scenario('pbx-answer.xml'), port: ports.first }]);
    await call('first-503', '2125550131', [
      { scenario: scenario('carrier-503.xml'), port: ports.busyFirst },
      { scenario: scenario('pbx-answer.xml'), port: ports.busySecond },
    ]);
    await call('first-dead', '2125550132', [{ scenario: scenario('pbx-answer.xml'), port: ports.deadSecond }]);
  }, 120_000);

  afterAll(async () => {
    await ssw?.stop();
    await dns?.stop();
  });

  const answered = ['tx:IAM', 'rx:ACM', 'rx:ANM', 'tx:REL', 'rx:RLC'];

  it('the switch asked the DNS server for NAPTR, SRV and A of the carrier', () => {
    expect(dns.queries()).toEqual(expect.arrayContaining(['NAPTR carrier.lab', 'SRV _sip._udp.carrier.lab', 'A edge-a.carrier.lab']));
  });

  it('the priority-10 server answers: the call is answered there (its SIPp scenario passes)', () => {
    const c = cases['first-answers'];
    expect(c.record.messages).toEqual(answered);
    expect(c.sipps[0].exitCode, c.sipps[0].stdout.slice(-1500)).toBe(0);
  });

  it('the priority-10 server answers 503: the priority-20 one gets the call', () => {
    const c = cases['first-503'];
    expect(c.record.messages).toEqual(answered);
    for (const s of c.sipps) expect(s.exitCode, s.stdout.slice(-1500)).toBe(0);
  });

  it('the priority-10 server is not running: the priority-20 one gets the call', () => {
    const c = cases['first-dead'];
    expect(c.record.messages).toEqual(answered);
    expect(c.sipps[0].exitCode, c.sipps[0].stdout.slice(-1500)).toBe(0);
  });

  it('the failovers are counted', async () => {
    const text = await ssw.registry.getSingleMetricAsString('softswitch_sip_target_failovers_total');
    expect(text).toMatch(/reason="503"} 1/);
    expect(text).toMatch(/reason="no-response"} 1/);
  });
});
