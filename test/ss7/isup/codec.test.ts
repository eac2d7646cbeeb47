import { describe, expect, it } from 'vitest';
import { decodeIsup, encodeIsup } from '../../../src/ss7/isup/codec.js';
import { messageTypes } from '../../../src/ss7/isup/layouts.js';
import { findOptional, isIsupError, type IsupMessage, type IsupMessageOf } from '../../../src/ss7/isup/messages.js';
import { partyNumber } from '../../../src/ss7/isup/params/numbers.js';
import { rangeAndStatus, rangeStatusBits } from '../../../src/ss7/isup/params/indicators.js';
import { decodeMsu } from '../../../src/ss7/mtp3/routing-label.js';
import { tsharkJudge, findField, itTshark } from '../../helpers/tshark.js';
import { allSamples, TCPDUMP_ISUP } from './samples.js';
import { m3uaData } from './m3ua-frame.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function ok<T extends IsupMessage['type']>(buf: Buffer, variant: 'itu' | 'ansi', type: T): IsupMessageOf<T> {
  const m = decodeIsup(buf, variant);
  if (isIsupError(m)) throw new Error(`${m.reason}: ${m.detail}`);
  expect(m.type).toBe(type);
  return m as IsupMessageOf<T>;
}

describe('ISUP round trip', () => {
  for (const variant of ['itu', 'ansi'] as const) {
    it(`${variant}: decode(encode(m)) equals m and encode(decode(b)) equals b for every message type`, () => {
      const samples = allSamples(variant);
      expect(samples.length).toBe(messageTypes(variant).length);
      for (const m of samples) {
        const b = encodeIsup(m, variant);
        const d = decodeIsup(b, variant);
        expect(d, m.type).toEqual(m);
        expect(encodeIsup(d as IsupMessage, variant).equals(b), m.type).toBe(true);
      }
    });
  }

  it('covers the mnemonics the call control needs in each variant', () => {
    const both = ['IAM', 'ACM', 'CPG', 'ANM', 'REL', 'RLC', 'SUS', 'RES', 'INR', 'INF', 'COT', 'CCR', 'BLO', 'BLA', 'UBL', 'UBA',
      'RSC', 'GRS', 'GRA', 'CGB', 'CGBA', 'CGU', 'CGUA', 'CQM', 'CQR', 'UCIC', 'CFN', 'FAC', 'PAM'];
    for (const t of both) {
      expect(messageTypes('itu')).toContain(t);
      expect(messageTypes('ansi')).toContain(t);
    }
    expect(messageTypes('itu')).toEqual(expect.arrayContaining(['SAM', 'CON']));
    expect(messageTypes('ansi')).toEqual(expect.arrayContaining(['EXM', 'CRM', 'CRA', 'CVT', 'CVR']));
    expect(messageTypes('ansi')).not.toContain('SAM');
  });
});

