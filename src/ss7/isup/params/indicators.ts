import type { ParamCodec } from './types.js';

/*
 * Bit-field parameters. Each keeps the bits it does not name in `other` (the octets' value with
 * named bits cleared), so decode and encode are exact inverses even for national-use bits.
 */

const bit = (b: number, n: number): boolean => ((b >> n) & 1) === 1;
const flag = (v: boolean, n: number): number => (v ? 1 << n : 0);

/** Nature of connection indicators (Q.763 §3.35; T1.113.3 §3.27). */
export interface NatureOfConnection {
  /** Bits BA: 0 no satellite, 1 one, 2 two. */
  satellite: number;
  /** Bits DC: 0 not required, 1 required on this circuit, 2 performed on a previous circuit. */
  continuityCheck: number;
  /** Bit E: outgoing echo control device included. */
  echoControl: boolean;
  other: number;
}
export const natureOfConnectionCodec: ParamCodec<NatureOfConnection> = {
  fixed: 1,
  encode(w, v) {
    w.u8((((v.satellite & 3) | ((v.continuityCheck & 3) << 2) | flag(v.echoControl, 4)) & 0x1f) | (v.other & ~0x1f & 0xff));
  },
  decode(buf, start, end) {
    if (end - start !== 1) return undefined;
    const b = buf[start];
    const other = b & ~0x1f & 0xff;
    return { satellite: b & 3, continuityCheck: (b >> 2) & 3, echoControl: bit(b, 4), other };
  },
};

/** Forward call indicators (Q.763 §3.23; T1.113.3 §3.23). */
export interface ForwardCallIndicators {
  /** Bit A: international call. */
  international: boolean;
  /** Bits CB end-to-end method. */
  endToEndMethod: number;
  /** Bit D: interworking encountered. */
  interworking: boolean;
  /** Bit E: end-to-end information available. */
  endToEndInfo: boolean;
  /** Bit F: ISDN user part used all the way. */
  isupAllTheWay: boolean;
  /** Bits HG: 0 preferred, 1 not required, 2 required all the way. */
  isupPreference: number;
  /** Bit I: originating access ISDN. */
  isdnAccess: boolean;
  /** Bits KJ SCCP method. */
  sccpMethod: number;
  /** Bit M: ported number translation performed (Q.763 Amd; T1.113 LNP). */
  portedNumberTranslated: boolean;
  other: number;
}
export const forwardCallCodec: ParamCodec<ForwardCallIndicators> = {
  fixed: 2,
  encode(w, v) {
    const x = ((flag(v.international, 0) |
        ((v.endToEndMethod & 3) << 1) |
        flag(v.interworking, 3) |
        flag(v.endToEndInfo, 4) |
        flag(v.isupAllTheWay, 5) |
        ((v.isupPreference & 3) << 6) |
        flag(v.isdnAccess, 8) |
        ((v.sccpMethod & 3) << 9) |
        flag(v.portedNumberTranslated, 12)) & 0x17ff) | (v.other & ~0x17ff & 0xffff);
    w.u8(x & 0xff).u8(x >> 8);
  },
  decode(buf, start, end) {
    if (end - start !== 2) return undefined;
    const b = buf[start] | (buf[start + 1] << 8);
    const other = b & ~0x17ff & 0xffff;
    return {
      international: bit(b, 0),
      endToEndMethod: (b >> 1) & 3,
      interworking: bit(b, 3),
      endToEndInfo: bit(b, 4),
      isupAllTheWay: bit(b, 5),
      isupPreference: (b >> 6) & 3,
      isdnAccess: bit(b, 8),
      sccpMethod: (b >> 9) & 3,
      portedNumberTranslated: bit(b, 12),
      other,
    };
  },
};

