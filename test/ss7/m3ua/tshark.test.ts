import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeM3ua, encodeM3ua } from '../../../src/ss7/m3ua/codec.js';
import type { DataMessage, M3uaMessage } from '../../../src/ss7/m3ua/messages.js';
import { describeTshark, findAll, findField, itTshark, tsharkJudge } from '../../helpers/tshark.js';
import { samples } from './samples.js';

const M3UA_WRAP = ['-S', '2905,2905,3'];
const num = (v: unknown) => Number(v);

/** M3UA payloads of the SCTP DATA chunks in an Ethernet/IPv4 pcap (RFC 4960 §3.3.1). */
function sctpPayloads(pcap: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const bigEndian = pcap.readUInt32BE(0) === 0xa1b2c3d4;
  let at = 24;
  while (at + 16 <= pcap.length) {
    const incl = bigEndian ? pcap.readUInt32BE(at + 8) : pcap.readUInt32LE(at + 8);
    const frame = pcap.subarray(at + 16, at + 16 + incl);
    at += 16 + incl;
    const ip = frame.subarray(14);
    if (ip[9] !== 132) continue;
    const sctp = ip.subarray((ip[0] & 0x0f) * 4);
    let c = 12;
    while (c + 4 <= sctp.length) {
      const type = sctp[c];
      const len = sctp.readUInt16BE(c + 2);
      if (len < 4) break;
      if (type === 0) out.push(Buffer.from(sctp.subarray(c + 16, c + len)));
      c += (len + 3) & ~3;
    }
  }
  return out;
}

describeTshark('tshark judges our M3UA encodings', () => {
  const result = tsharkJudge(samples.map(encodeM3ua), M3UA_WRAP);
  const layers = result.packets.map((p) => p._source.layers);

  it('finds nothing malformed and no expert warnings', () => {
    expect(result.problems).toBe('');
    expect(layers).toHaveLength(samples.length);
  });

  it('sees the class and type we meant for every message', () => {
    samples.forEach((m, i) => {
      const enc = encodeM3ua(m);
      expect(num(findField(layers[i].m3ua, 'm3ua.message_class'))).toBe(enc[2]);
      expect(num(findField(layers[i].m3ua, 'm3ua.message_type'))).toBe(enc[3]);
      expect(num(findField(layers[i].m3ua, 'm3ua.message_length'))).toBe(enc.length);
    });
  });

  it('reads back field values', () => {
    const at = (t: M3uaMessage['type']) => layers[samples.findIndex((s) => s.type === t)].m3ua;
    const data = samples.find((s) => s.type === 'DATA') as DataMessage;
    expect(num(findField(at('DATA'), 'm3ua.protocol_data_opc'))).toBe(data.protocolData.opc);
    expect(num(findField(at('DATA'), 'm3ua.protocol_data_dpc'))).toBe(data.protocolData.dpc);
    expect(num(findField(at('DATA'), 'm3ua.protocol_data_si'))).toBe(5);
    expect(num(findField(at('DATA'), 'm3ua.protocol_data_sls'))).toBe(7);
    expect(num(findField(at('DATA'), 'm3ua.routing_context'))).toBe(1023);
    expect(num(findField(at('DATA'), 'm3ua.network_appearance'))).toBe(8);
    expect(num(findField(at('DATA'), 'm3ua.correlation_identifier'))).toBe(99);
    expect(num(findField(at('ERR'), 'm3ua.error_code'))).toBe(0x19);
    expect(num(findField(at('NTFY'), 'm3ua.status_type'))).toBe(1);
    expect(num(findField(at('NTFY'), 'm3ua.status_info'))).toBe(3);
    expect(findAll(at('NTFY'), 'm3ua.routing_context').map(num)).toEqual([1023, 1042]);
    expect(findField(at('NTFY'), 'm3ua.info_string')).toBe('as-active');
    expect(num(findField(at('ASPUP'), 'm3ua.asp_identifier'))).toBe(0x01020304);
    expect(findAll(at('DUNA'), 'm3ua.affected_point_code_pc').map(num)).toEqual([1234, 5678]);
    expect(num(findField(at('SCON'), 'm3ua.concerned_dpc'))).toBe(23);
    expect(num(findField(at('SCON'), 'm3ua.congestion_level'))).toBe(2);
    expect(num(findField(at('DUPU'), 'm3ua.unavailability_cause'))).toBe(1);
    expect(num(findField(at('DUPU'), 'm3ua.user_identity'))).toBe(5);
    expect(num(findField(at('ASPAC'), 'm3ua.traffic_mode_type'))).toBe(2);
    expect(String(findField(at('BEAT'), 'm3ua.heartbeat_data')).replace(/:/g, '')).toBe('a1a2a3a4a5');
    expect(findAll(at('REG_REQ'), 'm3ua.local_rk_identifier').map(num)).toEqual([1, 2]);
    expect(findAll(at('REG_REQ'), 'm3ua.dpc_pc').map(num)).toEqual([22, 0xaabbcc]);
    expect(findAll(at('REG_REQ'), 'm3ua.si').map(num)).toEqual([3, 5]);
    expect(findAll(at('REG_RSP'), 'm3ua.registration_status').map(num)).toEqual([0, 5]);
    expect(findAll(at('DEREG_RSP'), 'm3ua.deregistration_status').map(num)).toEqual([0, 4]);
  });
});

describe('tcpdump-isup.pcap (pre-RFC Protocol Data tag 0x0002)', () => {
  const frames = sctpPayloads(readFileSync('/work/shared/vectors/tcpdump-isup.pcap'));

  it('decodes the six ISUP messages into ProtocolData', () => {
    expect(frames).toHaveLength(6);
    const decoded = frames.map(decodeM3ua) as DataMessage[];
    for (const d of decoded) expect(d.type).toBe('DATA');
    const first = decoded[0].protocolData;
    expect([first.opc, first.dpc, first.si, first.ni, first.sls]).toEqual([11522, 12163, 5, 3, 5]);
    expect(first.data.readUInt16LE(0)).toBe(213);
    expect(first.data[2]).toBe(0x01);
    const types = decoded.map((d) => d.protocolData.data[2]);
    expect(types).toEqual([0x01, 0x2f, 0x06, 0x09, 0x0c, 0x10]);
    expect(decoded[1].protocolData.opc).toBe(12163);
  });

  itTshark('re-encodes them as RFC 4666 Protocol Data that tshark decodes as ISUP with the same label', () => {
    const again = frames.map((f) => encodeM3ua(decodeM3ua(f) as DataMessage));
    const r = tsharkJudge(again, M3UA_WRAP);
    expect(r.problems).toBe('');
    const l = r.packets[0]._source.layers;
    expect(num(findField(l.m3ua, 'm3ua.protocol_data_opc'))).toBe(11522);
    expect(num(findField(l.m3ua, 'm3ua.protocol_data_dpc'))).toBe(12163);
    expect(num(findField(l.isup, 'isup.cic'))).toBe(213);
    expect(num(findField(l.isup, 'isup.message_type'))).toBe(1);
  });
});
