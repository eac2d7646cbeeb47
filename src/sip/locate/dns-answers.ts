/**
 * The DNS answers RFC 3263 server location reads (NAPTR, SRV, A, AAAA) as plain values, and the
 * checks every name and record from the wire passes before it is used: answers are hostile input.
 */
import { isIP } from 'node:net';

export type DnsRecordType = 'NAPTR' | 'SRV' | 'A' | 'AAAA';

export interface DnsQuestion {
  type: DnsRecordType;
  /** Lower case, no trailing dot. */
  name: string;
}

/** RFC 3403 §4.1. */
export interface NaptrRecord {
  order: number;
  preference: number;
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
}

/** RFC 2782. */
export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  /** The target host; "." means the service is not offered at this name. */
  name: string;
}

interface RecordsOf {
  NAPTR: NaptrRecord;
  SRV: SrvRecord;
  A: string;
  AAAA: string;
}

/** Why a query has no records: the name does not exist, has none of that type, or the server did not say. */
export type DnsFailure = 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'malformed' | 'unreachable';

/** One question's answer: its records, or why there are none. */
export type DnsAnswer<T extends DnsRecordType = DnsRecordType> = { records: readonly RecordsOf[T][] } | { failure: DnsFailure };

/** The answers known so far; undefined = not asked yet. */
export type DnsAnswers = <T extends DnsRecordType>(q: { type: T; name: string }) => DnsAnswer<T> | undefined;

/** A failure that says the name has no such records (an authoritative "no"), not that DNS could not answer. */
export function isNegative(f: DnsFailure): boolean {
  return f === 'nxdomain' || f === 'nodata';
}

export function questionKey(q: DnsQuestion): string {
  return `${q.type} ${q.name}`;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * A host name in canonical form (lower case, no trailing dot), or undefined when it is not one:
 * RFC 1035 §2.3.4 lengths (63 per label, 253 in all), letters, digits, hyphen (and underscore,
 * which SRV owner names use), no empty label, and not all-numeric in the last label (RFC 1123 §2.1:
 * that would read as an address).
 */
export function canonicalName(raw: string): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 254) return undefined;
  const name = (raw.endsWith('.') ? raw.slice(0, -1) : raw).toLowerCase();
  if (name.length === 0 || name.length > 253) return undefined;
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  if (/^\d+$/.test(labels[labels.length - 1])) return undefined;
  return name;
}

/** An address from an A/AAAA answer of the right family, or undefined. */
export function addressOf(type: 'A' | 'AAAA', raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  return isIP(raw) === (type === 'A' ? 4 : 6) ? raw : undefined;
}

/** A 16-bit unsigned field (RFC 2782 priority, weight, port; RFC 3403 order, preference), or undefined. */
export function u16(raw: unknown): number | undefined {
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 65535 ? raw : undefined;
}
