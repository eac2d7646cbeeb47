/**
 * M3UA DATA messages (RFC 4666 §3.3.1) carrying an ITU ISUP IAM (Q.763 §1.3), numbered through
 * the Correlation Id parameter so order can be checked at the far end.
 */
import { encodeM3ua } from '../../../src/ss7/m3ua/codec.js';

/** ITU ISUP IAM, 40 bytes: CIC 1, called 12345678, calling 441234567890, USI speech, hop counter. */
export const ISUP_IAM = Buffer.from(
  [
    '0100', // CIC (Q.763 §1.2, little-endian 12 bits)
    '01', // message type IAM
    '00', // nature of connection indicators
    '6001', // forward call indicators
    '0a', // calling party's category: ordinary
    '00', // transmission medium requirement: speech
    '02', '08', // pointers: called party number, optional part
    '06', '0310', '21436587', // called party number: national, ISDN, 8 digits
    '0a', '08', '0313', '442143658709', // calling party number: 12 digits
    '1d', '03', '8090a3', // user service information: speech, 64 kbit/s, A-law
    '31', '02', '0000', // propagation delay counter
    '3d', '01', '1f', // hop counter
    '00', // end of optional parameters
  ].join(''),
  'hex',
);

export function m3uaData(seq: number): Buffer {
  return encodeM3ua({
    type: 'DATA',
    routingContext: [1],
    protocolData: { opc: 11522, dpc: 12163, si: 5, ni: 2, mp: 0, sls: seq & 0x0f, data: ISUP_IAM },
    correlationId: seq >>> 0,
  });
}

/** Correlation Id (tag 0x0013) of an M3UA message, or -1. */
export function correlationIdOf(msg: Buffer): number {
  let at = 8;
  while (at + 4 <= msg.length) {
    const tag = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 2);
    if (len < 4) return -1;
    if (tag === 0x0013 && len === 8 && at + 8 <= msg.length) return msg.readUInt32BE(at + 4);
    at += (len + 3) & ~3;
  }
  return -1;
}
