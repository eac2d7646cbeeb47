/**
 * M3UA codec, RFC 4666 §3: common header + TLV parameters padded to 4 bytes. Table-driven:
 * each message type lists its parameters (field, tag, mandatory, repeated). Pure functions;
 * decode never throws and answers hostile input with an error value carrying the §3.8.1 code.
 */
import { WireReader } from '../../wire/reader.js';
import { WireWriter } from '../../wire/writer.js';
import { ErrorCode, HEADER_LENGTH, M3UA_VERSION, MsgClass, Tag } from './constants.js';
import type {
  DeregistrationResult,
  M3uaDecodeError,
  M3uaMessage,
  M3uaMessageType,
  MaskedPointCode,
  ProtocolData,
  RegistrationResult,
  RoutingKey,
} from './messages.js';

interface ParamCodec<T = unknown> {
  /** Reads a value of exactly `r.remaining` bytes; undefined when the field is malformed. */
  read(r: WireReader): T | undefined;
  write(w: WireWriter, v: T): void;
}

const u32: ParamCodec<number> = {
  read: (r) => (r.remaining === 4 ? r.u32() : undefined),
  write: (w, v) => void w.u32(v),
};

const u32List: ParamCodec<number[]> = {
  read(r) {
    if (r.remaining === 0 || r.remaining % 4 !== 0) return undefined;
    const out: number[] = [];
    while (r.remaining > 0) out.push(r.u32());
    return out;
  },
  write: (w, v) => v.forEach((x) => w.u32(x)),
};

const bytes: ParamCodec<Buffer> = {
  read: (r) => Buffer.from(r.rest()),
  write: (w, v) => void w.bytes(v),
};

/** INFO String is text (RFC 4666 §3.8.1); latin1 keeps every byte so decode/encode are inverse. */
const text: ParamCodec<string> = {
  read: (r) => r.rest().toString('latin1'),
  write: (w, v) => void w.bytes(Buffer.from(v, 'latin1')),
};

const maskedPc: ParamCodec<MaskedPointCode> = {
  read: (r) => (r.remaining === 4 ? { mask: r.u8(), pc: r.u24() } : undefined),
  write: (w, v) => void w.u8(v.mask).u24(v.pc),
};

const maskedPcList: ParamCodec<MaskedPointCode[]> = {
  read(r) {
    if (r.remaining === 0 || r.remaining % 4 !== 0) return undefined;
    const out: MaskedPointCode[] = [];
    while (r.remaining > 0) out.push({ mask: r.u8(), pc: r.u24() });
    return out;
  },
  write: (w, v) => v.forEach((p) => w.u8(p.mask).u24(p.pc)),
};

const status: ParamCodec<{ type: number; info: number }> = {
  read: (r) => (r.remaining === 4 ? { type: r.u16(), info: r.u16() } : undefined),
  write: (w, v) => void w.u16(v.type).u16(v.info),
};

/** User/Cause, RFC 4666 §3.4.5: Unavailability Cause then MTP3-User Identity. */
const userCause: ParamCodec<{ cause: number; user: number }> = {
  read: (r) => (r.remaining === 4 ? { cause: r.u16(), user: r.u16() } : undefined),
  write: (w, v) => void w.u16(v.cause).u16(v.user),
};

/** Congestion Indications / Concerned Destination, RFC 4666 §3.4.4: reserved then the value. */
const congestionLevel: ParamCodec<number> = {
  read: (r) => (r.remaining === 4 ? (r.skip(3), r.u8()) : undefined),
  write: (w, v) => void w.u24(0).u8(v),
};
const concernedDestination: ParamCodec<number> = {
  read: (r) => (r.remaining === 4 ? (r.skip(1), r.u24()) : undefined),
  write: (w, v) => void w.u8(0).u24(v),
};

const octetList: ParamCodec<number[]> = {
  read: (r) => (r.remaining === 0 ? undefined : [...r.rest()]),
  write: (w, v) => void w.bytes(Uint8Array.from(v)),
};

