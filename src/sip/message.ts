import { COMPACT_FORMS, LIST_HEADERS } from './constants.js';

/** Full lower-case header name for any spelling or compact form (RFC 3261 §7.3.3). */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower;
}

/**
 * Splits a header value at commas that are outside quotes and angle brackets
 * (RFC 3261 §7.3.1: multiple field values as one comma-separated row).
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3c) depthAngle++;
    else if (c === 0x3e && depthAngle > 0) depthAngle--;
    else if (c === 0x2c && depthAngle === 0) {
      const part = value.slice(start, i).trim();
      if (part) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** An ordered header list; names keep their received spelling, lookups use {@link headerKey}. */
export class SipHeaders {
  private readonly rows: Array<{ key: string; name: string; value: string }> = [];

  static from(entries: Iterable<[string, string]>): SipHeaders {
    const h = new SipHeaders();
    for (const [n, v] of entries) h.append(n, v);
    return h;
  }

  get size(): number {
    return this.rows.length;
  }

  append(name: string, value: string): this {
    this.rows.push({ key: headerKey(name), name, value });
    return this;
  }

  /** Inserts before the first row (a new top Via, RFC 3261 §8.1.1.7). */
  prepend(name: string, value: string): this {
    this.rows.unshift({ key: headerKey(name), name, value });
    return this;
  }

  /** Replaces every row of the header with one row. */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const at = this.rows.findIndex((r) => r.key === key);
    this.delete(name);
    const row = { key, name, value };
    if (at < 0 || at > this.rows.length) this.rows.push(row);
    else this.rows.splice(at, 0, row);
    return this;
  }

  /** Replaces the first element of the first row of a list header (the top Via, §18.2.1). */
  replaceTop(name: string, element: string): this {
    const key = headerKey(name);
    const row = this.rows.find((r) => r.key === key);
    if (!row) return this.append(name, element);
    const rest = splitList(row.value).slice(1);
    row.value = rest.length ? `${element}, ${rest.join(', ')}` : element;
    return this;
  }

  delete(name: string): this {
    const key = headerKey(name);
    for (let i = this.rows.length - 1; i >= 0; i--) if (this.rows[i].key === key) this.rows.splice(i, 1);
    return this;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.rows.some((r) => r.key === key);
  }

  /** First value; for a list header, the first element of the first row. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const r of this.rows) {
      if (r.key !== key) continue;
      if (LIST_HEADERS.has(key)) {
        const first = splitList(r.value)[0];
        if (first !== undefined) return first;
        continue;
      }
      return r.value;
    }
    return undefined;
  }

  /** Every value, list headers split into elements, in order. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    const list = LIST_HEADERS.has(key);
    for (const r of this.rows) {
      if (r.key !== key) continue;
      if (list) out.push(...splitList(r.value));
      else out.push(r.value);
    }
    return out;
  }

  /** Raw rows for serialisation. */
  entries(): ReadonlyArray<{ readonly key: string; readonly name: string; readonly value: string }> {
    return this.rows;
  }

  clone(): SipHeaders {
    const h = new SipHeaders();
    for (const r of this.rows) h.rows.push({ ...r });
    return h;
  }
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 §18 transports this stack carries SIP over. */
export type SipTransportName = 'udp' | 'tcp' | 'tls';
export type StreamTransportName = 'tcp' | 'tls';

export interface Endpoint {
  address: string;
  port: number;
  /** How to reach it; absent means UDP. On a stream, address and port name the connection's far end. */
  transport?: SipTransportName;
}

/** TCP and TLS are reliable (RFC 3261 §17: no retransmissions, Timers D/I/J/K zero). */
export const isReliable = (e: Endpoint): boolean => e.transport === 'tcp' || e.transport === 'tls';
