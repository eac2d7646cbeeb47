/** H.248.1 v1 text-encoding protocol tables (RFC 3525, H.248.1 Annex B), with v3's segmentation tokens. */

/** Annex D.1: the text encoding listens on UDP 2944 (2945 is the binary encoding's). */
export const DEFAULT_H248_PORT = 2944;

/**
 * The version the controller speaks unless a gateway is configured for 3 (RFC 3525 is H.248.1
 * version 1; of version 3 the codec adds segmentation only).
 */
export const H248_VERSION = 1;

/** H.248.1 version 3 brings segmentation (§8.1.1 segmented replies, SegmentReply). */
export const H248_SEGMENTATION_VERSION = 3;

/** SegmentNumber (Annex A: INTEGER 0..65535). */
export const MAX_SEGMENT_NUMBER = 65_535;

/**
 * Every token of the v1 text grammar (RFC 3525 §B.2) with its long ("pretty") and short
 * ("compact") form. Tokens are case-insensitive on the wire.
 */
export const TOKENS = {
  Add: ['Add', 'A'],
  Audit: ['Audit', 'AT'],
  AuditCap: ['AuditCapability', 'AC'],
  AuditValue: ['AuditValue', 'AV'],
  Auth: ['Authentication', 'AU'],
  Bothway: ['Bothway', 'BW'],
  Brief: ['Brief', 'BR'],
  Buffer: ['Buffer', 'BF'],
  Ctx: ['Context', 'C'],
  ContextAudit: ['ContextAudit', 'CA'],
  DigitMap: ['DigitMap', 'DM'],
  Discard: ['Discard', 'DS'],
  Disconnected: ['Disconnected', 'DC'],
  Delay: ['Delay', 'DL'],
  Duration: ['Duration', 'DR'],
  Embed: ['Embed', 'EM'],
  Emergency: ['Emergency', 'EG'],
  Error: ['Error', 'ER'],
  EventBuffer: ['EventBuffer', 'EB'],
  Events: ['Events', 'E'],
  Failover: ['Failover', 'FL'],
  Forced: ['Forced', 'FO'],
  Graceful: ['Graceful', 'GR'],
  H221: ['H221', 'H221'],
  H223: ['H223', 'H223'],
  H226: ['H226', 'H226'],
  HandOff: ['HandOff', 'HO'],
  ImmAckRequired: ['ImmAckRequired', 'IA'],
  Inactive: ['Inactive', 'IN'],
  Isolate: ['Isolate', 'IS'],
  InSvc: ['InService', 'IV'],
  InterruptByEvent: ['IntByEvent', 'IBE'],
  InterruptByNewSignalsDescr: ['IntBySigDescr', 'IBS'],
  KeepActive: ['KeepActive', 'KA'],
  Local: ['Local', 'L'],
  LocalControl: ['LocalControl', 'O'],
  LockStep: ['LockStep', 'SP'],
  Loopback: ['Loopback', 'LB'],
  Media: ['Media', 'M'],
  Megacop: ['MEGACO', '!'],
  Method: ['Method', 'MT'],
  MgcId: ['MgcIdToTry', 'MG'],
  Mode: ['Mode', 'MO'],
  Modify: ['Modify', 'MF'],
  Modem: ['Modem', 'MD'],
  Move: ['Move', 'MV'],
  Mtp: ['MTP', 'MTP'],
  Mux: ['Mux', 'MX'],
  Notify: ['Notify', 'N'],
  NotifyCompletion: ['NotifyCompletion', 'NC'],
  ObservedEvents: ['ObservedEvents', 'OE'],
  Off: ['OFF', 'OFF'],
  On: ['ON', 'ON'],
  Oneway: ['Oneway', 'OW'],
  OnOff: ['OnOff', 'OO'],
  OtherReason: ['OtherReason', 'OR'],
  OutOfSvc: ['OutOfService', 'OS'],
  Packages: ['Packages', 'PG'],
  Pending: ['Pending', 'PN'],
  Priority: ['Priority', 'PR'],
  Profile: ['Profile', 'PF'],
  Reason: ['Reason', 'RE'],
  Recvonly: ['ReceiveOnly', 'RC'],
  Reply: ['Reply', 'P'],
  Restart: ['Restart', 'RS'],
  /** v3 (H.248.1 Annex B.2): SegmentReply, and the last segment's SegmentationComplete. */
  MessageSegment: ['Segment', 'SM'],
  SegmentationComplete: ['END', '&'],
  Remote: ['Remote', 'R'],
  ReservedGroup: ['ReservedGroup', 'RG'],
  ReservedValue: ['ReservedValue', 'RV'],
  Sendonly: ['SendOnly', 'SO'],
  Sendrecv: ['SendReceive', 'SR'],
  Services: ['Services', 'SV'],
  ServiceStates: ['ServiceStates', 'SI'],
  ServiceChange: ['ServiceChange', 'SC'],
  ServiceChangeAddress: ['ServiceChangeAddress', 'AD'],
  SignalList: ['SignalList', 'SL'],
  Signals: ['Signals', 'SG'],
  SignalType: ['SignalType', 'SY'],
  Stats: ['Statistics', 'SA'],
  Stream: ['Stream', 'ST'],
  Subtract: ['Subtract', 'S'],
  SynchISDN: ['SynchISDN', 'SN'],
  TerminationState: ['TerminationState', 'TS'],
  Test: ['Test', 'TE'],
  TimeOut: ['TimeOut', 'TO'],
  Topology: ['Topology', 'TP'],
  Trans: ['Transaction', 'T'],
  ResponseAck: ['TransactionResponseAck', 'K'],
  V18: ['V18', 'V18'],
  V22: ['V22', 'V22'],
  V22bis: ['V22b', 'V22b'],
  V32: ['V32', 'V32'],
  V32bis: ['V32b', 'V32b'],
  V34: ['V34', 'V34'],
  V76: ['V76', 'V76'],
  V90: ['V90', 'V90'],
  V91: ['V91', 'V91'],
  Version: ['Version', 'V'],
} as const satisfies Record<string, readonly [string, string]>;