/** Protocol Data, RFC 4666 §3.3.1. */
const protocolData: ParamCodec<ProtocolData> = {
  read(r) {
    if (r.remaining < 12) return undefined;
    const opc = r.u32();
    const dpc = r.u32();
    return { opc, dpc, si: r.u8(), ni: r.u8(), mp: r.u8(), sls: r.u8(), data: Buffer.from(r.rest()) };
  },
  write: (w, v) => void w.u32(v.opc).u32(v.dpc).u8(v.si).u8(v.ni).u8(v.mp).u8(v.sls).bytes(v.data),
};

/** Pre-RFC MSU tag: SIO (Q.704 §14.2) + ITU routing label (Q.704 §2.2, little-endian 32 bits) + user data. */
const legacyProtocolData: ParamCodec<ProtocolData> = {
  read(r) {
    if (r.remaining < 5) return undefined;
    const sio = r.u8();
    const label = r.u32le();
    return {
      dpc: label & 0x3fff,
      opc: (label >>> 14) & 0x3fff,
      sls: label >>> 28,
      si: sio & 0x0f,
      mp: (sio >>> 4) & 0x03,
      ni: sio >>> 6,
      data: Buffer.from(r.rest()),
    };
  },
  write(w, v) {
    w.u8(((v.ni & 3) << 6) | ((v.mp & 3) << 4) | (v.si & 0x0f));
    w.u32le((v.dpc & 0x3fff) | ((v.opc & 0x3fff) << 14) | ((v.sls & 0x0f) << 28));
    w.bytes(v.data);
  },
};

interface FieldSpec {
  field: string;
  tag: number;
  codec: ParamCodec<any>;
  mandatory?: boolean;
  repeated?: boolean;
}

/**
 * Reads nested TLVs by a field table; shared by messages and grouped parameters. A known tag that
 * does not belong here is an error (RFC 4666 §3.8.1 Unexpected Parameter) unless `unexpected` is
 * given: then its tag is recorded there and the parameter skipped.
 */
function readTlvs(
  r: WireReader,
  specs: readonly FieldSpec[],
  out: Record<string, unknown>,
  unexpected?: number[],
): M3uaDecodeError | undefined {
  while (r.remaining > 0) {
    if (r.remaining < 4) return fieldError('truncated parameter header');
    const tag = r.u16();
    const len = r.u16();
    if (len < 4 || len - 4 > r.remaining) return fieldError(`parameter 0x${tag.toString(16)} length ${len}`);
    const value = r.sub(len - 4);
    r.skip(Math.min((4 - (len % 4)) % 4, r.remaining));
    const spec = specs.find((s) => s.tag === tag) ?? (tag === Tag.LEGACY_PROTOCOL_DATA ? legacyFor(specs) : undefined);
    if (!spec) {
      if (!KNOWN_TAGS.has(tag)) continue;
      if (!unexpected) return err(ErrorCode.UNEXPECTED_PARAMETER, `parameter 0x${tag.toString(16)} not expected here`);
      if (!unexpected.includes(tag)) unexpected.push(tag);
      continue;
    }
    const v = spec.codec.read(value);
    if (v === undefined || !value.ok) return fieldError(`parameter 0x${tag.toString(16)} malformed`);
    if (spec.repeated) {
      const list = (out[spec.field] as unknown[] | undefined) ?? [];
      list.push(v);
      out[spec.field] = list;
    } else if (out[spec.field] === undefined) {
      out[spec.field] = v;
    }
  }
  for (const s of specs) {
    if (s.mandatory && out[s.field] === undefined) return err(ErrorCode.MISSING_PARAMETER, `missing ${s.field}`);
  }
  return undefined;
}

function legacyFor(specs: readonly FieldSpec[]): FieldSpec | undefined {
  return specs.some((s) => s.tag === Tag.PROTOCOL_DATA)
    ? { field: 'protocolData', tag: Tag.LEGACY_PROTOCOL_DATA, codec: legacyProtocolData }
    : undefined;
}

