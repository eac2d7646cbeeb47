/**
 * RFC 3263 §4 server location, pure: URIs and DNS answers in, questions or ordered targets out.
 * Hostile answers (empty, self-references, huge counts, invalid names and fields) never throw.
 */
import { describe, expect, it } from 'vitest';
import { questionKey, type DnsAnswer, type DnsAnswers, type DnsQuestion, type NaptrRecord, type SrvRecord } from '../../../src/sip/locate/dns-answers.js';
import { LOCATE_LIMITS, locateTargets, type LocateOptions, type LocateStep } from '../../../src/sip/locate/targets.js';
import { orderSrv } from '../../../src/sip/locate/srv-order.js';

type Zone = Record<string, DnsAnswer>;
const opts: LocateOptions = { transports: ['udp', 'tcp'], random: () => 0 };

/** Runs the rounds a driver would, answering from `zone` (missing: NXDOMAIN); records every question. */
function run(uri: string, zone: Zone, o: Partial<LocateOptions> = {}): { step: LocateStep; asked: DnsQuestion[]; rounds: number } {
  const known = new Map<string, DnsAnswer>();
  const answers = ((q: DnsQuestion) => known.get(questionKey(q))) as DnsAnswers;
  const asked: DnsQuestion[] = [];
  for (let rounds = 1; rounds <= 10; rounds++) {
    const step = locateTargets(uri, answers, { ...opts, ...o });
    if (step.kind !== 'query') return { step, asked, rounds };
    for (const q of step.questions) {
      expect(known.has(questionKey(q)), `asked twice: ${questionKey(q)}`).toBe(false);
      asked.push(q);
      known.set(questionKey(q), zone[questionKey(q)] ?? { failure: 'nxdomain' });
    }
  }
  throw new Error('did not settle');
}
const targets = (s: LocateStep) => (s.kind === 'targets' ? s.targets.map((t) => `${t.transport}:${t.address}:${t.port}`) : s);
const naptr = (order: number, preference: number, service: string, replacement: string, flags = 's'): NaptrRecord => ({ order, preference, flags, service, regexp: '', replacement });
const srv = (name: string, port: number, priority = 10, weight = 10): SrvRecord => ({ name, port, priority, weight });

const carrier: Zone = {
  'NAPTR carrier.lab': { records: [naptr(20, 10, 'SIP+D2T', '_sip._tcp.carrier.lab'), naptr(10, 10, 'SIP+D2U', '_sip._udp.carrier.lab')] },
  'SRV _sip._udp.carrier.lab': { records: [srv('b.carrier.lab', 5071, 20), srv('a.carrier.lab', 5070, 10)] },
  'SRV _sip._tcp.carrier.lab': { records: [srv('a.carrier.lab', 5080, 10)] },
  'A a.carrier.lab': { records: ['127.0.0.1'] },
  'A b.carrier.lab': { records: ['127.0.0.2'] },
};

