import type { WireWriter } from '../../../wire/writer.js';
import type { ParamCodec } from './types.js';
import { readBcd, writeBcd } from './digits.js';

/**
 * Called/calling/redirecting/original called/redirection/connected/location number and ANSI
 * charge number share one layout (Q.763 §3.9, §3.10, §3.44, §3.39; T1.113.3 §3.10, §3.8):
 * octet 1 odd/even + nature of address; octet 2 bit 8, numbering plan, presentation, screening.
 * Bits that a given parameter leaves spare simply decode as 0.
 */
export interface PartyNumber {
  /** Nature of address indicator (Q.763 §3.9 b)): 1 subscriber, 2 unknown, 3 national, 4 international. */
  nai: number;
  /** Octet 2 bit 8: INN indicator (called, redirection) or number incomplete (calling, generic). */
  ni: boolean;
  /** Numbering plan indicator (1 = E.164). */
  npi: number;
  /** Address presentation restricted indicator (bits 4-3). */
  presentation: number;
  /** Screening indicator (bits 2-1). */
  screening: number;
  digits: string;
}

/** Generic number (Q.763 §3.26) / ANSI generic address (T1.113.3 §3.24a, LRN with type 0xC0). */
export interface GenericNumber extends PartyNumber {
  /** Number qualifier indicator (ITU) or type of address (ANSI). */
  qualifier: number;
}

/** Subsequent number (Q.763 §3.51): digits only. */
export interface SubsequentNumber {
  digits: string;
}

/** Generic digits (Q.763 §3.24): BCD schemes 0/1 as digit text, IA5 (2) as text, others as hex. */
export interface GenericDigits {
  encoding: number;
  typeOfDigits: number;
  digits: string;
}

/** A called or calling number with E.164 plan and everything else zero unless given. */
export function partyNumber(digits: string, fields: Partial<Omit<PartyNumber, 'digits'>> = {}): PartyNumber {
  return {
    nai: fields.nai ?? 3,
    ni: fields.ni ?? false,
    npi: fields.npi ?? 1,
    presentation: fields.presentation ?? 0,
    screening: fields.screening ?? 0,
    digits,
  };
}

function writeNumberOctets(w: WireWriter, v: PartyNumber): void {
  w.u8(((v.digits.length & 1) << 7) | (v.nai & 0x7f));
  w.u8((v.ni ? 0x80 : 0) | ((v.npi & 7) << 4) | ((v.presentation & 3) << 2) | (v.screening & 3));
  writeBcd(w, v.digits);
}

function readNumberOctets(buf: Buffer, start: number, end: number): PartyNumber | undefined {
  if (end - start < 2) return undefined;
  const o1 = buf[start];
  const o2 = buf[start + 1];
  const odd = (o1 & 0x80) !== 0;
  if (odd && end - start === 2) return undefined;
  return {
    nai: o1 & 0x7f,
    ni: (o2 & 0x80) !== 0,
    npi: (o2 >> 4) & 7,
    presentation: (o2 >> 2) & 3,
    screening: o2 & 3,
    digits: readBcd(buf, start + 2, end, odd),
  };
}

function readGenericNumber(buf: Buffer, start: number, end: number): GenericNumber | undefined {
  if (end - start < 3) return undefined;
  const o1 = buf[start + 1];
  const o2 = buf[start + 2];
  const odd = (o1 & 0x80) !== 0;
  if (odd && end - start === 3) return undefined;
  return {
    qualifier: buf[start],
    nai: o1 & 0x7f,
    ni: (o2 & 0x80) !== 0,
    npi: (o2 >> 4) & 7,
    presentation: (o2 >> 2) & 3,
    screening: o2 & 3,
    digits: readBcd(buf, start + 3, end, odd),
  };
}

export const partyNumberCodec: ParamCodec<PartyNumber> = {
  encode: writeNumberOctets,
  decode: readNumberOctets,
};

export const genericNumberCodec: ParamCodec<GenericNumber> = {
  encode(w, v) {
    w.u8(v.qualifier);
    writeNumberOctets(w, v);
  },
  decode: readGenericNumber,
};

export const subsequentNumberCodec: ParamCodec<SubsequentNumber> = {
  encode(w, v) {
    w.u8((v.digits.length & 1) << 7);
    writeBcd(w, v.digits);
  },
  decode(buf, start, end) {
    if (end - start < 1) return undefined;
    const odd = (buf[start] & 0x80) !== 0;
    if (odd && end - start === 1) return undefined;
    return { digits: readBcd(buf, start + 1, end, odd) };
  },
};

export const genericDigitsCodec: ParamCodec<GenericDigits> = {
  encode(w, v) {
    const enc = v.encoding <= 1 ? v.digits.length & 1 : v.encoding;
    w.u8(((enc & 7) << 5) | (v.typeOfDigits & 0x1f));
    if (enc <= 1) writeBcd(w, v.digits);
    else if (enc === 2) w.bytes(Buffer.from(v.digits, 'latin1'));
    else w.bytes(Buffer.from(v.digits, 'hex'));
  },
  decode(buf, start, end) {
    if (end - start < 1) return undefined;
    const encoding = buf[start] >> 5;
    const typeOfDigits = buf[start] & 0x1f;
    let digits: string;
    if (encoding <= 1) {
      if (encoding === 1 && end - start === 1) return undefined;
      digits = readBcd(buf, start + 1, end, encoding === 1);
    } else if (encoding === 2) digits = buf.toString('latin1', start + 1, end);
    else digits = buf.toString('hex', start + 1, end);
    return { encoding, typeOfDigits, digits };
  },
};
