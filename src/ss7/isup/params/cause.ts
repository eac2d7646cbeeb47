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