/** Backward call indicators (Q.763 §3.5; T1.113.3 §3.5). */
export interface BackwardCallIndicators {
  /** Bits BA: 0 no indication, 1 no charge, 2 charge. */
  charge: number;
  /** Bits DC: 0 no indication, 1 subscriber free, 2 connect when free. */
  calledStatus: number;
  /** Bits FE: 0 no indication, 1 ordinary subscriber, 2 payphone. */
  calledCategory: number;
  /** Bits HG end-to-end method. */
  endToEndMethod: number;
  /** Bit I: interworking encountered. */
  interworking: boolean;
  /** Bit J: end-to-end information available. */
  endToEndInfo: boolean;
  /** Bit K: ISDN user part used all the way. */
  isupAllTheWay: boolean;
  /** Bit L: holding requested. */
  holding: boolean;
  /** Bit M: terminating access ISDN. */
  isdnAccess: boolean;
  /** Bit N: incoming echo control device included. */
  echoControl: boolean;
  /** Bits PO SCCP method. */
  sccpMethod: number;
  other: number;
}
export const backwardCallCodec: ParamCodec<BackwardCallIndicators> = {
  fixed: 2,
  encode(w, v) {
    const x = (((v.charge & 3) |
        ((v.calledStatus & 3) << 2) |
        ((v.calledCategory & 3) << 4) |
        ((v.endToEndMethod & 3) << 6) |
        flag(v.interworking, 8) |
        flag(v.endToEndInfo, 9) |
        flag(v.isupAllTheWay, 10) |
        flag(v.holding, 11) |
        flag(v.isdnAccess, 12) |
        flag(v.echoControl, 13) |
        ((v.sccpMethod & 3) << 14)) & 0xffff) | (v.other & ~0xffff & 0xffff);
    w.u8(x & 0xff).u8(x >> 8);
  },
  decode(buf, start, end) {
    if (end - start !== 2) return undefined;
    const b = buf[start] | (buf[start + 1] << 8);
    const other = b & ~0xffff & 0xffff;
    return {
      charge: b & 3,
      calledStatus: (b >> 2) & 3,
      calledCategory: (b >> 4) & 3,
      endToEndMethod: (b >> 6) & 3,
      interworking: bit(b, 8),
      endToEndInfo: bit(b, 9),
      isupAllTheWay: bit(b, 10),
      holding: bit(b, 11),
      isdnAccess: bit(b, 12),
      echoControl: bit(b, 13),
      sccpMethod: (b >> 14) & 3,
      other,
    };
  },
};

/** Optional backward call indicators (Q.763 §3.37; T1.113.3 §3.31). */
export interface OptionalBackwardCallIndicators {
  /** Bit A: in-band information or an appropriate pattern is now available. */
  inbandInfo: boolean;
  /** Bit B: call diversion may occur. */
  callDiversion: boolean;
  /** Bit C: additional information will be sent in a segmentation message. */
  segmentation: boolean;
  /** Bit D: MLPP user. */
  mlppUser: boolean;
  other: number;
}
export const optionalBackwardCallCodec: ParamCodec<OptionalBackwardCallIndicators> = {
  fixed: 1,
  encode(w, v) {
    w.u8(((flag(v.inbandInfo, 0) | flag(v.callDiversion, 1) | flag(v.segmentation, 2) | flag(v.mlppUser, 3)) & 0x0f) | (v.other & ~0x0f & 0xff));
  },
  decode(buf, start, end) {
    if (end - start !== 1) return undefined;
    const b = buf[start];
    const other = b & ~0x0f & 0xff;
    return { inbandInfo: bit(b, 0), callDiversion: bit(b, 1), segmentation: bit(b, 2), mlppUser: bit(b, 3), other };
  },
};

/** Event information (Q.763 §3.21): 1 alerting, 2 progress, 3 in-band info, 4-6 forwarding. */
export interface EventInformation {
  event: number;
  /** Bit H: event presentation restricted. */
  presentationRestricted: boolean;
  other: number;
}
export const eventInformationCodec: ParamCodec<EventInformation> = {
  fixed: 1,
  encode(w, v) {
    w.u8((((v.event & 0x7f) | flag(v.presentationRestricted, 7)) & 0xff) | (v.other & ~0xff & 0xff));
  },
  decode(buf, start, end) {
    if (end - start !== 1) return undefined;
    const b = buf[start];
    const other = b & ~0xff & 0xff;
    return { event: b & 0x7f, presentationRestricted: bit(b, 7), other };
  },
};

/** Circuit group supervision message type (Q.763 §3.13): 0 maintenance, 1 hardware failure. */
export interface CircuitGroupSupervisionType {
  kind: number;
  other: number;
}
export const cgsmtCodec: ParamCodec<CircuitGroupSupervisionType> = {
  fixed: 1,
  encode(w, v) {
    w.u8(((v.kind & 3) & 0x03) | (v.other & ~0x03 & 0xff));
  },
  decode(buf, start, end) {
    if (end - start !== 1) return undefined;
    const b = buf[start];
    const other = b & ~0x03 & 0xff;
    return { kind: b & 3, other };
  },
};