function writeTlvs(w: WireWriter, specs: readonly FieldSpec[], msg: Record<string, unknown>): void {
  for (const s of specs) {
    const v = msg[s.field];
    if (v === undefined) continue;
    for (const item of s.repeated ? (v as unknown[]) : [v]) {
      w.u16(s.tag);
      const at = w.mark(2);
      const start = w.length - 4;
      s.codec.write(w, item);
      w.patchU16(at, w.length - start);
      w.pad(4);
    }
  }
}

function grouped<T>(specs: readonly FieldSpec[]): ParamCodec<T> {
  return {
    read(r) {
      const out: Record<string, unknown> = {};
      return readTlvs(r, specs, out) ? undefined : (out as T);
    },
    write: (w, v) => writeTlvs(w, specs, v as Record<string, unknown>),
  };
}

/** Routing Key, RFC 4666 §3.6.1. */
const routingKey = grouped<RoutingKey>([
  { field: 'localRkId', tag: Tag.LOCAL_RK_IDENTIFIER, codec: u32, mandatory: true },
  { field: 'routingContext', tag: Tag.ROUTING_CONTEXT, codec: u32 },
  { field: 'trafficMode', tag: Tag.TRAFFIC_MODE_TYPE, codec: u32 },
  { field: 'dpc', tag: Tag.DESTINATION_POINT_CODE, codec: maskedPc, mandatory: true },
  { field: 'networkAppearance', tag: Tag.NETWORK_APPEARANCE, codec: u32 },
  { field: 'serviceIndicators', tag: Tag.SERVICE_INDICATORS, codec: octetList },
  { field: 'opcList', tag: Tag.ORIGINATING_PC_LIST, codec: maskedPcList },
]);

/** Registration Result, RFC 4666 §3.6.2. */
const registrationResult = grouped<RegistrationResult>([
  { field: 'localRkId', tag: Tag.LOCAL_RK_IDENTIFIER, codec: u32, mandatory: true },
  { field: 'status', tag: Tag.REGISTRATION_STATUS, codec: u32, mandatory: true },
  { field: 'routingContext', tag: Tag.ROUTING_CONTEXT, codec: u32, mandatory: true },
]);

/** Deregistration Result, RFC 4666 §3.6.4. */
const deregistrationResult = grouped<DeregistrationResult>([
  { field: 'routingContext', tag: Tag.ROUTING_CONTEXT, codec: u32, mandatory: true },
  { field: 'status', tag: Tag.DEREGISTRATION_STATUS, codec: u32, mandatory: true },
]);

const NA: FieldSpec = { field: 'networkAppearance', tag: Tag.NETWORK_APPEARANCE, codec: u32 };
const RC: FieldSpec = { field: 'routingContext', tag: Tag.ROUTING_CONTEXT, codec: u32List };
const INFO: FieldSpec = { field: 'infoString', tag: Tag.INFO_STRING, codec: text };
const APC: FieldSpec = { field: 'affectedPointCodes', tag: Tag.AFFECTED_POINT_CODE, codec: maskedPcList, mandatory: true };
const ASPID: FieldSpec = { field: 'aspIdentifier', tag: Tag.ASP_IDENTIFIER, codec: u32 };
const TMT: FieldSpec = { field: 'trafficMode', tag: Tag.TRAFFIC_MODE_TYPE, codec: u32 };
const HB: FieldSpec = { field: 'heartbeatData', tag: Tag.HEARTBEAT_DATA, codec: bytes };

export interface MessageSpec {
  type: M3uaMessageType;
  cls: number;
  msgType: number;
  /** Long name for logs. */
  name: string;
  params: readonly FieldSpec[];
}

