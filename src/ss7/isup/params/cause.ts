import type { ParamCodec } from './types.js';

/** Cause indicators (Q.763 §3.12, Q.850 §2.2; T1.113.3 §3.12). */
export interface CauseIndicators {
  /** 0 ITU-T, 2 national (ANSI networks send 2 for T1.113 causes). */
  codingStandard: number;
  /** Q.850 §2.2.5 location: 0 user, 1 private local, 2 public local, 3 transit, 4 public remote ... */
  location: number;
  /** Octet 1a (Q.850 §2.2.6), present only when octet 1 has extension bit 0. */
  recommendation?: number;
  /** Q.850 cause value, 7 bits (16 normal clearing, 17 busy, 31 normal unspecified ...). */
  cause: number;
  diagnostic?: Buffer;
}

export function causeIndicators(cause: number, location = 3, codingStandard = 0): CauseIndicators {
  return { codingStandard, location, cause };
}

export const causeCodec: ParamCodec<CauseIndicators> = {
  encode(w, v) {
    const ext = v.recommendation === undefined ? 0x80 : 0;
    w.u8(ext | ((v.codingStandard & 3) << 5) | (v.location & 0xf));
    if (v.recommendation !== undefined) w.u8(0x80 | (v.recommendation & 0x7f));
    w.u8(0x80 | (v.cause & 0x7f));
    if (v.diagnostic) w.bytes(v.diagnostic);
  },
  decode(buf, start, end) {
    let i = start;
    if (end - i < 2) return undefined;
    const o1 = buf[i++];
    const out: CauseIndicators = { codingStandard: (o1 >> 5) & 3, location: o1 & 0xf, cause: 0 };
    if ((o1 & 0x80) === 0) {
      if (end - i < 2) return undefined;
      out.recommendation = buf[i++] & 0x7f;
    }
    out.cause = buf[i++] & 0x7f;
    if (i < end) out.diagnostic = Buffer.from(buf.subarray(i, end));
    return out;
  },
};

/**
 * The ITU-T Q.850 cause with the same meaning, for call control and SIP mapping (RFC 3398 maps
 * Q.850 values). Coding standard 0 is Q.850 already. ANSI networks send some causes coded as
 * "national standard" (2) whose numbers mean something else in Q.850 (T1.113.3 §3.12): those
 * known are translated, others fall back to the class default of their range (Q.850 §2.2.7).
 */
export function q850Equivalent(ci: Pick<CauseIndicators, 'codingStandard' | 'cause'>): number {
  if (ci.codingStandard !== 2) return ci.cause;
  const known = ANSI_NATIONAL_CAUSES[ci.cause];
  if (known !== undefined) return known;
  if (ci.cause <= 31) return 31;
  if (ci.cause <= 47) return 47;
  if (ci.cause <= 63) return 63;
  if (ci.cause <= 79) return 79;
  if (ci.cause <= 95) return 95;
  if (ci.cause <= 111) return 111;
  return 127;
}

/** T1.113.3 national causes: 23 unallocated destination number, 24 unknown business group, 25 exchange routing error, 26 misrouted call to a ported number, 27 LNP query-on-release number not found. */
const ANSI_NATIONAL_CAUSES: Record<number, number> = { 23: 1, 24: 1, 25: 3, 26: 1, 27: 1 };