describe('RFC 3263 §4.1/§4.2: which queries, which targets', () => {
  it('NAPTR → SRV → A: NAPTR order, then SRV priority; three rounds', () => {
    const r = run('sip:+12125550100@carrier.lab;user=phone', carrier);
    expect(targets(r.step)).toEqual(['udp:127.0.0.1:5070', 'udp:127.0.0.2:5071', 'tcp:127.0.0.1:5080']);
    expect(r.asked.map(questionKey)).toEqual(['NAPTR carrier.lab', 'SRV _sip._udp.carrier.lab', 'SRV _sip._tcp.carrier.lab', 'A b.carrier.lab', 'A a.carrier.lab']);
    expect(r.rounds).toBe(4);
  });

  it('NAPTR for a transport not open is skipped (TCP only here)', () => {
    expect(targets(run('sip:carrier.lab', carrier, { transports: ['tcp'] }).step)).toEqual(['tcp:127.0.0.1:5080']);
  });

  it('no NAPTR: SRV per open transport in our order of preference', () => {
    const zone: Zone = { ...carrier, 'NAPTR carrier.lab': { failure: 'nodata' } };
    const r = run('sip:carrier.lab', zone);
    expect(targets(r.step)).toEqual(['udp:127.0.0.1:5070', 'udp:127.0.0.2:5071', 'tcp:127.0.0.1:5080']);
    expect(r.asked.map(questionKey)).toContain('SRV _sip._udp.carrier.lab');
  });

  it('no NAPTR and no SRV: the host address, UDP, port 5060 (sips: TLS 5061)', () => {
    const zone: Zone = { 'A plain.lab': { records: ['127.0.0.9'] } };
    expect(targets(run('sip:plain.lab', zone).step)).toEqual(['udp:127.0.0.9:5060']);
    expect(targets(run('sips:plain.lab', zone, { transports: ['udp', 'tls'] }).step)).toEqual(['tls:127.0.0.9:5061']);
  });

  it('a port in the URI: A only, no NAPTR or SRV', () => {
    const r = run('sip:carrier.lab:5999', carrier);
    expect(r.step.kind).toBe('error');
    expect(r.asked.map(questionKey)).toEqual(['A carrier.lab']);
    expect(targets(run('sip:a.carrier.lab:5999', carrier).step)).toEqual(['udp:127.0.0.1:5999']);
  });

  it('transport=tcp without a port: its SRV only; no SRV: the host at 5060', () => {
    const r = run('sip:carrier.lab;transport=tcp', carrier);
    expect(targets(r.step)).toEqual(['tcp:127.0.0.1:5080']);
    expect(r.asked.map(questionKey)).toEqual(['SRV _sip._tcp.carrier.lab', 'A a.carrier.lab']);
    expect(targets(run('sip:a.carrier.lab;transport=tcp', carrier).step)).toEqual(['tcp:127.0.0.1:5060']);
  });

  it('a numeric host is used as it is, with no query (sips → TLS 5061; TCP when UDP is closed)', () => {
    expect(run('sip:10.0.0.1', {}).asked).toEqual([]);
    expect(targets(run('sip:10.0.0.1', {}).step)).toEqual(['udp:10.0.0.1:5060']);
    expect(targets(run('sip:[::1]:5070', {}).step)).toEqual(['udp:::1:5070']);
    expect(targets(run('sips:10.0.0.1', {}, { transports: ['tls'] }).step)).toEqual(['tls:10.0.0.1:5061']);
    expect(targets(run('sip:10.0.0.1', {}, { transports: ['tcp'] }).step)).toEqual(['tcp:10.0.0.1:5060']);
  });

  it('maddr takes the place of the host', () => {
    expect(targets(run('sip:u@carrier.lab;maddr=10.1.1.1', carrier).step)).toEqual(['udp:10.1.1.1:5060']);
  });

  it('sips uses only SIPS+D2T NAPTR and _sips._tcp; without TLS open it fails', () => {
    const zone: Zone = {
      'NAPTR s.lab': { records: [naptr(10, 10, 'SIP+D2U', '_sip._udp.s.lab'), naptr(20, 10, 'SIPS+D2T', '_sips._tcp.s.lab')] },
      'SRV _sip._udp.s.lab': { records: [srv('x.s.lab', 5060)] },
      'SRV _sips._tcp.s.lab': { records: [srv('x.s.lab', 5061)] },
      'A x.s.lab': { records: ['127.0.0.5'] },
    };
    expect(targets(run('sips:s.lab', zone, { transports: ['udp', 'tcp', 'tls'] }).step)).toEqual(['tls:127.0.0.5:5061']);
    expect(run('sips:s.lab', zone).step).toMatchObject({ kind: 'error', error: { code: 'unsupported-transport' } });
  });

  it('a transport parameter for a transport not open, or unknown, fails without a query', () => {
    for (const uri of ['sip:carrier.lab;transport=tls', 'sip:carrier.lab;transport=sctp', 'sip:carrier.lab;transport=ws']) {
      const r = run(uri, carrier);
      expect(r.step).toMatchObject({ kind: 'error', error: { code: 'unsupported-transport' } });
      expect(r.asked).toEqual([]);
    }
  });

  it('AAAA when IPv6 is asked for, after A', () => {
    const zone: Zone = { 'A six.lab': { records: ['127.0.0.1'] }, 'AAAA six.lab': { records: ['::1', 'not-an-address', '127.0.0.1'] } };
    expect(targets(run('sip:six.lab:5060', zone, { families: [4, 6] }).step)).toEqual(['udp:127.0.0.1:5060', 'udp:::1:5060']);
  });
});

