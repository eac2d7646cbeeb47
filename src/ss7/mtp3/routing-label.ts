import type { Variant } from '../variant.js';
import { WireReader } from '../../wire/reader.js';
import { WireWriter } from '../../wire/writer.js';

/** Q.704 §14.2 / T1.111.4 §14.2: service information octet. */
export interface Sio {
  /** Network indicator, bits 8-7 (0 international, 2 national). */
  ni: number;
  /** Bits 6-5: ANSI message priority; ITU spare (national use). */
  priority: number;
  /** Service indicator, bits 4-1 (5 = ISUP). */
  si: number;
}

export interface RoutingLabel {
  dpc: number;
  opc: number;
  sls: number;
}

export interface Msu {
  sio: Sio;
  label: RoutingLabel;
  /** User part payload (e.g. ISUP from the CIC on); a view into the input. */
  payload: Buffer;
}

export interface Mtp3DecodeError {
  error: string;
}

export function routingLabelLength(variant: Variant): number {
  return variant === 'ansi' ? 7 : 4;
}

export function encodeSio(sio: Sio): number {
  return ((sio.ni & 3) << 6) | ((sio.priority & 3) << 4) | (sio.si & 0xf);
}

export function decodeSio(octet: number): Sio {
  return { ni: (octet >> 6) & 3, priority: (octet >> 4) & 3, si: octet & 0xf };
}

/**
 * ITU (Q.704 §2.2): DPC 14 bits, OPC 14 bits, SLS 4 bits packed least significant first.
 * ANSI (T1.111.4 §2.2): DPC then OPC, each member, cluster, network; then one SLS octet.
 */
export function writeRoutingLabel(w: WireWriter, label: RoutingLabel, variant: Variant): void {
  if (variant === 'ansi') {
    w.u24le(label.dpc).u24le(label.opc).u8(label.sls);
    return;
  }
  const v = (label.dpc & 0x3fff) | ((label.opc & 0x3fff) << 14) | ((label.sls & 0xf) << 28);
  w.u32le(v >>> 0);
}

export function readRoutingLabel(r: WireReader, variant: Variant): RoutingLabel {
  if (variant === 'ansi') {
    const dpc = r.u24le();
    const opc = r.u24le();
    return { dpc, opc, sls: r.u8() };
  }
  const v = r.u32le();
  return { dpc: v & 0x3fff, opc: (v >>> 14) & 0x3fff, sls: v >>> 28 };
}

export function encodeRoutingLabel(label: RoutingLabel, variant: Variant): Buffer {
  const w = new WireWriter(8);
  writeRoutingLabel(w, label, variant);
  return w.finish();
}

export function decodeRoutingLabel(buf: Buffer, variant: Variant): RoutingLabel | Mtp3DecodeError {
  const r = new WireReader(buf);
  const label = readRoutingLabel(r, variant);
  return r.ok ? label : { error: `routing label needs ${routingLabelLength(variant)} octets, got ${buf.length}` };
}

/** SIO + routing label + user part, as carried in MTP3 or the pre-RFC M3UA MSU parameter. */
export function encodeMsu(msu: { sio: Sio; label: RoutingLabel; payload: Uint8Array }, variant: Variant): Buffer {
  const w = new WireWriter(16 + msu.payload.length);
  w.u8(encodeSio(msu.sio));
  writeRoutingLabel(w, msu.label, variant);
  w.bytes(msu.payload);
  return w.finish();
}

export function decodeMsu(buf: Buffer, variant: Variant): Msu | Mtp3DecodeError {
  const r = new WireReader(buf);
  const sio = decodeSio(r.u8());
  const label = readRoutingLabel(r, variant);
  if (!r.ok) return { error: `MSU shorter than SIO + routing label (${buf.length} octets)` };
  return { sio, label, payload: r.rest() };
}
