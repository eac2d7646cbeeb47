/**
 * Session timers (RFC 4028), as pure functions: the Session-Expires and Min-SE header values, the
 * UAS's negotiation of an INVITE (or a refresh) and the UAC's reading of a 2xx, and when the refresher
 * refreshes and the other side gives up. The UA core keeps one timer per dialog from these.
 */

/** RFC 4028 §4: the smallest Session-Expires anyone may ask for. */
export const MIN_SESSION_EXPIRES_S = 90;

export type Refresher = 'uac' | 'uas';

export interface SessionExpires {
  deltaS: number;
  refresher?: Refresher;
}

/** RFC 4028 §4: `delta-seconds *(;se-params)`, refresher=uac|uas; undefined when malformed. */
export function parseSessionExpires(v: string | undefined): SessionExpires | undefined {
  if (v === undefined) return undefined;
  const [delta, ...params] = v.split(';').map((p) => p.trim());
  if (!/^\d{1,10}$/.test(delta ?? '')) return undefined;
  let refresher: Refresher | undefined;
  for (const p of params) {
    const [k, val] = p.split('=').map((x) => x.trim().toLowerCase());
    if (k === 'refresher' && (val === 'uac' || val === 'uas')) refresher = val;
  }
  return { deltaS: Number(delta), refresher };
}

/** RFC 4028 §5: Min-SE, `delta-seconds *(;generic-param)`. */
export function parseMinSe(v: string | undefined): number | undefined {
  const m = /^\s*(\d{1,10})/.exec(v ?? '');
  return m ? Number(m[1]) : undefined;
}

export interface SessionTimerPolicy {
  /** Our Min-SE: a smaller Session-Expires is refused with 422 (at least 90, RFC 4028 §5). */
  minSeS: number;
  /** The most we grant; a larger request is reduced to it (§9: the UAS may lower it). */
  maxSeS: number;
}

export const DEFAULT_SESSION_TIMER_POLICY: SessionTimerPolicy = { minSeS: MIN_SESSION_EXPIRES_S, maxSeS: 1800 };

export type UasNegotiation =
  /** No session timer on this dialog (the UAC asked for none). */
  | { kind: 'none' }
  /** §9: 422 Session Interval Too Small, with our Min-SE. */
  | { kind: 'too-small'; minSeS: number }
  /** The interval and who refreshes; `headers` go in the 2xx. */
  | { kind: 'timer'; seS: number; refresher: Refresher; headers: Record<string, string> };

/**
 * RFC 4028 §9 at the UAS, for an INVITE or a session refresh: the UAC's Session-Expires (with its
 * Min-SE) against our policy. A UAC that asks for no Session-Expires gets none. The refresher the
 * UAC chose is kept; when it chose none, the UAC refreshes if it supports timers, else we do.
 */
export function negotiateAsUas(get: (name: string) => string | undefined, supported: readonly string[], policy: SessionTimerPolicy): UasNegotiation {
  const se = parseSessionExpires(get('session-expires'));
  if (!se) return { kind: 'none' };
  const floor = Math.max(policy.minSeS, MIN_SESSION_EXPIRES_S);
  if (se.deltaS < floor) return { kind: 'too-small', minSeS: floor };
  const theirMin = parseMinSe(get('min-se')) ?? 0;
  const seS = Math.max(Math.min(se.deltaS, policy.maxSeS), floor, theirMin);
  const uacSupports = supported.some((t) => t.trim().toLowerCase() === 'timer');
  const refresher: Refresher = se.refresher ?? (uacSupports ? 'uac' : 'uas');
  const headers: Record<string, string> = { 'Session-Expires': `${seS};refresher=${refresher}` };
  // §9: Require: timer in the 2xx when the UAC supports the extension (so it knows to refresh).
  if (uacSupports) headers.Require = 'timer';
  return { kind: 'timer', seS, refresher, headers };
}

/** RFC 4028 §7.2 at the UAC: the 2xx's Session-Expires; without a refresher the UAC refreshes (§7.2). */
export function readAnswerAsUac(get: (name: string) => string | undefined): { seS: number; refresher: Refresher } | undefined {
  const se = parseSessionExpires(get('session-expires'));
  if (!se || se.deltaS < MIN_SESSION_EXPIRES_S) return undefined;
  return { seS: se.deltaS, refresher: se.refresher ?? 'uac' };
}

/**
 * When the next thing happens, in ms from the last refresh: the refresher refreshes at half the
 * interval (§10); the other side sends BYE when the interval ends without a refresh, less
 * min(32 s, interval/3) (§10).
 */
export function sessionDeadlineMs(seS: number, weRefresh: boolean): number {
  return weRefresh ? (seS * 1000) / 2 : seS * 1000 - Math.min(32_000, (seS * 1000) / 3);
}
