import type { Variant } from '../variant.js';
import { decodeM3ua } from '../m3ua/codec.js';
import { decodeIsup } from '../isup/codec.js';
import { formatPointCode } from '../mtp3/point-code.js';
import { toPlain } from './json.js';

export interface DecodeOptions {
  variant: Variant;
  /** UDP ports carrying SCTP in a capture (RFC 6951); default 9899. */
  sctpUdpPorts?: number[];
}

/** RFC 4666 §3.1: version 1, reserved 0, and a length that fits the bytes given. */
function looksLikeM3ua(b: Buffer): boolean {
  if (b.length < 8 || b[0] !== 1 || b[1] !== 0) return false;
  const len = b.readUInt32BE(4);
  return len >= 8 && len <= b.length && len % 4 === 0;
}

const SI_ISUP = 5;

/** ISUP message as plain JSON (mnemonic, CIC, named parameters, digits as strings). */
export function decodeIsupPlain(bytes: Buffer, variant: Variant): object {
  return toPlain(decodeIsup(bytes, variant)) as object;
}

/**
 * Decodes one signalling unit for display (`softswitch decode HEX`): an M3UA message with its
 * routing label and ISUP payload, or, when the bytes do not start like M3UA, a bare ISUP message.
 */
export function decodeSignalling(bytes: Buffer, opts: DecodeOptions): object {
  if (!looksLikeM3ua(bytes)) return { isup: decodeIsupPlain(bytes, opts.variant) };
  const m = decodeM3ua(bytes);
  const header = { version: bytes[0], messageClass: bytes[2], messageType: bytes[3], length: bytes.readUInt32BE(4) };
  if (m.type === 'DECODE_ERROR') return { m3ua: { ...header, ...(toPlain(m) as object) } };
  if (m.type !== 'DATA') return { m3ua: { ...header, ...(toPlain(m) as object) } };
  const { protocolData, ...rest } = m;
  const { data, ...label } = protocolData;
  const out: Record<string, unknown> = {
    m3ua: { ...header, ...(toPlain(rest) as object) },
    mtp3: {
      ...label,
      opcText: formatPointCode(label.opc, opts.variant),
      dpcText: formatPointCode(label.dpc, opts.variant),
    },
  };
  if (label.si === SI_ISUP) out.isup = decodeIsupPlain(data, opts.variant);
  else out.userData = data.toString('hex');
  return out;
}
