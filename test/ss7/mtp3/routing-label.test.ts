import { describe, expect, it } from 'vitest';
import type { Variant } from '../../../src/ss7/variant.js';
import { decodeMsu, decodeRoutingLabel, encodeMsu, encodeRoutingLabel } from '../../../src/ss7/mtp3/routing-label.js';
import { findField, itTshark, tsharkJudge } from '../../helpers/tshark.js';

/** RFC 4165 §2.3.2 M2PA User Data: common header, BSN, FSN, priority octet, then the MSU (SIO, label, user part). */
function m2paUserData(msu: Buffer): Buffer {
  const b = Buffer.alloc(17 + msu.length);
  b.writeUInt32BE(0x01000b01, 0);
  b.writeUInt32BE(b.length, 4);
  b.writeUInt32BE(1, 8);
  b.writeUInt32BE(2, 12);
  msu.copy(b, 17);
  return b;
}

const RLC_CIC_213 = Buffer.from('d5001000', 'hex');

describe('MTP3 routing label', () => {
  it('ITU: 14-bit DPC, 14-bit OPC, 4-bit SLS packed LSB first (Q.704 §2.2)', () => {
    expect(encodeRoutingLabel({ dpc: 12163, opc: 11522, sls: 5 }, 'itu').toString('hex')).toBe('83af405b');
    expect(decodeRoutingLabel(Buffer.from('83af405b', 'hex'), 'itu')).toEqual({ dpc: 12163, opc: 11522, sls: 5 });
  });

  it('ANSI: DPC then OPC as member, cluster, network, then SLS (T1.111.4 §2.2)', () => {
    expect(encodeRoutingLabel({ dpc: 0x010203, opc: 0xf51000, sls: 17 }, 'ansi').toString('hex')).toBe('030201' + '0010f5' + '11');
    expect(decodeRoutingLabel(Buffer.from('0302010010f511', 'hex'), 'ansi')).toEqual({ dpc: 0x010203, opc: 0xf51000, sls: 17 });
  });

  it('reports a short label as an error value', () => {
    expect(decodeRoutingLabel(Buffer.from('0302', 'hex'), 'ansi')).toHaveProperty('error');
    expect(decodeMsu(Buffer.from('85', 'hex'), 'itu')).toHaveProperty('error');
  });

  for (const [variant, opc, dpc, sls] of [['itu', 11522, 12163, 5], ['ansi', 0xf51000, 0x010203, 19]] as [Variant, number, number, number][]) {
    itTshark(`${variant}: tshark reads our SIO and label from an M2PA frame`, () => {
      const msu = encodeMsu({ sio: { ni: 2, priority: 0, si: 5 }, label: { opc, dpc, sls }, payload: RLC_CIC_213 }, variant);
      expect(decodeMsu(msu, variant)).toEqual({ sio: { ni: 2, priority: 0, si: 5 }, label: { opc, dpc, sls }, payload: RLC_CIC_213 });
      const prefs = variant === 'ansi' ? ['-o', 'mtp3.standard:ANSI'] : [];
      const res = tsharkJudge([m2paUserData(msu)], ['-S', '3565,3565,5'], prefs);
      expect(res.problems).toBe('');
      const mtp3 = res.packets[0]._source.layers.mtp3;
      expect(Number(findField(mtp3, 'mtp3.opc'))).toBe(opc);
      expect(Number(findField(mtp3, 'mtp3.dpc'))).toBe(dpc);
      expect(Number(findField(mtp3, 'mtp3.sls'))).toBe(sls);
      expect(Number(findField(mtp3, 'mtp3.service_indicator'))).toBe(5);
      expect(Number(findField(mtp3, 'mtp3.network_indicator'))).toBe(2);
      expect(Number(findField(res.packets[0]._source.layers.isup, 'isup.cic'))).toBe(213);
    });
  }
});
