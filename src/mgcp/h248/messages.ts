/**
 * H.248.1 v1 messages (RFC 3525 §7–§8, text grammar of Annex B), plus v3 segmentation, as plain data: discriminated
 * unions on `type` (transactions, descriptors), `command` (commands and their replies) and
 * `kind` (parameters). Termination ids and names keep the spelling they arrived with; tokens
 * are not kept, so one message has one value whether it came in pretty or compact form.
 */

/** Message identifier of the sender (§B.2 mId). */
export type Mid =
  | { readonly kind: 'ip4'; readonly address: string; readonly port?: number }
  | { readonly kind: 'ip6'; readonly address: string; readonly port?: number }
  | { readonly kind: 'domain'; readonly name: string; readonly port?: number }
  | { readonly kind: 'device'; readonly name: string }
  /** MTP point code as 4 to 8 hex digits. */
  | { readonly kind: 'mtp'; readonly address: string };

/** Authentication header (§10.2): "0x" hex strings as sent. */
export interface AuthHeader {
  readonly spi: string;
  readonly seq: string;
  readonly data: string;
}

export interface Message {
  readonly type: 'message';
  readonly version: number;
  readonly mid: Mid;
  readonly auth?: AuthHeader;
  /** A message-level error (§8.2: the message could not be processed) or its transactions. */
  readonly error?: ErrorDescriptor;
  readonly transactions: readonly Transaction[];
}

/** ContextID (§B.2): a number, `-` the null context, `$` CHOOSE, `*` ALL. */
export type ContextId = number | '-' | '$' | '*';
/** RequestID (§B.2): a number or `*` ALL. */
export type RequestId = number | '*';

export type Transaction = TransactionRequest | TransactionReply | TransactionPending | TransactionResponseAck | SegmentReply;

/** Where a segmented reply's piece sits (v3, H.248.1 §8.1.1): its number from 1, and whether it is the last. */
export interface SegmentInfo {
  readonly number: number;
  readonly complete?: boolean;
}

/** v3: the receiver of a reply segment acknowledges it (SegmentReply, Annex B `Segment = id/n[/END]`). */
export interface SegmentReply {
  readonly type: 'segmentReply';
  readonly id: number;
  readonly segment: SegmentInfo;
}

export interface TransactionRequest {
  readonly type: 'request';
  readonly id: number;
  readonly actions: readonly ActionRequest[];
}

export interface TransactionReply {
  readonly type: 'reply';
  readonly id: number;
  /** §7.1.1 / D.1.3: the sender wants a TransactionResponseAck at once. */
  readonly immAckRequired?: boolean;
  /** v3 only: this reply is one segment of a larger one. */
  readonly segment?: SegmentInfo;
  /** The whole transaction failed; `actions` is then empty. */
  readonly error?: ErrorDescriptor;
  readonly actions: readonly ActionReply[];
}

/** §8.2.3: the request is being executed; the final reply will follow. */
export interface TransactionPending {
  readonly type: 'pending';
  readonly id: number;
}

/** §8.2.5 / D.1.x: replies received, as single ids or ranges. */
export interface TransactionResponseAck {
  readonly type: 'ack';
  readonly ranges: readonly AckRange[];
}

export interface AckRange {
  readonly first: number;
  readonly last?: number;
}

export interface TopologyTriple {
  readonly from: string;
  readonly to: string;
  readonly direction: 'bothway' | 'isolate' | 'oneway';
}

/** Context properties (§7.1.18 topology, §6.1 priority and emergency). */
export interface ContextProperties {
  readonly topology?: readonly TopologyTriple[];
  readonly priority?: number;
  readonly emergency?: boolean;
}

export type ContextAuditItem = 'topology' | 'emergency' | 'priority';

export interface ActionRequest {
  readonly contextId: ContextId;
  readonly context?: ContextProperties;
  readonly contextAudit?: readonly ContextAuditItem[];
  readonly commands: readonly CommandRequest[];
}

export interface ActionReply {
  readonly contextId: ContextId;
  readonly context?: ContextProperties;
  readonly replies: readonly CommandReply[];
  /** An error after the replies of the commands that were executed (§8.2.2). */
  readonly error?: ErrorDescriptor;
}