describe('tcpdump-isup.pcap call (ITU, CIC 213)', () => {
  it('decodes IAM with its called and calling numbers and re-encodes it byte for byte', () => {
    const b = hex(TCPDUMP_ISUP.IAM);
    const iam = ok(b, 'itu', 'IAM');
    expect(iam.cic).toBe(213);
    expect(iam.calledPartyNumber).toMatchObject({ nai: 1, ni: true, npi: 1, digits: '4891F' });
    expect(iam.transmissionMediumRequirement).toBe(2);
    expect(iam.callingPartyCategory).toBe(10);
    expect(iam.forwardCall).toMatchObject({ isupAllTheWay: true, isupPreference: 2, isdnAccess: true });
    expect(findOptional(iam, 'callingPartyNumber')).toMatchObject({ nai: 3, presentation: 1, screening: 3, digits: '3933399708' });
    expect(findOptional(iam, 'locationNumber')?.digits).toBe('00600001');
    expect(iam.optional.map((p) => (p.name === 'unknown' ? p.code : p.name))).toEqual([
      'callingPartyNumber', 'optionalForwardCallIndicators', 'accessTransport', 'userServiceInformation', 0x31,
      'locationNumber', 0xf4, 0x39,
    ]);
    expect(encodeIsup(iam, 'itu').equals(b)).toBe(true);
  });

  it('decodes CFN cause 99, ACM, ANM, REL cause 16 and RLC, each an exact inverse', () => {
    const cfn = ok(hex(TCPDUMP_ISUP.CFN), 'itu', 'CFN');
    expect(cfn.cause).toMatchObject({ cause: 99, location: 4, codingStandard: 0 });
    expect(cfn.cause.diagnostic?.toString('hex')).toBe('f4');
    const acm = ok(hex(TCPDUMP_ISUP.ACM), 'itu', 'ACM');
    expect(acm.backwardCall).toMatchObject({ calledStatus: 1, isupAllTheWay: true, echoControl: true, charge: 0 });
    ok(hex(TCPDUMP_ISUP.ANM), 'itu', 'ANM');
    const rel = ok(hex(TCPDUMP_ISUP.REL), 'itu', 'REL');
    expect(rel.cause).toMatchObject({ cause: 16, location: 0 });
    ok(hex(TCPDUMP_ISUP.RLC), 'itu', 'RLC');
    for (const h of Object.values(TCPDUMP_ISUP)) {
      const m = decodeIsup(hex(h), 'itu') as IsupMessage;
      expect(encodeIsup(m, 'itu').toString('hex')).toBe(h);
    }
  });

  itTshark('matches tshark on the same bytes re-wrapped in RFC 4666 Protocol Data', () => {
    const frames = Object.values(TCPDUMP_ISUP).map((h) => m3uaData(hex(h), 'itu'));
    const res = tsharkJudge(frames, ['-S', '2905,2905,3']);
    expect(res.problems).toBe('');
    const isup = res.packets.map((p) => p._source.layers.isup);
    expect(isup.map((l) => Number(findField(l, 'isup.message_type')))).toEqual([1, 0x2f, 6, 9, 0x0c, 0x10]);
    expect(findField(isup[0], 'isup.calling')).toBe('3933399708');
    expect(findField(isup[1], 'isup.cause_indicator')).toBe('99');
    expect(findField(isup[4], 'isup.cause_indicator')).toBe('16');
  });

  it('takes the label from the MSU: OPC 11522, DPC 12163, SLS 5', () => {
    const msu = decodeMsu(hex('c583af405b' + TCPDUMP_ISUP.RLC), 'itu');
    expect(msu).toMatchObject({ sio: { ni: 3, si: 5 }, label: { opc: 11522, dpc: 12163, sls: 5 } });
  });
});

describe('hand-checked vectors (Q.763 §1.3, T1.113.3 §2)', () => {
  it('ITU REL, CIC 1, cause 16 location user', () => {
    const rel: IsupMessage = { type: 'REL', cic: 1, cause: { codingStandard: 0, location: 0, cause: 16 }, optional: [] };
    expect(encodeIsup(rel, 'itu').toString('hex')).toBe('01000c0200028090');
  });

  it('ANSI IAM: fixed NCI/FCI/CPC, then pointers to USI and called number, 14-bit CIC', () => {
    const b = hex('6430 01 00 6001 0a 03 05 00 02 8090 07 0310 1252552143');
    const iam = ok(b, 'ansi', 'IAM');
    expect(iam.cic).toBe(0x3064);
    expect(iam.userServiceInformation).toEqual({ codingStandard: 0, transferCapability: 0, transferMode: 0, transferRate: 16 });
    expect(iam.calledPartyNumber).toEqual(partyNumber('2125551234', { nai: 3 }));
    expect(iam.forwardCall).toMatchObject({ isupAllTheWay: true, isupPreference: 1, isdnAccess: true });
    expect(iam.optional).toEqual([]);
    expect(encodeIsup(iam, 'ansi').equals(b)).toBe(true);
    const itu = decodeIsup(b, 'itu');
    expect(isIsupError(itu) ? itu.reason : itu.cic).toBe(0x064);
  });

  it('odd digit counts set the odd indicator and a filler nibble', () => {
    const sam: IsupMessage = { type: 'SAM', cic: 7, subsequentNumber: { digits: '123' }, optional: [] };
    expect(encodeIsup(sam, 'itu').toString('hex')).toBe('07000202000380' + '2103');
    const m = decodeIsup(hex('0700020200038021f3'), 'itu') as IsupMessageOf<'SAM'>;
    expect(m.subsequentNumber.digits).toBe('123');
  });

  it("maps '*' and '#' to codes 11 and 12 and shows them as B and C", () => {
    const rel: IsupMessage = {
      type: 'IAM', cic: 1,
      natureOfConnection: { satellite: 0, continuityCheck: 0, echoControl: false, other: 0 },
      forwardCall: { international: false, endToEndMethod: 0, interworking: false, endToEndInfo: false, isupAllTheWay: true, isupPreference: 0, isdnAccess: false, sccpMethod: 0, portedNumberTranslated: false, other: 0 },
      callingPartyCategory: 10, transmissionMediumRequirement: 0,
      calledPartyNumber: partyNumber('*12#'), optional: [],
    };
    const m = decodeIsup(encodeIsup(rel, 'itu'), 'itu') as IsupMessageOf<'IAM'>;
    expect(m.calledPartyNumber.digits).toBe('B12C');
  });

  it('range and status helpers agree with the wire bits', () => {
    const rs = rangeAndStatus([true, false, false, false, false, false, false, false, true, true]);
    expect(rs.range).toBe(9);
    expect(rs.status?.toString('hex')).toBe('0103');
    expect(rangeStatusBits(rs)).toEqual([true, false, false, false, false, false, false, false, true, true]);
  });
});

