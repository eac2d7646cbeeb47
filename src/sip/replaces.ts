/**
 * The Replaces header (RFC 3891 §6.1), pure: `callid;to-tag=x;from-tag=y[;early-only]`, as a
 * header of an INVITE or escaped inside a Refer-To URI's headers (`?Replaces=...`, RFC 3261 §19.1.1).
 * Hostile input gives undefined, never an exception.
 */
import { parseNameAddr, parseUri } from './header-values.js';

/** RFC 3891 §6.1: the dialog to replace; the to-tag is the tag of the UA receiving the Replaces. */
export interface ReplacesTarget {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

export function parseReplaces(value: string | undefined): ReplacesTarget | undefined {
  if (!value) return undefined;
  const [first, ...params] = value.split(';');
  const callId = first.trim();
  if (!callId || /[\s<>"]/.test(callId)) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of params) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (name === 'to-tag') toTag = v;
    else if (name === 'from-tag') fromTag = v;
    else if (name === 'early-only') earlyOnly = true;
  }
  // Both tags are mandatory (§6.1).
  if (!toTag || !fromTag) return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}

/** A Refer-To (name-addr or bare URI): its URI without headers, and the Replaces it carries, if any. */
export function splitReferTo(value: string): { uri: string; replaces?: ReplacesTarget; badReplaces?: boolean } | undefined {
  const na = parseNameAddr(value);
  const raw = na?.uri ?? value.trim();
  const uri = parseUri(raw);
  if (!uri) return undefined;
  const q = raw.indexOf('?', Math.max(0, raw.indexOf('@')));
  const base = q >= 0 ? raw.slice(0, q) : raw;
  if (!uri.headers) return { uri: base };
  for (const h of uri.headers.split('&')) {
    const eq = h.indexOf('=');
    if (eq < 0 || h.slice(0, eq).trim().toLowerCase() !== 'replaces') continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(h.slice(eq + 1));
    } catch {
      return { uri: base, badReplaces: true };
    }
    const replaces = parseReplaces(decoded);
    return replaces ? { uri: base, replaces } : { uri: base, badReplaces: true };
  }
  return { uri: base };
}
