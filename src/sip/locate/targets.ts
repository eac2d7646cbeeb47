/**
 * RFC 3263 §4 server location as a pure function: a SIP URI and the DNS answers known so far give
 * either the questions still to ask or the ordered targets (transport, address, port) to try.
 * A driver ({@link ServerLocator}) asks the questions and calls again; each call asks only what the
 * previous answers call for, so NAPTR → SRV → A/AAAA takes at most three rounds.
 */
import { isIP } from 'node:net';
import { parseUri } from '../header-values.js';
import type { SipTransportName } from '../message.js';
import { addressOf, canonicalName, isNegative, u16, type DnsAnswers, type DnsFailure, type DnsQuestion, type NaptrRecord, type SrvRecord } from './dns-answers.js';
import { orderSrv } from './srv-order.js';

export interface ServerTarget {
  transport: SipTransportName;
  address: string;
  port: number;
  /** The name the address came from (absent for a numeric URI host): for logs and TLS. */
  host?: string;
}

export type LocateErrorCode =
  /** Not a sip:/sips: URI with a host, or a bad port. */
  | 'bad-uri'
  /** The URI asks for a transport this stack has not open (§4.1: the request fails). */
  | 'unsupported-transport'
  /** The host is neither an address nor a valid DNS name. */
  | 'invalid-name'
  /** DNS answered, and no record leads to an address. */
  | 'no-targets'
  /** No address found, and at least one query failed for want of an answer (timeout, SERVFAIL, ...). */
  | 'dns-unavailable';

export interface LocateError {
  code: LocateErrorCode;
  detail: string;
}

export type LocateStep = { kind: 'targets'; targets: ServerTarget[] } | { kind: 'query'; questions: DnsQuestion[] } | { kind: 'error'; error: LocateError };

export interface LocateOptions {
  /** Transports the stack has open, in the order it prefers them for a URI that names none. */
  transports: readonly SipTransportName[];
  /** Address families to look up (default IPv4 only). */
  families?: readonly (4 | 6)[];
  /** [0, 1): RFC 2782 weighted selection. */
  random: () => number;
  /** Targets returned at most (default 16). */
  maxTargets?: number;
}

/** Bounds against hostile answers: records looked at per answer, names resolved, addresses per name. */
export const LOCATE_LIMITS = { naptr: 16, srvPerSet: 32, srvSets: 8, addressLookups: 64, addressesPerName: 8 } as const;

/** RFC 3263 §4.1: NAPTR service fields and the transport each names (RFC 3263 §9 registry). */
const NAPTR_SERVICES: Readonly<Record<string, SipTransportName>> = { 'sip+d2u': 'udp', 'sip+d2t': 'tcp', 'sips+d2t': 'tls' };
/** RFC 3263 §4.1: the SRV owner-name prefix per transport. */
const SRV_PREFIX: Readonly<Record<SipTransportName, string>> = { udp: '_sip._udp', tcp: '_sip._tcp', tls: '_sips._tcp' };

/** One SRV query and the transport its targets are used with. */
interface SrvSet {
  name: string;
  transport: SipTransportName;
}

/** Collects questions still open while walking the answers; the walk stops at the first round with any. */
class Walk {
  readonly questions: DnsQuestion[] = [];
  readonly failures: DnsFailure[] = [];
  constructor(private readonly answers: DnsAnswers) {}

  /** Records of an answered question; undefined (and the question noted) when not answered yet. */
  records<T extends 'NAPTR' | 'SRV' | 'A' | 'AAAA'>(type: T, name: string) {
    const a = this.answers({ type, name });
    if (a === undefined) {
      if (!this.questions.some((q) => q.type === type && q.name === name)) this.questions.push({ type, name });
      return undefined;
    }
    if ('failure' in a) {
      if (!isNegative(a.failure)) this.failures.push(a.failure);
      return [];
    }
    return Array.isArray(a.records) ? a.records : [];
  }
}

