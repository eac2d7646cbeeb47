/**
 * Headers of a forwarded leg: History-Info (RFC 7044) and Diversion (RFC 5806), both carried so that
 * a voicemail server or a PBX of either school can tell whom the call was for and why it moved.
 */
import type { Redirect } from './forwarding.js';

/** Forwarding hops already made, from the larger of the Diversion counters and History-Info's mp entries. */
export function forwardHops(diversion: string[], historyInfo: string[]): number {
  let d = 0;
  for (const v of diversion) d += Number(/;\s*counter=(\d+)/i.exec(v)?.[1] ?? 1);
  const h = historyInfo.filter((v) => /;\s*(mp|rc)=/i.test(v)).length;
  return Math.max(d, h);
}

/**
 * History-Info: the original target with the response that caused the retarget as an escaped
 * Reason (RFC 7044 §4.3.2), then the new target with `cause` (RFC 4458 §3.5) tagged mp
 * (mapped, RFC 7044 §4.3.3.1.2). Diversion: the diverting party with reason and counter (RFC 5806 §4).
 */
export function forwardingHeaders(originalUri: string, newUri: string, r: Redirect, priorHops: number): Record<string, string> {
  const reason = encodeURIComponent(`SIP;cause=${r.cause};text="${r.reason}"`);
  const sep = originalUri.includes('?') ? '&' : '?';
  const target = r.cause === 302 ? newUri : `${newUri};cause=${r.cause}`;
  return {
    'History-Info': `<${originalUri}${sep}Reason=${reason}>;index=1, <${target}>;index=1.1;mp=1`,
    Diversion: `<${originalUri}>;reason=${r.reason};counter=${priorHops + 1}`,
  };
}
