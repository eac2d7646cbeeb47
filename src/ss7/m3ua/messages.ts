/** M3UA messages as a discriminated union on `type`, RFC 4666 §3.3–§3.8. */

/** A point code with a wildcard mask: the mask counts least-significant bits wildcarded (RFC 4666 §3.4.1). */
export interface MaskedPointCode {
  mask: number;
  pc: number;
}

/** Protocol Data, RFC 4666 §3.3.1. Point codes are plain numbers (24-bit ANSI or 14-bit ITU). */
import type { MtpTransferData } from '../mtp3/transfer.js';

/** M3UA Protocol Data (RFC 4666 §3.3.1.1) carries the MTP-TRANSFER primitive's parameters. */
export type ProtocolData = MtpTransferData;

export interface NotifyStatus {
  type: number;
  info: number;
}

export interface UserCause {
  cause: number;
  user: number;
}

/** Routing Key, RFC 4666 §3.6.1 (one DPC per key). */
export interface RoutingKey {
  localRkId: number;
  routingContext?: number;
  trafficMode?: number;
  dpc: MaskedPointCode;
  networkAppearance?: number;
  serviceIndicators?: number[];
  opcList?: MaskedPointCode[];
}

export interface RegistrationResult {
  localRkId: number;
  status: number;
  routingContext: number;
}

export interface DeregistrationResult {
  routingContext: number;
  status: number;
}

interface SsnmBase {
  networkAppearance?: number;
  routingContext?: number[];
  affectedPointCodes: MaskedPointCode[];
  infoString?: string;
}

export interface ErrMessage {
  type: 'ERR';
  errorCode: number;
  routingContext?: number[];
  networkAppearance?: number;
  affectedPointCodes?: MaskedPointCode[];
  diagnostic?: Buffer;
}
export interface NtfyMessage {
  type: 'NTFY';
  status: NotifyStatus;
  aspIdentifier?: number;
  routingContext?: number[];
  infoString?: string;
}
export interface DataMessage {
  type: 'DATA';
  networkAppearance?: number;
  routingContext?: number[];
  protocolData: ProtocolData;
  correlationId?: number;
}
export interface DunaMessage extends SsnmBase {
  type: 'DUNA';
}
export interface DavaMessage extends SsnmBase {
  type: 'DAVA';
}
export interface DaudMessage extends SsnmBase {
  type: 'DAUD';
}
export interface DrstMessage extends SsnmBase {
  type: 'DRST';
}
export interface SconMessage extends SsnmBase {
  type: 'SCON';
  concernedDestination?: number;
  congestionLevel?: number;
}
export interface DupuMessage extends SsnmBase {
  type: 'DUPU';
  userCause: UserCause;
}
export interface AspupMessage {
  type: 'ASPUP' | 'ASPUP_ACK';
  aspIdentifier?: number;
  infoString?: string;
}
export interface AspdnMessage {
  type: 'ASPDN' | 'ASPDN_ACK';
  infoString?: string;
}
export interface BeatMessage {
  type: 'BEAT' | 'BEAT_ACK';
  heartbeatData?: Buffer;
}
export interface AspacMessage {
  type: 'ASPAC' | 'ASPAC_ACK';
  trafficMode?: number;
  routingContext?: number[];
  infoString?: string;
}
export interface AspiaMessage {
  type: 'ASPIA' | 'ASPIA_ACK';
  routingContext?: number[];
  infoString?: string;
}
export interface RegReqMessage {
  type: 'REG_REQ';
  routingKeys: RoutingKey[];
}
export interface RegRspMessage {
  type: 'REG_RSP';
  registrationResults: RegistrationResult[];
}
export interface DeregReqMessage {
  type: 'DEREG_REQ';
  routingContext: number[];
}
export interface DeregRspMessage {
  type: 'DEREG_RSP';
  deregistrationResults: DeregistrationResult[];
}

export type SsnmMessage = DunaMessage | DavaMessage | DaudMessage | DrstMessage | SconMessage | DupuMessage;

export type M3uaMessage =
  | ErrMessage
  | NtfyMessage
  | DataMessage
  | SsnmMessage
  | AspupMessage
  | AspdnMessage
  | BeatMessage
  | AspacMessage
  | AspiaMessage
  | RegReqMessage
  | RegRspMessage
  | DeregReqMessage
  | DeregRspMessage;

export type M3uaMessageType = M3uaMessage['type'];

/** A message that could not be decoded, with the RFC 4666 §3.8.1 code the receiver answers in ERR. */
export interface M3uaDecodeError {
  type: 'DECODE_ERROR';
  errorCode: number;
  reason: string;
  /** Message class and type when the header could be read (for logs). */
  msgClass?: number;
  msgType?: number;
}

export function isDecodeError(v: M3uaMessage | M3uaDecodeError): v is M3uaDecodeError {
  return v.type === 'DECODE_ERROR';
}