export function locateTargets(uriText: string, answers: DnsAnswers, opts: LocateOptions): LocateStep {
  const fail = (code: LocateErrorCode, detail: string): LocateStep => ({ kind: 'error', error: { code, detail } });
  const uri = parseUri(uriText.trim().replace(/^<|>$/g, ''));
  if (!uri || (uri.scheme !== 'sip' && uri.scheme !== 'sips') || !uri.host) return fail('bad-uri', `not a sip/sips URI with a host: ${uriText.slice(0, 200)}`);
  if (uri.port !== undefined && (uri.port < 1 || uri.port > 65535)) return fail('bad-uri', `port ${uri.port} out of range`);
  const sips = uri.scheme === 'sips';
  const supported = opts.transports.filter((t) => !sips || t === 'tls');
  if (supported.length === 0) return fail('unsupported-transport', sips ? 'a sips URI needs TLS, which is not open' : 'no transport open');

  // §4.1: an explicit transport parameter decides; over sips, tcp means TLS.
  const param = uri.params.get('transport')?.toLowerCase();
  let explicit: SipTransportName | undefined;
  if (param !== undefined) {
    explicit = param === 'udp' || param === 'tcp' || param === 'tls' ? (sips && param === 'tcp' ? 'tls' : param) : undefined;
    if (!explicit || !supported.includes(explicit)) return fail('unsupported-transport', `transport=${param} is not open${sips ? ' for a sips URI' : ''}`);
  }
  // §4: maddr, when present, is the target instead of the host.
  const rawHost = (uri.params.get('maddr') || uri.host).replace(/^\[|\]$/g, '');
  const fallbackTransport = explicit ?? (sips ? 'tls' : supported.includes('udp') ? 'udp' : supported.includes('tcp') ? 'tcp' : supported[0]);
  const defaultPort = (t: SipTransportName) => (t === 'tls' ? 5061 : 5060);

  // §4.1/§4.2: a numeric host is used as it is.
  if (isIP(rawHost)) return { kind: 'targets', targets: [{ transport: fallbackTransport, address: rawHost, port: uri.port ?? defaultPort(fallbackTransport) }] };

  const host = canonicalName(rawHost);
  if (!host) return fail('invalid-name', `not a host name: ${rawHost.slice(0, 100)}`);
  const walk = new Walk(answers);
  const families = opts.families && opts.families.length > 0 ? opts.families : [4];
  const max = Math.max(1, opts.maxTargets ?? 16);

  /** Addresses of a name, in family order then answer order, capped. */
  let lookups = 0;
  const addresses = (name: string): string[] | undefined => {
    if (++lookups > LOCATE_LIMITS.addressLookups) return [];
    let pending = false;
    const out: string[] = [];
    for (const f of families) {
      const type = f === 4 ? 'A' : 'AAAA';
      const recs = walk.records(type, name);
      if (recs === undefined) pending = true;
      else for (const r of recs.slice(0, LOCATE_LIMITS.addressesPerName)) {
        const a = addressOf(type, r);
        if (a && !out.includes(a)) out.push(a);
      }
    }
    return pending ? undefined : out;
  };

  const finish = (targets: ServerTarget[]): LocateStep => {
    if (walk.questions.length > 0) return { kind: 'query', questions: walk.questions };
    const seen = new Set<string>();
    const unique = targets.filter((t) => {
      const k = `${t.transport} ${t.address} ${t.port}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (unique.length > 0) return { kind: 'targets', targets: unique.slice(0, max) };
    if (walk.failures.length > 0) return fail('dns-unavailable', `no address for ${host}; DNS failures: ${[...new Set(walk.failures)].join(', ')}`);
    return fail('no-targets', `no SIP server records or address for ${host}`);
  };

  /** §4.2 with a port: the host's addresses at that port. */
  const plainHost = (transport: SipTransportName, port: number): ServerTarget[] => (addresses(host) ?? []).map((address) => ({ transport, address, port, host }));

  if (uri.port !== undefined) return finish(plainHost(fallbackTransport, uri.port));

  /**
   * SRV records of a set (undefined while unanswered): "." alone says the service is not offered;
   * invalid targets and ports are dropped; at most srvPerSet records.
   */
  const srvRecords = (set: SrvSet): SrvRecord[] | undefined => {
    const recs = walk.records('SRV', set.name);
    if (recs === undefined) return undefined;
    const out: SrvRecord[] = [];
    for (const r of recs.slice(0, LOCATE_LIMITS.srvPerSet)) {
      const priority = u16(r?.priority);
      const weight = u16(r?.weight);
      const port = u16(r?.port);
      const name = typeof r?.name === 'string' ? canonicalName(r.name) : undefined;
      if (priority === undefined || weight === undefined || !port || !name) continue;
      out.push({ priority, weight, port, name });
    }
    return out;
  };

  /** Targets of SRV sets in the order given; the RFC 2782 order (random) only once every address is known. */
  const fromSrvSets = (sets: SrvSet[]): { targets: ServerTarget[]; anyRecords: boolean } | undefined => {
    const answered: { set: SrvSet; recs: SrvRecord[] }[] = [];
    let pending = false;
    for (const set of sets.slice(0, LOCATE_LIMITS.srvSets)) {
      const recs = srvRecords(set);
      if (recs === undefined) pending = true;
      else answered.push({ set, recs });
    }
    if (pending) return undefined;
    const byName = new Map<string, string[] | undefined>();
    for (const { recs } of answered) for (const r of recs) if (!byName.has(r.name)) byName.set(r.name, addresses(r.name));
    if ([...byName.values()].some((a) => a === undefined)) return undefined;
    const targets: ServerTarget[] = [];
    for (const { set, recs } of answered) {
      for (const r of orderSrv(recs, opts.random)) {
        for (const address of byName.get(r.name) ?? []) targets.push({ transport: set.transport, address, port: r.port, host: r.name });
      }
    }
    return { targets, anyRecords: answered.some((a) => a.recs.length > 0) };
  };

  // §4.2: a transport given without a port: its SRV, else the host's addresses at the default port.
  if (explicit) {
    const srv = fromSrvSets([{ name: `${SRV_PREFIX[explicit]}.${host}`, transport: explicit }]);
    if (srv === undefined) return finish([]);
    return finish(srv.anyRecords ? srv.targets : plainHost(explicit, defaultPort(explicit)));
  }

  // §4.1: NAPTR first.
  const naptr = walk.records('NAPTR', host);
  if (naptr === undefined) return finish([]);
  const usable = usableNaptr(naptr, sips, supported);
  if (usable.length > 0) {
    const srv = fromSrvSets(usable);
    if (srv === undefined) return finish([]);
    // §4.1: NAPTR records that lead nowhere leave the SRV queries below as the way on.
    if (srv.targets.length > 0) return finish(srv.targets);
  }
  // §4.1: no usable NAPTR: SRV per transport we support, in our order of preference.
  const srv = fromSrvSets(supported.map((t) => ({ name: `${SRV_PREFIX[t]}.${host}`, transport: t })));
  if (srv === undefined) return finish([]);
  if (srv.targets.length > 0) return finish(srv.targets);
  // §4.1/§4.2: nothing: UDP for sip (TLS for sips) to the host's addresses at the default port.
  return finish(plainHost(fallbackTransport, defaultPort(fallbackTransport)));
}

/**
 * RFC 3263 §4.1 / RFC 3403: terminal ("s") records with a SIP service we can use, by order then
 * preference; for a sips URI only SIPS+D2T. The replacement is the SRV name; a regexp is not used.
 */
function usableNaptr(records: readonly NaptrRecord[], sips: boolean, supported: readonly SipTransportName[]): SrvSet[] {
  const candidates: { order: number; preference: number; set: SrvSet }[] = [];
  for (const r of records.slice(0, LOCATE_LIMITS.naptr)) {
    const order = u16(r?.order);
    const preference = u16(r?.preference);
    if (order === undefined || preference === undefined) continue;
    if (typeof r.flags !== 'string' || r.flags.toLowerCase() !== 's') continue;
    const transport = typeof r.service === 'string' ? NAPTR_SERVICES[r.service.toLowerCase()] : undefined;
    if (!transport || !supported.includes(transport) || (sips && transport !== 'tls')) continue;
    const name = typeof r.replacement === 'string' ? canonicalName(r.replacement) : undefined;
    if (!name) continue;
    candidates.push({ order, preference, set: { name, transport } });
  }
  candidates.sort((a, b) => a.order - b.order || a.preference - b.preference);
  const out: SrvSet[] = [];
  for (const c of candidates) if (!out.some((s) => s.name === c.set.name && s.transport === c.set.transport)) out.push(c.set);
  return out;
}