/** Suspend/resume indicators (Q.763 §3.52). */
export interface SuspendResumeIndicators {
  /** Bit A: network initiated (false: ISDN subscriber initiated). */
  networkInitiated: boolean;
  other: number;
}
export const suspendResumeCodec: ParamCodec<SuspendResumeIndicators> = {
  fixed: 1,
  encode(w, v) {
    w.u8(((flag(v.networkInitiated, 0)) & 0x01) | (v.other & ~0x01 & 0xff));
  },
  decode(buf, start, end) {
    if (end - start !== 1) return undefined;
    const b = buf[start];
    const other = b & ~0x01 & 0xff;
    return { networkInitiated: bit(b, 0), other };
  },
};

/** Continuity indicators (Q.763 §3.18). */
export interface ContinuityIndicators {
  /** Bit A: continuity check successful. */
  successful: boolean;
  other: number;
}
export const continuityCodec: ParamCodec<ContinuityIndicators> = {
  fixed: 1,
  encode(w, v) {
    w.u8(((flag(v.successful, 0)) & 0x01) | (v.other & ~0x01 & 0xff));
  },
  decode(buf, start, end) {
    if (end - start !== 1) return undefined;
    const b = buf[start];
    const other = b & ~0x01 & 0xff;
    return { successful: bit(b, 0), other };
  },
};

/** Information request indicators (Q.763 §3.29; T1.113.3 §3.26). */
export interface InformationRequestIndicators {
  callingAddress: boolean;
  holding: boolean;
  callingCategory: boolean;
  chargeInfo: boolean;
  /** Bit H: malicious call identification request. */
  maliciousCallId: boolean;
  other: number;
}
export const informationRequestCodec: ParamCodec<InformationRequestIndicators> = {
  fixed: 2,
  encode(w, v) {
    const x = ((flag(v.callingAddress, 0) |
        flag(v.holding, 1) |
        flag(v.callingCategory, 3) |
        flag(v.chargeInfo, 4) |
        flag(v.maliciousCallId, 7)) & 0x9b) | (v.other & ~0x9b & 0xffff);
    w.u8(x & 0xff).u8(x >> 8);
  },
  decode(buf, start, end) {
    if (end - start !== 2) return undefined;
    const b = buf[start] | (buf[start + 1] << 8);
    const other = b & ~0x9b & 0xffff;
    return {
      callingAddress: bit(b, 0),
      holding: bit(b, 1),
      callingCategory: bit(b, 3),
      chargeInfo: bit(b, 4),
      maliciousCallId: bit(b, 7),
      other,
    };
  },
};

/** Information indicators (Q.763 §3.28; T1.113.3 §3.25). */
export interface InformationIndicators {
  /** Bits BA: 0 not included, 1 not available, 3 included. */
  callingAddressResponse: number;
  holdProvided: boolean;
  callingCategoryIncluded: boolean;
  chargeInfoIncluded: boolean;
  /** Bit H: solicited information. */
  solicited: boolean;
  other: number;
}
export const informationCodec: ParamCodec<InformationIndicators> = {
  fixed: 2,
  encode(w, v) {
    const x = (((v.callingAddressResponse & 3) |
        flag(v.holdProvided, 2) |
        flag(v.callingCategoryIncluded, 5) |
        flag(v.chargeInfoIncluded, 6) |
        flag(v.solicited, 7)) & 0xe7) | (v.other & ~0xe7 & 0xffff);
    w.u8(x & 0xff).u8(x >> 8);
  },
  decode(buf, start, end) {
    if (end - start !== 2) return undefined;
    const b = buf[start] | (buf[start + 1] << 8);
    const other = b & ~0xe7 & 0xffff;
    return {
      callingAddressResponse: b & 3,
      holdProvided: bit(b, 2),
      callingCategoryIncluded: bit(b, 5),
      chargeInfoIncluded: bit(b, 6),
      solicited: bit(b, 7),
      other,
    };
  },
};