// ---------------------------------------------------------------- commands

export type AmmCommand = 'add' | 'move' | 'modify';
export type AuditCommand = 'auditValue' | 'auditCapabilities';

/** Add, Move, Modify (§7.2.1–§7.2.3). */
export interface AmmRequest {
  readonly command: AmmCommand;
  readonly terminationId: string;
  readonly descriptors: readonly Descriptor[];
}

/** Subtract (§7.2.4) with an optional Audit descriptor of what to return. */
export interface SubtractRequest {
  readonly command: 'subtract';
  readonly terminationId: string;
  readonly audit?: readonly AuditItem[];
}

/** AuditValue, AuditCapabilities (§7.2.5, §7.2.6). */
export interface AuditRequest {
  readonly command: AuditCommand;
  readonly terminationId: string;
  readonly audit: readonly AuditItem[];
}

/** Notify (§7.2.7). */
export interface NotifyRequest {
  readonly command: 'notify';
  readonly terminationId: string;
  readonly observedEvents: ObservedEventsDescriptor;
  readonly error?: ErrorDescriptor;
}

/** ServiceChange (§7.2.8). */
export interface ServiceChangeRequest {
  readonly command: 'serviceChange';
  readonly terminationId: string;
  readonly params: ServiceChangeParams;
}

export type CommandRequest = AmmRequest | SubtractRequest | AuditRequest | NotifyRequest | ServiceChangeRequest;

/** Replies to Add/Move/Modify/Subtract: the termination and what it reports (§7.2). */
export interface AmmsReply {
  readonly command: AmmCommand | 'subtract';
  readonly terminationId: string;
  readonly audit?: readonly Descriptor[];
}

/**
 * AuditValue/AuditCapabilities reply: either one termination with its audited values, or
 * (audit of a context) the terminations it holds, or an error for the context.
 */
export interface AuditReply {
  readonly command: AuditCommand;
  readonly terminationId?: string;
  readonly audit?: readonly Descriptor[];
  readonly contextTerminations?: readonly string[];
  readonly contextError?: ErrorDescriptor;
}

export interface NotifyReply {
  readonly command: 'notify';
  readonly terminationId: string;
  readonly error?: ErrorDescriptor;
}

export interface ServiceChangeReply {
  readonly command: 'serviceChange';
  readonly terminationId: string;
  readonly error?: ErrorDescriptor;
  readonly params?: ServiceChangeReplyParams;
}

export type CommandReply = AmmsReply | AuditReply | NotifyReply | ServiceChangeReply;

// ---------------------------------------------------------------- ServiceChange

/** §7.2.8.1.1 methods; an extension method keeps its "X-..." spelling. */
export type ServiceChangeMethod = 'failover' | 'forced' | 'graceful' | 'restart' | 'disconnected' | 'handOff' | `X${'-' | '+'}${string}`;

export interface ServiceChangeProfile {
  readonly name: string;
  readonly version: number;
}

export interface Extension {
  readonly name: string;
  readonly value: ParmValue;
}

export interface ServiceChangeParams {
  readonly method?: ServiceChangeMethod;
  /** "901 Cold Boot" and the like (§7.2.8.1.2). */
  readonly reason?: string;
  /** Seconds (§7.2.8.1.3). */
  readonly delay?: number;
  /** A port number or another mId where the sender wants to be reached. */
  readonly address?: Mid | number;
  readonly profile?: ServiceChangeProfile;
  readonly version?: number;
  readonly mgcId?: Mid;
  /** "yyyymmddThhmmssss" (§B.2 TimeStamp). */
  readonly timestamp?: string;
  readonly extensions?: readonly Extension[];
}

export interface ServiceChangeReplyParams {
  readonly address?: Mid | number;
  readonly mgcId?: Mid;
  readonly profile?: ServiceChangeProfile;
  readonly version?: number;
  readonly timestamp?: string;
}

// ---------------------------------------------------------------- descriptors