describe('errors: typed, never thrown', () => {
  it('bad URIs', () => {
    for (const uri of ['', 'tel:+12125550100', 'sip:', 'mailto:x@y', 'sip:host:0', 'sip:host:99999', '<>', 'sip:@']) {
      const s = locateTargets(uri, () => undefined, opts);
      expect(s.kind, uri).toBe('error');
    }
  });

  it('invalid host names are refused before any query', () => {
    for (const host of ['-bad.lab', 'bad-.lab', 'a..b', `${'a'.repeat(64)}.lab`, `${'abcdefghi.'.repeat(26)}lab`, 'x.123', 'ex ample.lab', 'ünï.lab', 'a/b.lab']) {
      const r = run(`sip:${host}`, {});
      expect(r.step, host).toMatchObject({ kind: 'error', error: { code: expect.stringMatching(/invalid-name|bad-uri/) } });
      expect(r.asked, host).toEqual([]);
    }
  });

  it('NXDOMAIN everywhere: no-targets; SERVFAIL/timeout: dns-unavailable', () => {
    expect(run('sip:nowhere.lab', {}).step).toMatchObject({ kind: 'error', error: { code: 'no-targets' } });
    const down = new Proxy({}, { get: () => ({ failure: 'timeout' }) }) as Zone;
    const r = run('sip:nowhere.lab', down);
    expect(r.step).toMatchObject({ kind: 'error', error: { code: 'dns-unavailable' } });
  });
});

describe('hostile answers', () => {
  it('empty answers everywhere: no targets, a bounded number of questions', () => {
    const empty = new Proxy({}, { get: () => ({ records: [] }) }) as Zone;
    const r = run('sip:empty.lab', empty);
    expect(r.step).toMatchObject({ kind: 'error', error: { code: 'no-targets' } });
    expect(r.asked.length).toBeLessThanOrEqual(4);
  });

  it('self-references: a NAPTR pointing at its own name, an SRV target that is the SRV name: no loop', () => {
    const zone: Zone = {
      'NAPTR loop.lab': { records: [naptr(10, 10, 'SIP+D2U', 'loop.lab'), naptr(10, 20, 'SIP+D2U', '_sip._udp.loop.lab')] },
      'SRV loop.lab': { records: [srv('_sip._udp.loop.lab', 5060)] },
      'SRV _sip._udp.loop.lab': { records: [srv('_sip._udp.loop.lab', 5062), srv('loop.lab', 5063)] },
      'A loop.lab': { records: ['127.0.0.3'] },
    };
    const r = run('sip:loop.lab', zone);
    expect(r.rounds).toBeLessThanOrEqual(4);
    expect(targets(r.step)).toEqual(['udp:127.0.0.3:5063']);
  });

  it('huge counts are capped: NAPTR, SRV records, addresses, targets', () => {
    const many = Array.from({ length: 5000 }, (_, i) => srv(`h${i}.big.lab`, 5000 + (i % 1000), i % 3, i % 7));
    const zone = new Proxy(
      {
        'NAPTR big.lab': { records: Array.from({ length: 5000 }, (_, i) => naptr(i, i, 'SIP+D2U', `_sip._udp.n${i}.big.lab`)) },
      } as Zone,
      {
        get: (t, k: string) =>
          t[k] ?? (k.startsWith('SRV ') ? { records: many } : k.startsWith('A ') ? { records: Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) } : undefined),
      },
    );
    const r = run('sip:big.lab', zone, { maxTargets: 20 });
    expect(r.step.kind).toBe('targets');
    if (r.step.kind === 'targets') expect(r.step.targets.length).toBe(20);
    expect(r.asked.filter((q) => q.type === 'SRV').length).toBeLessThanOrEqual(LOCATE_LIMITS.srvSets);
    expect(r.asked.filter((q) => q.type === 'A').length).toBeLessThanOrEqual(LOCATE_LIMITS.addressLookups);
  });

  it('invalid records are dropped: bad flags/services/replacements, SRV "." or port 0, bad fields, non-addresses', () => {
    const zone: Zone = {
      'NAPTR h.lab': {
        records: [
          naptr(10, 10, 'SIP+D2U', '_sip._udp.h.lab', 'u'),
          naptr(10, 10, 'SIP+D2U', '_sip._udp.h.lab', ''),
          naptr(10, 10, 'E2U+sip', '_sip._udp.h.lab'),
          naptr(10, 10, 'SIP+D2U', ''),
          naptr(10, 10, 'SIP+D2U', '.'),
          naptr(-1, 10, 'SIP+D2U', '_sip._udp.h.lab'),
          naptr(NaN, 10, 'SIP+D2U', '_sip._udp.h.lab'),
          naptr(10, 10, 'SIP+D2U', 'bad name.h.lab'),
          null as unknown as NaptrRecord,
          naptr(30, 10, 'SIP+D2U', '_sip._udp.good.h.lab'),
        ],
      },
      'SRV _sip._udp.good.h.lab': {
        records: [
          srv('.', 5060),
          srv('t.h.lab', 0),
          srv('t.h.lab', 70000),
          { name: 't.h.lab', port: 5060, priority: -5, weight: 1 },
          { name: 't.h.lab', port: 5060, priority: 1, weight: 1.5 },
          { name: 42, port: 5060, priority: 1, weight: 1 } as unknown as SrvRecord,
          srv('t.h.lab', 5066),
        ],
      },
      'A t.h.lab': { records: ['999.1.1.1', '::1', '', 'x', '127.0.0.4'] },
    };
    const r = run('sip:h.lab', zone);
    expect(targets(r.step)).toEqual(['udp:127.0.0.4:5066']);
    expect(r.asked.map(questionKey)).not.toContain('SRV _sip._udp.h.lab');
  });

  it('SRV "." alone: the service is not offered; the next transport is used', () => {
    const zone: Zone = {
      'SRV _sip._udp.dot.lab': { records: [srv('.', 0)] },
      'SRV _sip._tcp.dot.lab': { records: [srv('t.dot.lab', 5080)] },
      'A t.dot.lab': { records: ['127.0.0.8'] },
    };
    expect(targets(run('sip:dot.lab', zone).step)).toEqual(['tcp:127.0.0.8:5080']);
  });

  it('answers that are not arrays, or questions answered with garbage, do not throw', () => {
    const zone = new Proxy({}, { get: () => ({ records: 'nope' }) }) as unknown as Zone;
    expect(() => run('sip:g.lab', zone)).not.toThrow();
  });
});