export type Token = keyof typeof TOKENS;

/** Upper-cased pretty and compact spellings → token. */
export const TOKEN_BY_TEXT: ReadonlyMap<string, Token> = (() => {
  const m = new Map<string, Token>();
  for (const [key, forms] of Object.entries(TOKENS) as Array<[Token, readonly [string, string]]>) {
    for (const f of forms) {
      const u = f.toUpperCase();
      const prev = m.get(u);
      if (prev && prev !== key) throw new Error(`H.248 token spelling ${f} names both ${prev} and ${key}`);
      m.set(u, key);
    }
  }
  return m;
})();

/** Spellings by length and first and last letter (upper-cased), so a lookup hashes no string. */
const BY_SHAPE: ReadonlyMap<number, ReadonlyArray<readonly [string, Token]>> = (() => {
  const m = new Map<number, Array<readonly [string, Token]>>();
  for (const [text, key] of TOKEN_BY_TEXT) {
    const k = shape(text.length, text.charCodeAt(0), text.charCodeAt(text.length - 1));
    const list = m.get(k) ?? [];
    list.push([text, key]);
    m.set(k, list);
  }
  return m;
})();

function upper(c: number): number {
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

function shape(length: number, first: number, last: number): number {
  return (length << 16) | (upper(first) << 8) | upper(last);
}

/** The token a word spells, in any case (§B.2: the protocol is not case sensitive). */
export function tokenOf(word: string): Token | undefined {
  const n = word.length;
  if (n === 0 || n > 22) return undefined;
  const candidates = BY_SHAPE.get(shape(n, word.charCodeAt(0), word.charCodeAt(n - 1)));
  if (!candidates) return undefined;
  outer: for (const [text, key] of candidates) {
    for (let i = 1; i < n - 1; i++) if (upper(word.charCodeAt(i)) !== text.charCodeAt(i)) continue outer;
    return key;
  }
  return undefined;
}

/** H.248.1 §14.2 error codes used here, with their names for logs. */
export const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'Syntax error in message',
  401: 'Protocol Error',
  402: 'Unauthorized',
  403: 'Syntax error in transaction request',
  406: 'Version Not Supported',
  410: 'Incorrect identifier',
  411: 'The transaction refers to an unknown ContextId',
  412: 'No ContextIDs available',
  421: 'Unknown action or illegal combination of actions',
  422: 'Syntax Error in Action',
  430: 'Unknown TerminationID',
  431: 'No TerminationID matched a wildcard',
  432: 'Out of TerminationIDs or No TerminationID available',
  433: 'TerminationID is already in a Context',
  435: 'Termination ID is not in specified Context',
  440: 'Unsupported or unknown Package',
  441: 'Missing Remote or Local Descriptor',
  442: 'Syntax Error in Command',
  443: 'Unsupported or Unknown Command',
  444: 'Unsupported or Unknown Descriptor',
  445: 'Unsupported or Unknown Property',
  446: 'Unsupported or Unknown Parameter',
  447: 'Descriptor not legal in this command',
  448: 'Descriptor appears twice in a command',
  500: 'Internal software Failure in the MG',
  501: 'Not Implemented',
  502: 'Not ready',
  503: 'Service Unavailable',
  504: 'Command Received from unauthorized entity',
  505: 'Transaction Request Received before a ServiceChange Reply has been received',
  506: 'Number of TransactionPendings Exceeded',
  510: 'Insufficient resources',
  512: 'Media Gateway unequipped to detect requested Event',
  513: 'Media Gateway unequipped to generate requested Signals',
  515: 'Unsupported Media Type',
  517: 'Unsupported or invalid mode',
  521: 'Termination is "ServiceChangeing"',
  526: 'Insufficient bandwidth',
  529: 'Internal hardware failure in MG',
  530: 'Temporary Network failure',
  531: 'Permanent Network failure',
  459: 'Segments not received',
  533: 'Response exceeds maximum transport PDU size',
  581: 'Does Not Exist',
};