describe('decode errors are values with the cause to report', () => {
  it('too short for CIC and type: format error, nothing to answer', () => {
    expect(decodeIsup(hex('d500'), 'itu')).toMatchObject({ type: 'error', reason: 'format-error' });
    expect(decodeIsup(Buffer.alloc(0), 'ansi')).toMatchObject({ type: 'error', reason: 'format-error' });
  });

  it('unknown message type: cause 97 (Q.764 §2.9.5.1) with the CIC to answer on', () => {
    expect(decodeIsup(hex('d5007f'), 'itu')).toMatchObject({ reason: 'unknown-message', cause: 97, cic: 213, messageCode: 0x7f });
  });

  it('a message of the other variant: cause 97', () => {
    expect(decodeIsup(hex('0100e9'), 'itu')).toMatchObject({ reason: 'not-in-variant', cause: 97 });
    expect(decodeIsup(hex('010002020003802103'), 'ansi')).toMatchObject({ reason: 'not-in-variant', cause: 97 });
  });

  it('pointers or lengths outside the message: format error', () => {
    expect(decodeIsup(hex('d5000c05'), 'itu')).toMatchObject({ reason: 'format-error' });
    expect(decodeIsup(hex('d5000c0200'), 'itu')).toMatchObject({ reason: 'format-error' });
    expect(decodeIsup(hex('d5000c0200058090'), 'itu')).toMatchObject({ reason: 'format-error' });
    expect(decodeIsup(hex('d5000601'), 'itu')).toMatchObject({ reason: 'format-error' });
    expect(decodeIsup(hex('d500090129010f'), 'itu')).toMatchObject({ reason: 'format-error' });
  });

  it('invalid mandatory content: cause 100', () => {
    expect(decodeIsup(hex('d5000c02000180'), 'itu')).toMatchObject({ reason: 'invalid-mandatory', cause: 100 });
  });

  it('unknown optional parameters pass through; malformed known ones are kept raw and flagged', () => {
    const m = ok(hex('d50009 01 fe02abcd 3d020102 2901 0f 00'), 'itu', 'ANM');
    expect(m.optional).toEqual([
      { name: 'unknown', code: 0xfe, raw: hex('abcd') },
      { name: 'unknown', code: 0x3d, raw: hex('0102'), malformed: true },
      { name: 'optionalBackwardCallIndicators', value: { inbandInfo: true, callDiversion: true, segmentation: true, mlppUser: true, other: 0 } },
    ]);
    expect(encodeIsup(m, 'itu').toString('hex')).toBe('d5000901fe02abcd3d02010229010f00');
  });
});

describe('encoder refuses programmer errors', () => {
  it('throws on a type or parameter the variant lacks and on a missing mandatory field', () => {
    expect(() => encodeIsup({ type: 'SAM', cic: 1, subsequentNumber: { digits: '1' }, optional: [] }, 'ansi')).toThrow(/not defined for ansi/);
    expect(() => encodeIsup({ type: 'ANM', cic: 1, optional: [{ name: 'chargeNumber', value: partyNumber('1') }] }, 'itu')).toThrow(/chargeNumber/);
    expect(() => encodeIsup({ type: 'REL', cic: 1, optional: [] } as unknown as IsupMessage, 'itu')).toThrow(/cause/);
    expect(() => encodeIsup({ type: 'ANM', cic: 1, optional: [{ name: 'accessTransport', value: Buffer.alloc(256) }] }, 'itu')).toThrow(/255/);
  });
});