/** Per message: class, type and parameters in RFC order (RFC 4666 §3.3–§3.8). */
export const MESSAGE_SPECS: readonly MessageSpec[] = [
  {
    type: 'ERR', cls: MsgClass.MGMT, msgType: 0, name: 'Error',
    params: [
      { field: 'errorCode', tag: Tag.ERROR_CODE, codec: u32, mandatory: true },
      RC, NA,
      { ...APC, mandatory: false },
      { field: 'diagnostic', tag: Tag.DIAGNOSTIC_INFO, codec: bytes },
    ],
  },
  {
    type: 'NTFY', cls: MsgClass.MGMT, msgType: 1, name: 'Notify',
    params: [{ field: 'status', tag: Tag.STATUS, codec: status, mandatory: true }, ASPID, RC, INFO],
  },
  {
    type: 'DATA', cls: MsgClass.TRANSFER, msgType: 1, name: 'Payload Data',
    params: [
      NA, RC,
      { field: 'protocolData', tag: Tag.PROTOCOL_DATA, codec: protocolData, mandatory: true },
      { field: 'correlationId', tag: Tag.CORRELATION_ID, codec: u32 },
    ],
  },
  { type: 'DUNA', cls: MsgClass.SSNM, msgType: 1, name: 'Destination Unavailable', params: [NA, RC, APC, INFO] },
  { type: 'DAVA', cls: MsgClass.SSNM, msgType: 2, name: 'Destination Available', params: [NA, RC, APC, INFO] },
  { type: 'DAUD', cls: MsgClass.SSNM, msgType: 3, name: 'Destination State Audit', params: [NA, RC, APC, INFO] },
  {
    type: 'SCON', cls: MsgClass.SSNM, msgType: 4, name: 'Signalling Congestion',
    params: [
      NA, RC, APC,
      { field: 'concernedDestination', tag: Tag.CONCERNED_DESTINATION, codec: concernedDestination },
      { field: 'congestionLevel', tag: Tag.CONGESTION_INDICATIONS, codec: congestionLevel },
      INFO,
    ],
  },
  {
    type: 'DUPU', cls: MsgClass.SSNM, msgType: 5, name: 'Destination User Part Unavailable',
    params: [NA, RC, APC, { field: 'userCause', tag: Tag.USER_CAUSE, codec: userCause, mandatory: true }, INFO],
  },
  { type: 'DRST', cls: MsgClass.SSNM, msgType: 6, name: 'Destination Restricted', params: [NA, RC, APC, INFO] },
  { type: 'ASPUP', cls: MsgClass.ASPSM, msgType: 1, name: 'ASP Up', params: [ASPID, INFO] },
  { type: 'ASPDN', cls: MsgClass.ASPSM, msgType: 2, name: 'ASP Down', params: [INFO] },
  { type: 'BEAT', cls: MsgClass.ASPSM, msgType: 3, name: 'Heartbeat', params: [HB] },
  { type: 'ASPUP_ACK', cls: MsgClass.ASPSM, msgType: 4, name: 'ASP Up Ack', params: [ASPID, INFO] },
  { type: 'ASPDN_ACK', cls: MsgClass.ASPSM, msgType: 5, name: 'ASP Down Ack', params: [INFO] },
  { type: 'BEAT_ACK', cls: MsgClass.ASPSM, msgType: 6, name: 'Heartbeat Ack', params: [HB] },
  { type: 'ASPAC', cls: MsgClass.ASPTM, msgType: 1, name: 'ASP Active', params: [TMT, RC, INFO] },
  { type: 'ASPIA', cls: MsgClass.ASPTM, msgType: 2, name: 'ASP Inactive', params: [RC, INFO] },
  { type: 'ASPAC_ACK', cls: MsgClass.ASPTM, msgType: 3, name: 'ASP Active Ack', params: [TMT, RC, INFO] },
  { type: 'ASPIA_ACK', cls: MsgClass.ASPTM, msgType: 4, name: 'ASP Inactive Ack', params: [RC, INFO] },
  {
    type: 'REG_REQ', cls: MsgClass.RKM, msgType: 1, name: 'Registration Request',
    params: [{ field: 'routingKeys', tag: Tag.ROUTING_KEY, codec: routingKey, mandatory: true, repeated: true }],
  },
  {
    type: 'REG_RSP', cls: MsgClass.RKM, msgType: 2, name: 'Registration Response',
    params: [{ field: 'registrationResults', tag: Tag.REGISTRATION_RESULT, codec: registrationResult, mandatory: true, repeated: true }],
  },
  {
    type: 'DEREG_REQ', cls: MsgClass.RKM, msgType: 3, name: 'Deregistration Request',
    params: [{ ...RC, mandatory: true }],
  },
  {
    type: 'DEREG_RSP', cls: MsgClass.RKM, msgType: 4, name: 'Deregistration Response',
    params: [{ field: 'deregistrationResults', tag: Tag.DEREGISTRATION_RESULT, codec: deregistrationResult, mandatory: true, repeated: true }],
  },
];