export const ERR = {
  SYNTAX_IN_MESSAGE: 400,
  PROTOCOL_ERROR: 401,
  SYNTAX_IN_TRANSACTION: 403,
  VERSION_NOT_SUPPORTED: 406,
  UNKNOWN_CONTEXT: 411,
  UNKNOWN_TERMINATION: 430,
  UNSUPPORTED_COMMAND: 443,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  UNAUTHORIZED_ENTITY: 504,
  PENDING_EXCEEDED: 506,
  RESPONSE_TOO_LARGE: 533,
  /** v3: the segmentation timer ran out before every segment of a reply arrived. */
  SEGMENTS_NOT_RECEIVED: 459,
} as const;

export function describeError(code: number): string {
  return ERROR_CODES[code] ?? `error ${code}`;
}

/** H.248.1 §E.x ServiceChange reasons (Reason = "<code> <text>"). */
export const SERVICE_CHANGE_REASONS: Readonly<Record<string, string>> = {
  '900': 'Service Restored',
  '901': 'Cold Boot',
  '902': 'Warm Boot',
  '903': 'MGC Directed Change',
  '904': 'Termination malfunctioning',
  '905': 'Termination taken out of service',
  '906': 'Loss of lower layer connectivity',
  '907': 'Transmission Failure',
  '908': 'MG Impending Failure',
  '909': 'MGC Impending Failure',
  '910': 'Media Capability Failure',
  '911': 'Modem Capability Failure',
  '912': 'Mux Capability Failure',
  '913': 'Signal Capability Failure',
  '914': 'Event Capability Failure',
  '915': 'State Loss',
};

/** Bounds that keep hostile input cheap to refuse. */
export const LIMITS = {
  /** Largest message accepted (a UDP datagram can carry at most 65,507 bytes). */
  maxMessageBytes: 65_507,
  /** Items in any one list (transactions, actions, commands, descriptors, events, ...). */
  maxListItems: 512,
  /** A quoted string or a bare VALUE. */
  maxValueLength: 4096,
  /** A termination id (pathNAME with its domain). */
  maxTerminationIdLength: 256,
} as const;

/** Annex B UINT32 upper bound (transaction, context and request ids). */
export const MAX_UINT32 = 0xffff_ffff;
export const MAX_UINT16 = 0xffff;
