import { describe, expect, it } from 'vitest';
import { decodeM3ua, encodeM3ua, MESSAGE_SPECS, messageName } from '../../../src/ss7/m3ua/codec.js';
import { ErrorCode } from '../../../src/ss7/m3ua/constants.js';
import { isDecodeError, type M3uaDecodeError } from '../../../src/ss7/m3ua/messages.js';
import { samples } from './samples.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeErr(b: Buffer): M3uaDecodeError {
  const r = decodeM3ua(b);
  if (!isDecodeError(r)) throw new Error(`expected an error, got ${r.type}`);
  return r;
}

describe('M3UA codec (RFC 4666 §3)', () => {
  it('covers every message type in the table', () => {
    expect(new Set(samples.map((s) => s.type))).toEqual(new Set(MESSAGE_SPECS.map((s) => s.type)));
    expect(messageName('ASPAC')).toBe('ASPAC (ASP Active)');
  });

  it.each(samples.map((m) => [m.type, m] as const))('%s: decode(encode(m)) equals m and re-encodes to the same bytes', (_t, m) => {
    const b = encodeM3ua(m);
    expect(b.length % 4).toBe(0);
    expect(b.readUInt32BE(4)).toBe(b.length);
    const d = decodeM3ua(b);
    expect(d).toEqual(m);
    expect(encodeM3ua(d as typeof m)).toEqual(b);
  });

  it('encodes DATA byte-exactly (RFC 4666 §3.3.1 layout)', () => {
    const b = encodeM3ua({
      type: 'DATA',
      routingContext: [1023],
      protocolData: { opc: 23, dpc: 42, si: 3, ni: 2, mp: 0, sls: 5, data: hex('0102030405') },
    });
    expect(b.toString('hex')).toBe(
      '01000101' + '00000028' + '00060008' + '000003ff' + '02100015' + '00000017' + '0000002a' + '03020005' + '0102030405' + '000000',
    );
  });

  it('encodes ASPUP with no parameters as a bare header', () => {
    expect(encodeM3ua({ type: 'ASPUP' }).toString('hex')).toBe('0100030100000008');
  });

  it('skips unknown parameters', () => {
    const b = hex('01000301 00000014 7f7f0008 deadbeef 00110008 00000005'.replace(/00000014/, '00000018'));
    expect(decodeM3ua(b)).toEqual({ type: 'ASPUP', aspIdentifier: 5 });
  });

  it('accepts a missing final padding', () => {
    const full = encodeM3ua({ type: 'BEAT', heartbeatData: hex('a1a2a3') });
    const cut = Buffer.from(full.subarray(0, full.length - 1));
    cut.writeUInt32BE(cut.length, 4);
    expect(decodeM3ua(cut)).toEqual({ type: 'BEAT', heartbeatData: hex('a1a2a3') });
  });

  it('answers malformed messages with the RFC 4666 §3.8.1 error code', () => {
    expect(decodeErr(hex('020003010000 0008')).errorCode).toBe(ErrorCode.INVALID_VERSION);
    expect(decodeErr(hex('01000501 00000008')).errorCode).toBe(ErrorCode.UNSUPPORTED_MESSAGE_CLASS);
    expect(decodeErr(hex('01000309 00000008')).errorCode).toBe(ErrorCode.UNSUPPORTED_MESSAGE_TYPE);
    expect(decodeErr(hex('01000101 00000008')).errorCode).toBe(ErrorCode.MISSING_PARAMETER);
    expect(decodeErr(hex('01000101 00000010 02100008 00000001')).errorCode).toBe(ErrorCode.PARAMETER_FIELD_ERROR);
    expect(decodeErr(hex('01000301 00000010 00110006 00000001')).errorCode).toBe(ErrorCode.PARAMETER_FIELD_ERROR);
    expect(decodeErr(hex('01000301 00000010 00110010 00000001')).errorCode).toBe(ErrorCode.PARAMETER_FIELD_ERROR);
    expect(decodeErr(hex('01000301 00000010 000b0008 00000001')).errorCode).toBe(ErrorCode.UNEXPECTED_PARAMETER);
    expect(decodeErr(hex('01000301 00000020')).errorCode).toBe(ErrorCode.PARAMETER_FIELD_ERROR);
    expect(decodeErr(hex('010003')).errorCode).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(decodeErr(hex('01000902 00000014 02080010 020a0008 00000001')).errorCode).toBe(ErrorCode.PARAMETER_FIELD_ERROR);
  });
});
