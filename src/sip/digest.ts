/**
 * HTTP Digest as SIP uses it (RFC 3261 §22.4, RFC 7616 §3.4, RFC 8760 for SHA-256 in SIP): the
 * header syntax and the hashes, no policy and no state. Nonce handling lives with the authenticator.
 */
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'SHA-256';
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

const HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(HASH[algorithm]).update(text, 'utf8').digest('hex');
}

/** RFC 7616 §3.4.2: A1 = username ":" realm ":" passwd. */
export function ha1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  cnonce?: string;
  qop?: string;
  /** nonce-count as sent (8 hex digits, RFC 7616 §3.4). */
  nc?: string;
  opaque?: string;
}

/** RFC 7616 §3.4.1 with qop=auth: KD(H(A1), nonce:nc:cnonce:qop:H(A2)), A2 = method ":" uri. */
export function digestResponse(algorithm: DigestAlgorithm, ha1Hex: string, method: string, c: Pick<DigestCredentials, 'nonce' | 'uri' | 'nc' | 'cnonce' | 'qop'>): string {
  const ha2 = digestHash(algorithm, `${method}:${c.uri}`);
  if (c.qop) return digestHash(algorithm, `${ha1Hex}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:${c.qop}:${ha2}`);
  // RFC 2069 compatibility (RFC 3261 §22.4): no qop.
  return digestHash(algorithm, `${ha1Hex}:${c.nonce}:${ha2}`);
}

/**
 * Auth-params of a `Digest` credentials value (RFC 3261 §25.1 `dig-resp`): name=token or
 * name="quoted string", comma-separated. Undefined when the scheme is not Digest or the syntax is broken.
 */
export function parseAuthParams(value: string): Map<string, string> | undefined {
  const m = /^\s*Digest\s+/i.exec(value);
  if (!m) return undefined;
  const params = new Map<string, string>();
  let i = m[0].length;
  const s = value;
  while (i < s.length) {
    while (i < s.length && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq < 0) return undefined;
    const name = s.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z0-9_-]+$/.test(name)) return undefined;
    i = eq + 1;
    while (s[i] === ' ' || s[i] === '\t') i++;
    let val = '';
    if (s[i] === '"') {
      i++;
      for (; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        val += s[i];
      }
      if (s[i] !== '"') return undefined;
      i++;
    } else {
      const end = s.indexOf(',', i);
      val = s.slice(i, end < 0 ? s.length : end).trim();
      i = end < 0 ? s.length : end;
    }
    if (params.has(name)) return undefined;
    params.set(name, val);
  }
  return params;
}

/** The credentials of an Authorization value, or undefined when a parameter RFC 7616 §3.4 requires is missing. */
export function parseCredentials(value: string): DigestCredentials | undefined {
  const p = parseAuthParams(value);
  if (!p) return undefined;
  const username = p.get('username');
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return undefined;
  const alg = (p.get('algorithm') ?? 'MD5').toUpperCase();
  const algorithm = DIGEST_ALGORITHMS.find((a) => a === alg);
  if (!algorithm) return undefined;
  return { username, realm, nonce, uri, response: response.toLowerCase(), algorithm, cnonce: p.get('cnonce'), qop: p.get('qop'), nc: p.get('nc'), opaque: p.get('opaque') };
}

const quote = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** A WWW-Authenticate value (RFC 7616 §3.3; RFC 3261 §22.4). */
export function formatChallenge(c: { realm: string; nonce: string; algorithm: DigestAlgorithm; opaque?: string; stale?: boolean }): string {
  const parts = [`realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`, `algorithm=${c.algorithm}`, 'qop="auth"'];
  if (c.opaque) parts.push(`opaque=${quote(c.opaque)}`);
  if (c.stale) parts.push('stale=true');
  return `Digest ${parts.join(', ')}`;
}
