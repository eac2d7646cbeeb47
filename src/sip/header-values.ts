/**
 * Structured values of the headers the core needs (RFC 3261 §25.1 grammar, leniently):
 * Via, CSeq, name-addr (From/To/Contact/Route), SIP URI. Each returns undefined when unparseable.
 */
import { isIPv6 } from 'node:net';

export interface SipUri {
  scheme: string;
  user: string;
  host: string;
  port?: number;
  params: Map<string, string>;
  /** The `?h=v&...` component after the host, undecoded, when present. */
  headers?: string;
}

export interface Via {
  /** Protocol version, `2.0` in every message this stack accepts. */
  version: string;
  transport: string;
  host: string;
  port?: number;
  params: Map<string, string>;
  branch?: string;
}

export interface NameAddr {
  displayName?: string;
  uri: string;
  params: Map<string, string>;
  tag?: string;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** `;a=b;c` → Map; values keep their case, names are lower-cased (RFC 3261 §7.3.1). */
export function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of text.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) params.set(p.toLowerCase(), '');
    else params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return params;
}

export function formatParams(params: Map<string, string>): string {
  let s = '';
  for (const [k, v] of params) s += v === '' ? `;${k}` : `;${k}=${v}`;
  return s;
}

/** RFC 3261 §25.1 hostname (labels of alphanumerics and '-'; '_' tolerated, as deployed) or IPv4address. */
const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

/**
 * host [":" port] (RFC 3261 §25.1, RFC 5118 §4): an IPv6 address only inside brackets, so
 * `2001:db8::10` is not a host and `[2001:db8::10:5070]` is an address without a port.
 */
function parseHostPort(text: string): { host: string; port?: number } | undefined {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || !isIPv6(text.slice(1, close))) return undefined;
    host = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest && !rest.startsWith(':')) return undefined;
    portText = rest ? rest.slice(1) : undefined;
  } else {
    const colon = text.indexOf(':');
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
    if (!HOSTNAME.test(host)) return undefined;
  }
  if (portText === undefined) return { host };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return undefined;
  return { host, port: Number(portText) };
}

/** sip:/sips: URIs (RFC 3261 §19.1.1); tel: and others yield scheme and host ''. */
export function parseUri(text: string): SipUri | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const scheme = text.slice(0, colon).toLowerCase();
  let rest = text.slice(colon + 1);
  if (scheme !== 'sip' && scheme !== 'sips') {
    const semi = rest.indexOf(';');
    return { scheme, user: semi < 0 ? rest : rest.slice(0, semi), host: '', params: parseParams(semi < 0 ? '' : rest.slice(semi)) };
  }
  // §19.1.1: the user part may hold '?' (user-unreserved); the headers component starts after the host.
  const q = rest.indexOf('?', Math.max(0, rest.indexOf('@')));
  let headers: string | undefined;
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : '';
  const hostpart = at >= 0 ? rest.slice(at + 1) : rest;
  const semi = hostpart.indexOf(';');
  const hp = parseHostPort(semi < 0 ? hostpart : hostpart.slice(0, semi));
  if (!hp) return undefined;
  const pcolon = userinfo.indexOf(':');
  return {
    scheme,
    user: pcolon >= 0 ? userinfo.slice(0, pcolon) : userinfo,
    host: hp.host,
    port: hp.port,
    params: parseParams(semi < 0 ? '' : hostpart.slice(semi)),
    headers,
  };
}

/**
 * One Via element: `SIP/2.0/UDP host:port;branch=...` (RFC 3261 §20.42). Another protocol
 * version parses too (`version` says which), so a 505 can still be routed back (§8.2.1).
 */
export function parseVia(text: string): Via | undefined {
  const m = /^SIP\s*\/\s*(\d+\.\d+)\s*\/\s*([A-Za-z0-9!%*_+`'~.-]+)\s+([^;\s]+)\s*(;.*)?$/i.exec(text.trim());
  if (!m) return undefined;
  const hp = parseHostPort(m[3]);
  if (!hp) return undefined;
  const params = parseParams(m[4] ?? '');
  return { version: m[1], transport: m[2].toUpperCase(), host: hp.host, port: hp.port, params, branch: params.get('branch') };
}

export function formatVia(via: Via): string {
  return `SIP/${via.version}/${via.transport} ${via.host}${via.port !== undefined ? `:${via.port}` : ''}${formatParams(via.params)}`;
}

/** `42 INVITE` (RFC 3261 §20.16). */
export function parseCSeq(text: string): CSeq | undefined {
  const m = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(text.trim());
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > 0xffffffff) return undefined;
  return { seq, method: m[2] };
}

/** name-addr or addr-spec with header parameters (RFC 3261 §20.10, §20.20, §20.39). */
export function parseNameAddr(text: string): NameAddr | undefined {
  const t = text.trim();
  let displayName: string | undefined;
  let uri: string;
  let after: string;
  // The '<' that opens the URI is the first one outside a quoted display name.
  let lt = -1;
  for (let i = 0, quoted = false; i < t.length; i++) {
    const c = t[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') {
      lt = i;
      break;
    }
  }
  if (lt >= 0) {
    const gt = t.indexOf('>', lt);
    if (gt < 0) return undefined;
    const disp = t.slice(0, lt).trim();
    if (disp) displayName = disp.startsWith('"') && disp.endsWith('"') && disp.length >= 2 ? disp.slice(1, -1) : disp;
    uri = t.slice(lt + 1, gt).trim();
    after = t.slice(gt + 1);
  } else {
    // RFC 3261 §20.10: without <>, parameters after ';' belong to the header, not the URI.
    const semi = t.indexOf(';');
    uri = (semi < 0 ? t : t.slice(0, semi)).trim();
    after = semi < 0 ? '' : t.slice(semi);
  }
  if (!/^[A-Za-z][A-Za-z0-9+\-.]*:\S+$/.test(uri) && uri !== '*') return undefined;
  const params = parseParams(after);
  return { displayName, uri, params, tag: params.get('tag') };
}

export function formatNameAddr(na: { displayName?: string; uri: string; params?: Map<string, string> }): string {
  const disp = na.displayName ? `"${na.displayName.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${disp}<${na.uri}>${na.params ? formatParams(na.params) : ''}`;
}
