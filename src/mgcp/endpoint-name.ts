/**
 * Endpoint names (RFC 3435 §2.1.1, §2.1.2, §3.2.1.3): `local-name@domain`, the local name made of
 * terms separated by "/", a term "*" ("all of") or "$" ("any of") as wildcard, compared without
 * regard to case. TDM gateways name a DS0 `ds/ds1-<span>/<channel>@<gateway>` (E1:
 * `ds/e1-<span>/<timeslot>`), the form RFC 3435 §2.1.1 shows for trunking gateways.
 */

/** RFC 3435 §3.2.1.3 bounds the local name and the domain name to 255 characters each. */
const MAX_PART = 255;
const TERM_RE = /^[\x21-\x2e\x30-\x3f\x41-\x7e]+$/;

export interface EndpointName {
  /** Terms of the local name, as written. */
  readonly terms: readonly string[];
  readonly domain: string;
}

/** The parts of an endpoint name, or why it is not one. */
export function parseEndpointName(name: string): EndpointName | { error: string } {
  const at = name.lastIndexOf('@');
  if (at <= 0 || at === name.length - 1) return { error: 'not local-name@domain' };
  const local = name.slice(0, at);
  const domain = name.slice(at + 1);
  if (local.length > MAX_PART || domain.length > MAX_PART) return { error: 'local name or domain longer than 255 characters' };
  if (!TERM_RE.test(domain)) return { error: 'bad character in the domain' };
  const terms = local.split('/');
  for (const t of terms) {
    if (t.length === 0) return { error: 'empty term in the local name' };
    if (!TERM_RE.test(t)) return { error: `bad character in term "${t.slice(0, 32)}"` };
    if (t.length > 1 && (t.includes('*') || t.includes('$'))) return { error: 'a wildcard must be a whole term' };
  }
  return { terms, domain };
}

export function isWildcard(name: string): boolean {
  const p = parseEndpointName(name);
  return !('error' in p) && p.terms.some((t) => t === '*' || t === '$');
}

/**
 * Whether `pattern` (as an RSIP or a wildcarded command names it) covers the specific endpoint
 * `name`: terms compared case-insensitively, a wildcard term matches any one term, and a wildcard
 * as the last term also matches all terms below it ("*@tgw1" is every endpoint of tgw1).
 */
export function endpointMatches(pattern: string, name: string): boolean {
  const p = parseEndpointName(pattern);
  const n = parseEndpointName(name);
  if ('error' in p || 'error' in n) return false;
  if (p.domain.toLowerCase() !== n.domain.toLowerCase()) return false;
  for (let i = 0; i < p.terms.length; i++) {
    const t = p.terms[i];
    const wild = t === '*' || t === '$';
    if (i >= n.terms.length) return false;
    if (wild && i === p.terms.length - 1) return true;
    if (!wild && t.toLowerCase() !== n.terms[i].toLowerCase()) return false;
  }
  return p.terms.length === n.terms.length;
}

export type TdmKind = 'ds1' | 'e1';

/** DS0 channels per span: 24 on a T1/DS1, timeslots 1–31 on an E1. */
export const CHANNELS: Readonly<Record<TdmKind, number>> = { ds1: 24, e1: 31 };

export interface TdmEndpoint {
  readonly kind: TdmKind;
  readonly span: number;
  readonly channel: number;
  readonly domain: string;
}

/** `ds/ds1-<span>/<channel>@<domain>`; throws RangeError for a channel the span cannot have. */
export function tdmEndpoint(span: number, channel: number, domain: string, kind: TdmKind = 'ds1'): string {
  if (!Number.isInteger(span) || span < 1) throw new RangeError(`span ${span} is not a positive integer`);
  if (!Number.isInteger(channel) || channel < 1 || channel > CHANNELS[kind]) throw new RangeError(`channel ${channel} is not 1-${CHANNELS[kind]} on a ${kind}`);
  return `ds/${kind}-${span}/${channel}@${domain}`;
}

/** Every endpoint of a span, for an RSIP or a wildcarded DLCX: `ds/ds1-<span>/*@<domain>`. */
export function tdmSpanWildcard(span: number, domain: string, kind: TdmKind = 'ds1'): string {
  return `ds/${kind}-${span}/*@${domain}`;
}

const TDM_RE = /^ds\/(ds1|e1)-([1-9][0-9]{0,8})\/([1-9][0-9]?)@(.+)$/i;

/** The span and channel of a TDM endpoint name, or undefined when it is not one. */
export function parseTdmEndpoint(name: string): TdmEndpoint | undefined {
  const m = TDM_RE.exec(name);
  if (!m) return undefined;
  const kind = m[1].toLowerCase() as TdmKind;
  const channel = Number(m[3]);
  if (channel > CHANNELS[kind]) return undefined;
  return { kind, span: Number(m[2]), channel, domain: m[4] };
}

/** Endpoint names given more than once (compared without regard to case), for checking a numbering plan. */
export function duplicateEndpoints(names: Iterable<string>): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) {
    const k = n.toLowerCase();
    if (seen.has(k)) dup.add(n);
    else seen.add(k);
  }
  return [...dup];
}
