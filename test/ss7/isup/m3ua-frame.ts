import type { Variant } from '../../../src/ss7/variant.js';
import { encodeM3ua } from '../../../src/ss7/m3ua/codec.js';
import type { M3uaMessage } from '../../../src/ss7/m3ua/messages.js';

/** Point codes used around test ISUP: ANSI 245-16-0 -> 1-2-3, ITU 11522 -> 12163. */
export const PCS: Record<Variant, { opc: number; dpc: number }> = {
  ansi: { opc: 0xf51000, dpc: 0x010203 },
  itu: { opc: 11522, dpc: 12163 },
};

/** RFC 4666 §3.3.1 DATA with Protocol Data (SI 5 = ISUP) around ISUP bytes. */
export function m3uaData(isup: Buffer, variant: Variant, sls = 3): Buffer {
  const msg = { type: 'DATA', protocolData: { ...PCS[variant], si: 5, ni: 2, mp: 0, sls, data: isup } } as M3uaMessage;
  return encodeM3ua(msg);
}