/** §7.1.8 property values: `=` one value, a relation, all of a list, one of a list, a range. */
export type ParmValue =
  | { readonly kind: 'equal'; readonly value: string }
  | { readonly kind: 'greater' | 'less' | 'notEqual'; readonly value: string }
  | { readonly kind: 'sublist'; readonly values: readonly string[] }
  | { readonly kind: 'alternatives'; readonly values: readonly string[] }
  | { readonly kind: 'range'; readonly low: string; readonly high: string };

/** A package property (`pkg/name = value`). */
export interface PropertyParm {
  readonly name: string;
  readonly value: ParmValue;
}

export type StreamMode = 'sendOnly' | 'recvOnly' | 'sendRecv' | 'inactive' | 'loopback';

export interface LocalControl {
  readonly mode?: StreamMode;
  readonly reserveValue?: boolean;
  readonly reserveGroup?: boolean;
  readonly props?: readonly PropertyParm[];
}

/**
 * One stream (§7.1.2). `id` undefined is the single stream written without "Stream =" (its
 * parameters straight inside the Media descriptor). `local`/`remote` are the session
 * descriptions as sent, without the white space around them.
 */
export interface StreamDescriptor {
  readonly id?: number;
  readonly localControl?: LocalControl;
  readonly local?: string;
  readonly remote?: string;
}

export interface TerminationState {
  readonly serviceState?: 'test' | 'outOfService' | 'inService';
  readonly eventBufferControl?: 'off' | 'lockStep';
  readonly props?: readonly PropertyParm[];
}

export interface MediaDescriptor {
  readonly type: 'media';
  readonly termState?: TerminationState;
  readonly streams: readonly StreamDescriptor[];
}

/** Deprecated by H.248.1 Corr. 1 but still in the v1 grammar. Modem types in lower case ("v34", "synchisdn") or "X-..." */
export interface ModemDescriptor {
  readonly type: 'modem';
  readonly modems: readonly string[];
  readonly props?: readonly PropertyParm[];
}

export interface MuxDescriptor {
  readonly type: 'mux';
  /** "h221" | "h223" | "h226" | "v76" or "X-..." */
  readonly muxType: string;
  readonly terminations: readonly string[];
}

export interface DigitMapValue {
  readonly startTimer?: number;
  readonly shortTimer?: number;
  readonly longTimer?: number;
  /** The digit map without white space, e.g. "(0s|00s|[1-7]xlxx|8lxxxxxxx|#xxxxxxx|*xx|9l1xxxxxxxxxx|9l011x.s)". */
  readonly body: string;
}

export interface EventsDescriptor {
  readonly type: 'events';
  /** Absent with no events: "Events" alone clears the requested events. */
  readonly requestId?: RequestId;
  readonly events: readonly RequestedEvent[];
}

export interface RequestedEvent {
  readonly name: string;
  readonly params: readonly EventParameter[];
}

export type EventParameter =
  | { readonly kind: 'keepActive' }
  | { readonly kind: 'stream'; readonly id: number }
  | { readonly kind: 'digitMap'; readonly name?: string; readonly value?: DigitMapValue }
  /** Embedded signals and/or events (§7.1.9); events are not allowed inside embedded events. */
  | { readonly kind: 'embed'; readonly signals?: SignalsDescriptor; readonly events?: EmbeddedEvents }
  | { readonly kind: 'other'; readonly name: string; readonly value: ParmValue };

export interface EmbeddedEvents {
  readonly requestId?: RequestId;
  readonly events: readonly RequestedEvent[];
}

export interface SignalsDescriptor {
  readonly type: 'signals';
  readonly signals: readonly SignalParm[];
}

export type SignalParm = SignalRequest | SignalList;

export interface SignalRequest {
  readonly kind: 'signal';
  readonly name: string;
  readonly params: readonly SigParameter[];
}

export interface SignalList {
  readonly kind: 'list';
  readonly id: number;
  readonly signals: readonly SignalRequest[];
}

export type NotificationReason = 'timeOut' | 'interruptByEvent' | 'interruptByNewSignals' | 'otherReason';

export type SigParameter =
  | { readonly kind: 'stream'; readonly id: number }
  | { readonly kind: 'signalType'; readonly value: 'onOff' | 'timeOut' | 'brief' }
  | { readonly kind: 'duration'; readonly value: number }
  | { readonly kind: 'notifyCompletion'; readonly reasons: readonly NotificationReason[] }
  | { readonly kind: 'keepActive' }
  | { readonly kind: 'other'; readonly name: string; readonly value: ParmValue };

