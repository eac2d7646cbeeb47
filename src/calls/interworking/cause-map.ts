/**
 * Q.850 cause ↔ SIP status mapping for SIP–ISUP interworking, RFC 3398 §8.2.6.1 (ISUP→SIP)
 * and §7.2.4.1 (SIP→ISUP). A Reason header (RFC 3326) carries the exact cause beside it.
 */
const Q850_TO_SIP: Record<number, number> = {
  1: 404, 2: 404, 3: 404, 17: 486, 18: 408, 19: 480, 20: 480, 21: 403, 22: 410, 23: 410, 26: 404,
  27: 502, 28: 484, 29: 501, 31: 480, 34: 503, 38: 503, 41: 503, 42: 503, 47: 503, 55: 403, 57: 403,
  58: 503, 65: 488, 70: 488, 79: 501, 87: 403, 88: 503, 102: 504, 111: 500, 127: 500,
};

const SIP_TO_Q850: Record<number, number> = {
  400: 41, 401: 21, 402: 21, 403: 21, 404: 1, 405: 63, 406: 79, 407: 21, 408: 102, 410: 22,
  413: 127, 414: 127, 415: 79, 416: 127, 420: 127, 421: 127, 423: 127, 480: 18, 481: 41, 482: 25,
  483: 25, 484: 28, 485: 1, 486: 17, 487: 31, 488: 127, 500: 41, 501: 79, 502: 38, 503: 41,
  504: 102, 505: 127, 513: 127, 600: 17, 603: 21, 604: 1, 606: 58,
};

/** SIP final status for a Q.850 cause; unlisted causes map by class (RFC 3398 §8.2.6.1 default 500). */
export function sipStatusForCause(cause: number): number {
  const direct = Q850_TO_SIP[cause];
  if (direct) return direct;
  if (cause >= 1 && cause <= 31) return 480;
  if (cause >= 32 && cause <= 47) return 503;
  if (cause >= 48 && cause <= 79) return 501;
  return 500;
}

/** Q.850 cause for a SIP final status; unlisted 4xx/5xx/6xx by class (RFC 3398 §7.2.4.1). */
export function causeForSipStatus(status: number): number {
  const direct = SIP_TO_Q850[status];
  if (direct) return direct;
  if (status >= 600) return 31;
  if (status >= 500) return 41;
  return 31;
}

/** RFC 3326 Reason header value carrying a Q.850 cause. */
export function reasonHeader(cause: number): string {
  return `Q.850;cause=${cause}`;
}

/** The cause in a Reason header (`Q.850;cause=16;text="..."`), if any. */
export function causeFromReasonHeader(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /Q\.850\s*;[^,]*?cause\s*=\s*(\d{1,3})/i.exec(value);
  const cause = m ? Number(m[1]) : NaN;
  return cause >= 1 && cause <= 127 ? cause : undefined;
}