const BY_TYPE = new Map<M3uaMessageType, MessageSpec>(MESSAGE_SPECS.map((s) => [s.type, s]));
const BY_CODE = new Map<number, MessageSpec>(MESSAGE_SPECS.map((s) => [(s.cls << 8) | s.msgType, s]));
const KNOWN_CLASSES = new Set<number>(Object.values(MsgClass));
const KNOWN_TAGS = new Set<number>(Object.values(Tag).filter((t) => t !== Tag.LEGACY_PROTOCOL_DATA));

/** The message type a (class, type) header names, if any. */
export function typeOfCode(cls: number, msgType: number): M3uaMessageType | undefined {
  return BY_CODE.get((cls << 8) | msgType)?.type;
}

/** "ASPAC (ASP Active)" for logs. */
export function messageName(type: M3uaMessageType): string {
  return `${type} (${BY_TYPE.get(type)?.name ?? '?'})`;
}

function err(errorCode: number, reason: string): M3uaDecodeError {
  return { type: 'DECODE_ERROR', errorCode, reason };
}
function fieldError(reason: string): M3uaDecodeError {
  return err(ErrorCode.PARAMETER_FIELD_ERROR, reason);
}

export function encodeM3ua(msg: M3uaMessage): Buffer {
  const spec = BY_TYPE.get(msg.type)!;
  const w = new WireWriter(64);
  w.u8(M3UA_VERSION).u8(0).u8(spec.cls).u8(spec.msgType);
  const lenAt = w.mark(4);
  writeTlvs(w, spec.params, msg as unknown as Record<string, unknown>);
  w.patchU32(lenAt, w.length);
  return w.finish();
}

/** Decodes one M3UA message (one SCTP user message), strictly. Never throws. */
export function decodeM3ua(buf: Buffer): M3uaMessage | M3uaDecodeError {
  return decode(buf, undefined);
}

/**
 * Receive leniency: a known parameter that does not belong in the message is skipped and its tag
 * pushed (once) onto `unexpected`, instead of failing the decode with Unexpected Parameter
 * (RFC 4666 §3.8.1). Mandatory parameters and field formats are still enforced; grouped parameters
 * (Routing Key, Registration Result) stay strict.
 */
export function decodeM3uaLenient(buf: Buffer, unexpected: number[]): M3uaMessage | M3uaDecodeError {
  return decode(buf, unexpected);
}

function decode(buf: Buffer, unexpected: number[] | undefined): M3uaMessage | M3uaDecodeError {
  const r = new WireReader(buf);
  if (buf.length < HEADER_LENGTH) return err(ErrorCode.PROTOCOL_ERROR, `short header (${buf.length} bytes)`);
  const version = r.u8();
  r.skip(1);
  const cls = r.u8();
  const msgType = r.u8();
  const length = r.u32();
  if (version !== M3UA_VERSION) return { ...err(ErrorCode.INVALID_VERSION, `version ${version}`), msgClass: cls, msgType };
  if (!KNOWN_CLASSES.has(cls)) return { ...err(ErrorCode.UNSUPPORTED_MESSAGE_CLASS, `class ${cls}`), msgClass: cls, msgType };
  const spec = BY_CODE.get((cls << 8) | msgType);
  if (!spec) return { ...err(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, `class ${cls} type ${msgType}`), msgClass: cls, msgType };
  if (length < HEADER_LENGTH || length > buf.length) {
    return { ...fieldError(`message length ${length} vs ${buf.length} received`), msgClass: cls, msgType };
  }
  const out: Record<string, unknown> = { type: spec.type };
  const e = readTlvs(r.sub(length - HEADER_LENGTH), spec.params, out, unexpected);
  if (e) return { ...e, msgClass: cls, msgType };
  return out as unknown as M3uaMessage;
}