describe('RFC 2782 ordering', () => {
  const recs = [srv('a', 1, 10, 60), srv('b', 2, 10, 30), srv('c', 3, 10, 10), srv('z', 9, 5, 0), srv('late', 8, 20, 100)];

  it('lower priority first; weight 0 alone in its priority still used; higher priority last', () => {
    const o = orderSrv(recs, Math.random).map((r) => r.name);
    expect(o[0]).toBe('z');
    expect(o[o.length - 1]).toBe('late');
    expect(new Set(o).size).toBe(5);
  });

  it('the first pick is spread by weight (60/30/10) over many draws from a seeded source', () => {
    let seed = 12345;
    const lcg = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const n = 20_000;
    for (let i = 0; i < n; i++) firsts[orderSrv(recs.slice(0, 3), lcg)[0].name]++;
    expect(firsts.a / n).toBeGreaterThan(0.57);
    expect(firsts.a / n).toBeLessThan(0.63);
    expect(firsts.b / n).toBeGreaterThan(0.27);
    expect(firsts.b / n).toBeLessThan(0.33);
    expect(firsts.c / n).toBeGreaterThan(0.08);
    expect(firsts.c / n).toBeLessThan(0.12);
  });

  it('the random source is what decides: 0 picks the first, just under 1 the last', () => {
    expect(orderSrv(recs.slice(0, 3), () => 0).map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(orderSrv(recs.slice(0, 3), () => 0.9999)[0].name).toBe('c');
  });

  it('a misbehaving random source (NaN, 1, negative) still gives a permutation', () => {
    for (const v of [NaN, 1, -3, Infinity]) expect(orderSrv(recs, () => v).length).toBe(5);
  });

  it('all weights 0 in a priority: each is still listed', () => {
    expect(orderSrv([srv('x', 1, 1, 0), srv('y', 2, 1, 0)], () => 0.5).map((r) => r.name).sort()).toEqual(['x', 'y']);
  });
});
