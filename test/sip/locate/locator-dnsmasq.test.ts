/**
 * Server location against a real DNS server (dnsmasq on loopback): NAPTR → SRV → A as dnsmasq
 * serves them, the answer cache (dnsmasq's query log says what reached it), negative answers,
 * a server that does not answer (typed failure), and failed targets tried last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { dnsmasqMissing, startDnsmasq, type Dnsmasq } from '../../helpers/dnsmasq.js';
import { freeUdpPort } from '../../helpers/sipp.js';
import { ServerLocator } from '../../../src/sip/locate/locator.js';
import { DnsClient } from '../../../src/sip/locate/dns-client.js';
import { systemClock, VirtualClock } from '../../../src/util/clock.js';

const missing = dnsmasqMissing();
if (missing) console.warn(`skipping RFC 3263 tests against dnsmasq: ${missing}`);

const flat = (r: Awaited<ReturnType<ServerLocator['locate']>>) => (r.ok ? r.targets.map((t) => `${t.transport}:${t.address}:${t.port}`) : r.error.code);

describe.skipIf(missing !== '')('RFC 3263 server location against dnsmasq', () => {
  let dns: Dnsmasq;
  beforeAll(async () => {
    dns = await startDnsmasq(
      [
        '--host-record=a.carrier.lab,127.0.0.1',
        '--host-record=b.carrier.lab,127.0.0.2',
        '--naptr-record=carrier.lab,10,10,S,SIP+D2U,,_sip._udp.carrier.lab',
        '--naptr-record=carrier.lab,20,10,S,SIP+D2T,,_sip._tcp.carrier.lab',
        '--srv-host=_sip._udp.carrier.lab,a.carrier.lab,5070,10,50',
        '--srv-host=_sip._udp.carrier.lab,b.carrier.lab,5071,20,50',
        '--srv-host=_sip._tcp.carrier.lab,b.carrier.lab,5080,10,0',
        '--srv-host=_sip._udp.nonaptr.lab,a.carrier.lab,6000,1,1',
        '--host-record=plain.lab,127.0.0.7',
      ],
      { ttlS: 30 },
    );
  });
  afterAll(async () => {
    await dns?.stop();
  });

  it('NAPTR → SRV → A from the server: UDP by priority, then TCP', async () => {
    const loc = new ServerLocator({ clock: systemClock, registry: new Registry(), servers: [dns.server] });
    expect(flat(await loc.locate('sip:+12125550100@carrier.lab;user=phone', ['udp', 'tcp']))).toEqual(['udp:127.0.0.1:5070', 'udp:127.0.0.2:5071', 'tcp:127.0.0.2:5080']);
    expect(flat(await loc.locate('sip:x@nonaptr.lab', ['udp', 'tcp']))).toEqual(['udp:127.0.0.1:6000']);
    expect(flat(await loc.locate('sip:x@plain.lab', ['udp', 'tcp']))).toEqual(['udp:127.0.0.7:5060']);
    expect(flat(await loc.locate('sip:x@nowhere.lab', ['udp', 'tcp']))).toBe('no-targets');
    loc.close();
  });

  it('answers are cached: the second location asks the server nothing', async () => {
    const loc = new ServerLocator({ clock: systemClock, registry: new Registry(), servers: [dns.server] });
    await loc.locate('sip:carrier.lab', ['udp', 'tcp']);
    // dnsmasq's query log arrives over a pipe: count once it has caught up.
    const settled = async () => {
      for (let n = -1; n !== dns.queries().length; ) {
        n = dns.queries().length;
        await new Promise((r) => setTimeout(r, 150));
      }
      return dns.queries().length;
    };
    const before = await settled();
    await loc.locate('sip:carrier.lab', ['udp', 'tcp']);
    await loc.locate('sip:nowhere.lab', ['udp', 'tcp']);
    const mid = await settled();
    await loc.locate('sip:nowhere.lab', ['udp', 'tcp']);
    expect((await settled()) - before).toBe(mid - before);
    expect(dns.queries().slice(before).every((q) => q.includes('nowhere.lab'))).toBe(true);
    loc.close();
  });

  it('the cache forgets by TTL (virtual clock past 30 s asks again) and stays within its bound', async () => {
    const clock = new VirtualClock();
    const client = new DnsClient({ clock, servers: [dns.server], maxEntries: 2 });
    const q = { type: 'A' as const, name: 'plain.lab' };
    await client.query(q);
    const n0 = dns.queries().length;
    await client.query(q);
    expect(dns.queries().length).toBe(n0);
    clock.advance(31_000);
    expect(await client.query(q)).toEqual({ records: ['127.0.0.7'] });
    expect(dns.queries().length).toBe(n0 + 1);
    await client.query({ type: 'A', name: 'a.carrier.lab' });
    await client.query({ type: 'A', name: 'b.carrier.lab' });
    expect(client.size).toBe(2);
    client.close();
  });

  it('a DNS server that does not answer: dns-unavailable, within the configured timeout', async () => {
    const silent = await freeUdpPort();
    const registry = new Registry();
    const loc = new ServerLocator({ clock: systemClock, registry, servers: [`127.0.0.1:${silent}`], timeoutMs: 300, tries: 1 });
    const t0 = Date.now();
    expect(flat(await loc.locate('sip:carrier.lab', ['udp']))).toBe('dns-unavailable');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await registry.getSingleMetricAsString('softswitch_sip_locate_failures_total')).toContain('code="dns-unavailable"');
    loc.close();
  });

  it('a target marked failed is tried last until its hold ends', async () => {
    const clock = new VirtualClock();
    const loc = new ServerLocator({ clock, registry: new Registry(), servers: [dns.server], failedHoldMs: 10_000 });
    const first = await loc.locate('sip:carrier.lab', ['udp']);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    loc.markFailed(first.targets[0]);
    expect(flat(await loc.locate('sip:carrier.lab', ['udp']))).toEqual(['udp:127.0.0.2:5071', 'udp:127.0.0.1:5070']);
    clock.advance(10_001);
    expect(flat(await loc.locate('sip:carrier.lab', ['udp']))).toEqual(['udp:127.0.0.1:5070', 'udp:127.0.0.2:5071']);
    loc.close();
  });
});