/** Redirection information (Q.763 §3.45). */
export interface RedirectionInformation {
  /** Bits CBA redirecting indicator. */
  redirecting: number;
  /** Bits HGFE original redirection reason. */
  originalReason: number;
  /** Bits KJI redirection counter. */
  counter: number;
  /** Bits PONM redirecting reason. */
  reason: number;
  other: number;
}
export const redirectionInformationCodec: ParamCodec<RedirectionInformation> = {
  fixed: 2,
  encode(w, v) {
    const x = (((v.redirecting & 7) | ((v.originalReason & 0xf) << 4) | ((v.counter & 7) << 8) | ((v.reason & 0xf) << 12)) & 0xf7f7) | (v.other & ~0xf7f7 & 0xffff);
    w.u8(x & 0xff).u8(x >> 8);
  },
  decode(buf, start, end) {
    if (end - start !== 2) return undefined;
    const b = buf[start] | (buf[start + 1] << 8);
    const other = b & ~0xf7f7 & 0xffff;
    return { redirecting: b & 7, originalReason: (b >> 4) & 0xf, counter: (b >> 8) & 7, reason: (b >> 12) & 0xf, other };
  },
};

/** One-octet values kept as numbers: calling party's category (Q.763 §3.11), TMR (§3.54), ACL (§3.4), OLI. */
export const octetNumberCodec: ParamCodec<number> = {
  fixed: 1,
  encode(w, v) {
    w.u8(v);
  },
  decode(buf, start, end) {
    return end - start === 1 ? buf[start] : undefined;
  },
};

/** Hop counter (Q.763 §3.80; T1.113.3 §3.24c): bits 5-1. */
export const hopCounterCodec: ParamCodec<number> = {
  fixed: 1,
  encode(w, v) {
    w.u8(v & 0x1f);
  },
  decode(buf, start, end) {
    return end - start === 1 ? buf[start] & 0x1f : undefined;
  },
};

/** Range and status (Q.763 §3.43): status bit n stands for circuit CIC+n; absent in GRS and CQM. */
export interface RangeAndStatus {
  range: number;
  status?: Buffer;
}
export const rangeAndStatusCodec: ParamCodec<RangeAndStatus> = {
  encode(w, v) {
    w.u8(v.range);
    if (v.status) w.bytes(v.status);
  },
  decode(buf, start, end) {
    if (end - start < 1) return undefined;
    const range = buf[start];
    if (end - start === 1) return { range };
    if (end - start - 1 !== (range >> 3) + 1) return undefined;
    return { range, status: Buffer.from(buf.subarray(start + 1, end)) };
  },
};

/** Status bits of a range, one per circuit from the message's CIC. */
export function rangeStatusBits(rs: RangeAndStatus): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i <= rs.range; i++) out.push(rs.status ? ((rs.status[i >> 3] >> (i & 7)) & 1) === 1 : false);
  return out;
}

/** Builds a range and status from per-circuit bits (bits.length - 1 = range). */
export function rangeAndStatus(bits: boolean[]): RangeAndStatus {
  const status = Buffer.alloc(((bits.length - 1) >> 3) + 1);
  bits.forEach((b, i) => {
    if (b) status[i >> 3] |= 1 << (i & 7);
  });
  return { range: bits.length - 1, status };
}

/** Opaque contents: access transport (Q.763 §3.3), user-to-user information (§3.61), circuit state (§3.14). */
export const rawCodec: ParamCodec<Buffer> = {
  encode(w, v) {
    w.bytes(v);
  },
  decode(buf, start, end) {
    return Buffer.from(buf.subarray(start, end));
  },
};

/** User service information (Q.763 §3.57, Q.931 §4.5.5 bearer capability octets 3 onward). */
export interface UserServiceInformation {
  codingStandard: number;
  /** Information transfer capability: 0 speech, 8 unrestricted digital, 16 3.1 kHz audio. */
  transferCapability: number;
  transferMode: number;
  /** Information transfer rate: 16 = 64 kbit/s. */
  transferRate: number;
  /** Octets after octet 4 as received (layer 1 protocol octet 5 etc.). */
  extra?: Buffer;
}
export const userServiceInformationCodec: ParamCodec<UserServiceInformation> = {
  encode(w, v) {
    w.u8(0x80 | ((v.codingStandard & 3) << 5) | (v.transferCapability & 0x1f));
    w.u8(0x80 | ((v.transferMode & 3) << 5) | (v.transferRate & 0x1f));
    if (v.extra) w.bytes(v.extra);
  },
  decode(buf, start, end) {
    if (end - start < 2) return undefined;
    const o3 = buf[start];
    const o4 = buf[start + 1];
    const out: UserServiceInformation = {
      codingStandard: (o3 >> 5) & 3,
      transferCapability: o3 & 0x1f,
      transferMode: (o4 >> 5) & 3,
      transferRate: o4 & 0x1f,
    };
    if (end - start > 2) out.extra = Buffer.from(buf.subarray(start + 2, end));
    return out;
  },
};