export interface DigitMapDescriptor {
  readonly type: 'digitMap';
  readonly name?: string;
  readonly value?: DigitMapValue;
}

export interface EventSpec {
  readonly name: string;
  readonly params: readonly ObservedEventParameter[];
}

export interface EventBufferDescriptor {
  readonly type: 'eventBuffer';
  readonly events: readonly EventSpec[];
}

export type AuditItem =
  | 'mux'
  | 'modem'
  | 'media'
  | 'signals'
  | 'eventBuffer'
  | 'digitMap'
  | 'statistics'
  | 'events'
  | 'observedEvents'
  | 'packages';

/** A bare audit token among the values a termination returns. */
export interface AuditItemDescriptor {
  readonly type: 'auditItem';
  readonly item: AuditItem;
}

export interface AuditDescriptor {
  readonly type: 'audit';
  readonly items: readonly AuditItem[];
}

export type ObservedEventParameter =
  | { readonly kind: 'stream'; readonly id: number }
  | { readonly kind: 'other'; readonly name: string; readonly value: ParmValue };

export interface ObservedEvent {
  /** "yyyymmddThhmmssss" */
  readonly timestamp?: string;
  readonly name: string;
  readonly params: readonly ObservedEventParameter[];
}

export interface ObservedEventsDescriptor {
  readonly type: 'observedEvents';
  readonly requestId: RequestId;
  readonly events: readonly ObservedEvent[];
}

export interface StatisticsDescriptor {
  readonly type: 'statistics';
  readonly stats: ReadonlyArray<{ readonly name: string; readonly value?: string }>;
}

export interface PackagesDescriptor {
  readonly type: 'packages';
  readonly packages: ReadonlyArray<{ readonly name: string; readonly version: number }>;
}

export interface ErrorDescriptor {
  readonly type: 'error';
  readonly code: number;
  readonly text?: string;
}

export type Descriptor =
  | MediaDescriptor
  | ModemDescriptor
  | MuxDescriptor
  | EventsDescriptor
  | SignalsDescriptor
  | DigitMapDescriptor
  | EventBufferDescriptor
  | AuditDescriptor
  | ObservedEventsDescriptor
  | StatisticsDescriptor
  | PackagesDescriptor
  | ErrorDescriptor
  | AuditItemDescriptor;

/**
 * Why bytes are not a message: the H.248.1 error code to answer with (400 for the message,
 * 403 for a transaction request), where decoding stopped, and as much of the message as was
 * read so the receiver can answer the right peer and transaction.
 */
export interface H248DecodeError {
  readonly type: 'error';
  readonly code: number;
  readonly reason: string;
  /** Offset in the input where decoding stopped. */
  readonly offset: number;
  readonly mid?: Mid;
  readonly version?: number;
  /** The transaction being read, when its id was read. */
  readonly transactionId?: number;
  /** The transaction being read was a request (a reply is never answered). */
  readonly inRequest?: boolean;
  /** Transactions read in full before the one that failed. */
  readonly transactions?: readonly Transaction[];
}

export type H248Decoded = Message | H248DecodeError;

// ---------------------------------------------------------------- helpers

export function errorDescriptor(code: number, text?: string): ErrorDescriptor {
  return { type: 'error', code, ...(text !== undefined ? { text } : {}) };
}

export function midToString(mid: Mid): string {
  switch (mid.kind) {
    case 'ip4':
      return `[${mid.address}]${mid.port !== undefined ? `:${mid.port}` : ''}`;
    case 'ip6':
      return `[${mid.address}]${mid.port !== undefined ? `:${mid.port}` : ''}`;
    case 'domain':
      return `<${mid.name}>${mid.port !== undefined ? `:${mid.port}` : ''}`;
    case 'device':
      return mid.name;
    case 'mtp':
      return `MTP{${mid.address}}`;
  }
}

/** Identifiers are case-insensitive (§B.2): the key by which a peer's mId is compared. */
export function midKey(mid: Mid): string {
  return midToString(mid).toLowerCase();
}
