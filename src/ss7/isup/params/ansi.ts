import type { ParamCodec } from './types.js';
import { readBcd, writeBcd } from './digits.js';

/**
 * Carrier and jurisdiction parameters used on US trunks (T1.113.3) plus transit network
 * selection, whose layout differs between T1.113.3 §3.50 and Q.763 §3.53.
 */

/** Network identification (T1.113.3 §3.8a carrier identification, §3.50 / Q.763 §3.53 TNS). */
export interface NetworkIdentification {
  /** Type of network identification, bits 7-5 (2 = national network, T1.113 carrier). */
  networkIdType: number;
  /** Network identification plan, bits 4-1 (1 = 3-digit CIC, 2 = 4-digit CIC). */
  networkIdPlan: number;
  /** Carrier/network digits (all nibbles of the ANSI form; odd/even honoured in the ITU form). */
  digits: string;
  /** ANSI TNS only: circuit code (bits 8-5 of the last octet: 1 international, 2 ... ). */
  circuitCode?: number;
}

export const carrierIdentificationCodec: ParamCodec<NetworkIdentification> = {
  encode(w, v) {
    w.u8(((v.networkIdType & 7) << 4) | (v.networkIdPlan & 0xf));
    writeBcd(w, v.digits);
  },
  decode(buf, start, end) {
    if (end - start < 1) return undefined;
    const o1 = buf[start];
    return { networkIdType: (o1 >> 4) & 7, networkIdPlan: o1 & 0xf, digits: readBcd(buf, start + 1, end, false) };
  },
};

/** ANSI: octet 1, two digit octets, circuit code octet. ITU: octet 1 with odd/even in bit 8, digits. */
export const transitNetworkSelectionCodec: ParamCodec<NetworkIdentification> = {
  encode(w, v, variant) {
    const odd = variant === 'itu' ? (v.digits.length & 1) << 7 : 0;
    w.u8(odd | ((v.networkIdType & 7) << 4) | (v.networkIdPlan & 0xf));
    writeBcd(w, v.digits);
    if (variant === 'ansi' && v.circuitCode !== undefined) w.u8((v.circuitCode & 0xf) << 4);
  },
  decode(buf, start, end, variant) {
    if (end - start < 1) return undefined;
    const o1 = buf[start];
    const base = { networkIdType: (o1 >> 4) & 7, networkIdPlan: o1 & 0xf };
    if (variant === 'itu') {
      const odd = (o1 & 0x80) !== 0;
      if (odd && end - start === 1) return undefined;
      return { ...base, digits: readBcd(buf, start + 1, end, odd) };
    }
    if (end - start !== 4) return undefined;
    return { ...base, digits: readBcd(buf, start + 1, start + 3, false), circuitCode: buf[start + 3] >> 4 };
  },
};

/** Jurisdiction information (T1.113.3 §3.24b): 6 digits (NPA-NXX of the originating switch). */
export const jurisdictionCodec: ParamCodec<string> = {
  encode(w, v) {
    writeBcd(w, v);
  },
  decode(buf, start, end) {
    return end > start ? readBcd(buf, start, end, false) : undefined;
  },
};
