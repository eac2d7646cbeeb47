/**
 * H.248.1 v1 text grammar (RFC 3525 Annex B.2) as a recursive-descent parser over
 * {@link Scanner}: pretty and compact token forms alike, case-insensitive. Every list is bounded
 * and the grammar nests a fixed number of levels, so hostile input costs linear time.
 * Rule names in comments are the ABNF's.
 */
import { isIPv6 } from 'node:net';
import { LIMITS, MAX_UINT16, MAX_UINT32, tokenOf, type Token } from './constants.js';
import type {
  ActionReply,
  ActionRequest,
  AuditItem,
  AuditReply,
  CommandReply,
  CommandRequest,
  ContextAuditItem,
  ContextId,
  ContextProperties,
  Descriptor,
  DigitMapValue,
  EmbeddedEvents,
  ErrorDescriptor,
  EventParameter,
  EventSpec,
  Extension,
  LocalControl,
  MediaDescriptor,
  Message,
  Mid,
  NotificationReason,
  ObservedEvent,
  ObservedEventParameter,
  ObservedEventsDescriptor,
  ParmValue,
  PropertyParm,
  RequestedEvent,
  RequestId,
  ServiceChangeMethod,
  ServiceChangeParams,
  ServiceChangeProfile,
  ServiceChangeReplyParams,
  SignalRequest,
  SigParameter,
  SignalParm,
  SignalsDescriptor,
  StreamDescriptor,
  StreamMode,
  TerminationState,
  TopologyTriple,
  Transaction,
  TransactionReply,
  TransactionRequest,
} from './messages.js';
import { C, Scanner } from './text-scanner.js';

// ---------------------------------------------------------------- lexical shapes

/** NAME = ALPHA *63(ALPHA / DIGIT / "_") */
export const NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** pkgdName = (PackageName SLASH ItemID) / (PackageName SLASH "*") / ("*" SLASH "*") */
export const PKGD_RE = /^(?:[A-Za-z][A-Za-z0-9_]{0,63}\/(?:[A-Za-z][A-Za-z0-9_]{0,63}|\*)|\*\/\*)$/;
/** pathNAME = ["*"] NAME *("/" / "*" / ALPHA / DIGIT / "_" / "$") ["@" pathDomainName] */
const PATH_NAME_RE = /^\*?[A-Za-z][A-Za-z0-9_]{0,63}[/*A-Za-z0-9_$]*(?:@[A-Za-z0-9*][A-Za-z0-9\-*.]{0,63})?$/;
/** extensionParameter = "X" ("-" / "+") 1*6(ALPHA / DIGIT) */
export const EXTENSION_RE = /^[Xx][-+][A-Za-z0-9]{1,6}$/;
/** TimeStamp = Date "T" Time; Date = 8(DIGIT); Time = 8(DIGIT) */
export const TIMESTAMP_RE = /^[0-9]{8}[Tt][0-9]{8}$/;
const DOMAIN_RE = /^[A-Za-z0-9][A-Za-z0-9\-.]{0,63}$/;
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const IPV6_CHARS_RE = /^[0-9A-Fa-f:.]{2,45}$/;
const HEX_AUTH_RE = /^0[xX][0-9A-Fa-f]{8}$/;
const HEX_AUTH_DATA_RE = /^0[xX][0-9A-Fa-f]{24,64}$/;
const MTP_RE = /^[0-9A-Fa-f]{4,8}$/;
const DIGITS_RE = /^[0-9]{1,10}$/;
/** The characters a digit map may hold once its white space is removed. */
const DIGIT_MAP_RE = /^[0-9A-Ka-kLlSsTtZzXx.\-[\]()|]+$/;

export function isTerminationId(s: string): boolean {
  if (s.length === 0 || s.length > LIMITS.maxTerminationIdLength) return false;
  return s === '$' || s === '*' || PATH_NAME_RE.test(s);
}

export function isIPv4(s: string): boolean {
  return IPV4_RE.test(s);
}

export function isIPv6Address(s: string): boolean {
  return IPV6_CHARS_RE.test(s) && isIPv6(s);
}

/** The digit map without white space when it follows §B.2 digitMap, else undefined. */
export function normalizeDigitMap(raw: string): string | undefined {
  const body = raw.replace(/[ \t\r\n]+/g, '');
  if (body.length === 0 || body.length > LIMITS.maxValueLength || !DIGIT_MAP_RE.test(body)) return undefined;
  const inner = body.startsWith('(') ? (body.endsWith(')') ? body.slice(1, -1) : undefined) : body;
  if (inner === undefined) return undefined;
  for (const alt of inner.split('|')) {
    // digitString = 1*(digitPosition [DOT]); digitPosition = letter / "x" / "[" digitLetter "]"
    if (!/^(?:(?:[0-9A-Ka-kLlSsTtZzXx]|\[(?:[0-9]-[0-9]|[0-9A-Ka-kLlSsTtZz])*\])\.?)+$/.test(alt)) return undefined;
  }
  return body;
}

// ---------------------------------------------------------------- token tables

const STREAM_MODES: Partial<Record<Token, StreamMode>> = {
  Sendonly: 'sendOnly',
  Recvonly: 'recvOnly',
  Sendrecv: 'sendRecv',
  Inactive: 'inactive',
  Loopback: 'loopback',
};

const AUDIT_ITEMS: Partial<Record<Token, AuditItem>> = {
  Mux: 'mux',
  Modem: 'modem',
  Media: 'media',
  Signals: 'signals',
  EventBuffer: 'eventBuffer',
  DigitMap: 'digitMap',
  Stats: 'statistics',
  Events: 'events',
  ObservedEvents: 'observedEvents',
  Packages: 'packages',
};

const SC_METHODS: Partial<Record<Token, ServiceChangeMethod>> = {
  Failover: 'failover',
  Forced: 'forced',
  Graceful: 'graceful',
  Restart: 'restart',
  Disconnected: 'disconnected',
  HandOff: 'handOff',
};

const MODEM_TYPES: Partial<Record<Token, string>> = {
  V32bis: 'v32b',
  V22bis: 'v22b',
  V18: 'v18',
  V22: 'v22',
  V32: 'v32',
  V34: 'v34',
  V90: 'v90',
  V91: 'v91',
  SynchISDN: 'synchisdn',
};

const MUX_TYPES: Partial<Record<Token, string>> = { H221: 'h221', H223: 'h223', H226: 'h226', V76: 'v76' };

const NOTIFICATION_REASONS: Partial<Record<Token, NotificationReason>> = {
  TimeOut: 'timeOut',
  InterruptByEvent: 'interruptByEvent',
  InterruptByNewSignalsDescr: 'interruptByNewSignals',
  OtherReason: 'otherReason',
};

const SIGNAL_TYPES: Partial<Record<Token, 'onOff' | 'timeOut' | 'brief'>> = { OnOff: 'onOff', TimeOut: 'timeOut', Brief: 'brief' };

/** Where a parse stopped, for an error value the receiver can answer. */
export interface ParseContext {
  mid?: Mid;
  version?: number;
  transactionId?: number;
  inRequest?: boolean;
  transactions: Transaction[];
}

export class TextParser {
  private readonly sc: Scanner;

  constructor(
    text: string,
    readonly ctx: ParseContext,
  ) {
    this.sc = new Scanner(text);
  }

  get offset(): number {
    return this.sc.pos;
  }

  // ---------------------------------------------------------------- helpers

  private tok(what: string): Token | undefined {
    this.sc.lwsp();
    const save = this.sc.pos;
    const w = this.sc.word(what);
    const t = tokenOf(w);
    if (t === undefined) this.sc.pos = save;
    return t;
  }

  private expectTok(expected: Token, what: string): void {
    const at = this.sc.pos;
    if (this.tok(what) !== expected) this.sc.fail(`${what} expected`, at);
  }

  private equal(): void {
    this.sc.expect(C.EQUAL, '"="');
  }

  private lbrkt(): void {
    this.sc.expect(C.LBRKT, '"{"');
  }

  private rbrkt(): void {
    this.sc.expect(C.RBRKT, '"}"');
  }

  /** "{" item *("," item) "}" — or, with `allowEmpty`, "{" "}". The opening brace is consumed here. */
  private list<T>(item: () => T, what: string, allowEmpty = false): T[] {
    this.lbrkt();
    const out: T[] = [];
    if (allowEmpty && this.sc.punct(C.RBRKT)) return out;
    do {
      if (out.length >= LIMITS.maxListItems) this.sc.fail(`more than ${LIMITS.maxListItems} items in ${what}`);
      out.push(item());
    } while (this.sc.punct(C.COMMA));
    this.rbrkt();
    return out;
  }

  private uint(max: number, what: string): number {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word(what);
    if (!DIGITS_RE.test(w)) this.sc.fail(`${what}: digits expected`, at);
    const n = Number(w);
    if (n > max) this.sc.fail(`${what} out of range`, at);
    return n;
  }

  private uint32(what: string): number {
    return this.uint(MAX_UINT32, what);
  }

  private uint16(what: string): number {
    return this.uint(MAX_UINT16, what);
  }

  private name(re: RegExp, what: string): string {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word(what);
    if (!re.test(w)) this.sc.fail(`malformed ${what}`, at);
    return w;
  }

  private terminationId(): string {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('TerminationID');
    if (!isTerminationId(w)) this.sc.fail('malformed TerminationID', at);
    return w;
  }

  private contextId(): ContextId {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('ContextID');
    if (w === '-' || w === '$' || w === '*') return w;
    if (!DIGITS_RE.test(w) || Number(w) > MAX_UINT32) this.sc.fail('malformed ContextID', at);
    return Number(w);
  }

  private requestId(): RequestId {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('RequestID');
    if (w === '*') return w;
    if (!DIGITS_RE.test(w) || Number(w) > MAX_UINT32) this.sc.fail('malformed RequestID', at);
    return Number(w);
  }

  private quotedOrWordValue(what: string): string {
    this.sc.lwsp();
    return this.sc.value(what);
  }

  // ---------------------------------------------------------------- message

  /** megacoMessage = LWSP [authenticationHeader SEP] message */
  message(): Message {
    const sc = this.sc;
    sc.lwsp();
    let w = sc.word('MEGACO header');
    let auth: Message['auth'];
    if (tokenOf(w) === 'Auth') {
      // authenticationHeader = AuthToken EQUAL SecurityParmIndex COLON SequenceNum COLON AuthData
      this.equal();
      const spi = sc.word('SecurityParmIndex');
      sc.expect(C.COLON, '":"');
      const seq = sc.word('SequenceNum');
      sc.expect(C.COLON, '":"');
      const data = sc.word('AuthData');
      if (!HEX_AUTH_RE.test(spi) || !HEX_AUTH_RE.test(seq) || !HEX_AUTH_DATA_RE.test(data)) sc.fail('malformed authentication header');
      auth = { spi, seq, data };
      sc.sep('authentication header');
      w = sc.word('MEGACO header');
    }
    // message = MegacopToken SLASH version SEP mId SEP messageBody
    const slash = w.indexOf('/');
    if (slash < 0 || tokenOf(w.slice(0, slash)) !== 'Megacop') sc.fail('not an H.248 text message (MEGACO/ or !/ expected)', 0);
    const v = w.slice(slash + 1);
    if (!/^[0-9]{1,2}$/.test(v)) sc.fail('malformed protocol version');
    const version = Number(v);
    this.ctx.version = version;
    sc.sep('protocol version');
    const mid = this.mid();
    this.ctx.mid = mid;
    sc.sep('mId');
    // messageBody = errorDescriptor / transactionList
    const first = tokenOf(sc.peekWord());
    if (first === 'Error') {
      const error = this.errorDescriptor();
      sc.lwsp();
      if (!sc.atEnd) sc.fail('nothing may follow a message error descriptor');
      return { type: 'message', version, mid, ...(auth ? { auth } : {}), error, transactions: [] };
    }
    const transactions = this.ctx.transactions;
    for (;;) {
      sc.lwsp();
      if (sc.atEnd) break;
      if (transactions.length >= LIMITS.maxListItems) sc.fail(`more than ${LIMITS.maxListItems} transactions`);
      transactions.push(this.transaction());
      this.ctx.transactionId = undefined;
      this.ctx.inRequest = undefined;
    }
    if (transactions.length === 0) sc.fail('message without transactions');
    return { type: 'message', version, mid, ...(auth ? { auth } : {}), transactions: [...transactions] };
  }

  /** mId = ((domainAddress / domainName) [":" portNumber]) / mtpAddress / deviceName */
  mid(): Mid {
    const sc = this.sc;
    const c = sc.peek();
    const start = sc.pos;
    if (c === C.LSBRKT || c === C.LT) {
      const close = c === C.LSBRKT ? ']' : '>';
      const end = sc.s.indexOf(close, start + 1);
      if (end < 0 || end - start > 66) sc.fail('unterminated address in mId');
      const inner = sc.s.slice(start + 1, end);
      sc.pos = end + 1;
      let port: number | undefined;
      if (sc.peek() === C.COLON) {
        sc.pos++;
        const at = sc.pos;
        const p = sc.word('portNumber');
        if (!/^[0-9]{1,5}$/.test(p) || Number(p) > MAX_UINT16) sc.fail('malformed portNumber', at);
        port = Number(p);
      }
      const withPort = port !== undefined ? { port } : {};
      if (c === C.LT) {
        if (!DOMAIN_RE.test(inner)) sc.fail('malformed domainName', start);
        return { kind: 'domain', name: inner, ...withPort };
      }
      if (isIPv4(inner)) return { kind: 'ip4', address: inner, ...withPort };
      if (isIPv6Address(inner)) return { kind: 'ip6', address: inner, ...withPort };
      return sc.fail('malformed domainAddress', start);
    }
    const w = sc.word('mId');
    if (tokenOf(w) === 'Mtp' && sc.peekAfterLwsp() === C.LBRKT) {
      // mtpAddress = MTPToken LBRKT 4*8(HEXDIG) RBRKT
      this.lbrkt();
      const at = sc.pos;
      const hex = sc.word('MTP address');
      if (!MTP_RE.test(hex)) sc.fail('malformed MTP address', at);
      this.rbrkt();
      return { kind: 'mtp', address: hex };
    }
    if (!isTerminationId(w) || w === '$' || w === '*') sc.fail('malformed deviceName', start);
    return { kind: 'device', name: w };
  }

  private transaction(): Transaction {
    const at = this.sc.pos;
    const t = this.tok('transaction');
    switch (t) {
      case 'Trans':
        return this.transactionRequest();
      case 'Reply':
        return this.transactionReply();
      case 'Pending': {
        // transactionPending = PendingToken EQUAL TransactionID LBRKT RBRKT
        this.equal();
        const id = this.uint32('TransactionID');
        this.lbrkt();
        this.rbrkt();
        return { type: 'pending', id };
      }
      case 'ResponseAck': {
        // transactionResponseAck = ResponseAckToken LBRKT transactionAck *(COMMA transactionAck) RBRKT
        const ranges = this.list(() => {
          this.sc.lwsp();
          const a = this.sc.pos;
          const w = this.sc.word('transactionAck');
          const m = /^([0-9]{1,10})(?:-([0-9]{1,10}))?$/.exec(w);
          if (!m) this.sc.fail('malformed transactionAck', a);
          const first = Number(m[1]);
          const last = m[2] !== undefined ? Number(m[2]) : undefined;
          if (first > MAX_UINT32 || (last !== undefined && (last > MAX_UINT32 || last < first))) this.sc.fail('transactionAck out of range', a);
          return last !== undefined ? { first, last } : { first };
        }, 'TransactionResponseAck');
        return { type: 'ack', ranges };
      }
      default:
        return this.sc.fail('Transaction, Reply, Pending or TransactionResponseAck expected', at);
    }
  }

  /** transactionRequest = TransToken EQUAL TransactionID LBRKT actionRequest *(COMMA actionRequest) RBRKT */
  private transactionRequest(): TransactionRequest {
    this.equal();
    const id = this.uint32('TransactionID');
    this.ctx.transactionId = id;
    this.ctx.inRequest = true;
    const actions = this.list(() => this.actionRequest(), 'transaction');
    return { type: 'request', id, actions };
  }

  /** transactionReply = ReplyToken EQUAL TransactionID LBRKT [ImmAckRequiredToken COMMA] (errorDescriptor / actionReplyList) RBRKT */
  private transactionReply(): TransactionReply {
    this.equal();
    const id = this.uint32('TransactionID');
    this.ctx.transactionId = id;
    this.ctx.inRequest = false;
    this.lbrkt();
    let immAckRequired = false;
    if (tokenOf(this.sc.peekWord()) === 'ImmAckRequired') {
      this.tok('ImmAckRequired');
      this.sc.expect(C.COMMA, '","');
      immAckRequired = true;
    }
    if (tokenOf(this.sc.peekWord()) === 'ImmAckRequired') this.sc.fail('ImmAckRequired twice');
    const peek = this.sc.peekWord();
    if (tokenOf(peek) === 'Error') {
      const error = this.errorDescriptor();
      this.rbrkt();
      return { type: 'reply', id, ...(immAckRequired ? { immAckRequired } : {}), error, actions: [] };
    }
    const actions: ActionReply[] = [];
    do {
      if (actions.length >= LIMITS.maxListItems) this.sc.fail(`more than ${LIMITS.maxListItems} action replies`);
      actions.push(this.actionReply());
    } while (this.sc.punct(C.COMMA));
    this.rbrkt();
    return { type: 'reply', id, ...(immAckRequired ? { immAckRequired } : {}), actions };
  }

  // ---------------------------------------------------------------- actions

  /**
   * actionRequest = CtxToken EQUAL ContextID LBRKT ((contextRequest [COMMA commandRequestList]) / commandRequestList) RBRKT
   * (contextRequest = contextProperties [COMMA contextAudit] / contextAudit)
   */
  private actionRequest(): ActionRequest {
    this.expectTok('Ctx', 'Context');
    this.equal();
    const contextId = this.contextId();
    const context: { topology?: TopologyTriple[]; priority?: number; emergency?: boolean } = {};
    let contextAudit: ContextAuditItem[] | undefined;
    const commands: CommandRequest[] = [];
    let items = 0;
    this.lbrkt();
    do {
      if (++items > LIMITS.maxListItems) this.sc.fail(`more than ${LIMITS.maxListItems} items in an action`);
      const at = this.sc.pos;
      const t = this.tok('command or context property');
      if (t === 'ContextAudit') {
        if (contextAudit) this.sc.fail('ContextAudit twice', at);
        contextAudit = this.list(() => {
          const a = this.sc.pos;
          const p = this.tok('context audit property');
          if (p === 'Topology') return 'topology';
          if (p === 'Emergency') return 'emergency';
          if (p === 'Priority') return 'priority';
          return this.sc.fail('Topology, Emergency or Priority expected', a);
        }, 'ContextAudit');
      } else if (t !== undefined && this.contextProperty(t, context, at)) {
        // read into `context`
      } else if (t !== undefined) {
        commands.push(this.commandRequest(t, at));
      } else this.sc.fail('command or context property expected', at);
    } while (this.sc.punct(C.COMMA));
    this.rbrkt();
    const hasContext = Object.keys(context).length > 0;
    return { contextId, ...(hasContext ? { context } : {}), ...(contextAudit ? { contextAudit } : {}), commands };
  }

  /** contextProperty = (topologyDescriptor / priority / EmergencyToken); false when `t` is not one. */
  private contextProperty(t: Token, into: { topology?: TopologyTriple[]; priority?: number; emergency?: boolean }, at: number): boolean {
    if (t === 'Topology') {
      if (into.topology) this.sc.fail('Topology twice', at);
      // topologyTriple = terminationA COMMA terminationB COMMA topologyDirection
      this.lbrkt();
      const triples: TopologyTriple[] = [];
      do {
        if (triples.length >= LIMITS.maxListItems) this.sc.fail('too many topology triples');
        const from = this.terminationId();
        this.sc.expect(C.COMMA, '","');
        const to = this.terminationId();
        this.sc.expect(C.COMMA, '","');
        const d = this.sc.pos;
        const dir = this.tok('topologyDirection');
        const direction = dir === 'Bothway' ? 'bothway' : dir === 'Isolate' ? 'isolate' : dir === 'Oneway' ? 'oneway' : undefined;
        if (!direction) this.sc.fail('Bothway, Isolate or Oneway expected', d);
        triples.push({ from, to, direction });
      } while (this.sc.punct(C.COMMA));
      this.rbrkt();
      into.topology = triples;
      return true;
    }
    if (t === 'Priority') {
      if (into.priority !== undefined) this.sc.fail('Priority twice', at);
      this.equal();
      into.priority = this.uint16('priority');
      return true;
    }
    if (t === 'Emergency') {
      if (into.emergency) this.sc.fail('Emergency twice', at);
      into.emergency = true;
      return true;
    }
    return false;
  }

  /** actionReply = CtxToken EQUAL ContextID LBRKT (errorDescriptor / commandReply / (commandReply COMMA errorDescriptor)) RBRKT */
  private actionReply(): ActionReply {
    this.expectTok('Ctx', 'Context');
    this.equal();
    const contextId = this.contextId();
    const context: { topology?: TopologyTriple[]; priority?: number; emergency?: boolean } = {};
    const replies: CommandReply[] = [];
    let error: ErrorDescriptor | undefined;
    let items = 0;
    this.lbrkt();
    do {
      if (++items > LIMITS.maxListItems) this.sc.fail(`more than ${LIMITS.maxListItems} items in an action reply`);
      const at = this.sc.pos;
      if (tokenOf(this.sc.peekWord()) === 'Error') {
        error = this.errorDescriptor();
        break;
      }
      const t = this.tok('command reply');
      if (t !== undefined && this.contextProperty(t, context, at)) continue;
      if (t === undefined) this.sc.fail('command reply expected', at);
      replies.push(this.commandReply(t, at));
    } while (this.sc.punct(C.COMMA));
    this.rbrkt();
    const hasContext = Object.keys(context).length > 0;
    return { contextId, ...(hasContext ? { context } : {}), replies, ...(error ? { error } : {}) };
  }

  // ---------------------------------------------------------------- commands

  private commandRequest(t: Token, at: number): CommandRequest {
    switch (t) {
      case 'Add':
      case 'Move':
      case 'Modify': {
        // ammRequest = (AddToken / MoveToken / ModifyToken) EQUAL TerminationID [LBRKT ammParameter *(COMMA ammParameter) RBRKT]
        const command = t === 'Add' ? 'add' : t === 'Move' ? 'move' : 'modify';
        this.equal();
        const terminationId = this.terminationId();
        const descriptors = this.sc.peekAfterLwsp() === C.LBRKT ? this.list(() => this.ammParameter(), 'command') : [];
        return { command, terminationId, descriptors };
      }
      case 'Subtract': {
        // subtractRequest = SubtractToken EQUAL TerminationID [LBRKT auditDescriptor RBRKT]
        this.equal();
        const terminationId = this.terminationId();
        if (this.sc.peekAfterLwsp() !== C.LBRKT) return { command: 'subtract', terminationId };
        this.lbrkt();
        const audit = this.auditDescriptor();
        this.rbrkt();
        return { command: 'subtract', terminationId, audit };
      }
      case 'AuditValue':
      case 'AuditCap': {
        // auditRequest = (AuditValueToken / AuditCapToken) EQUAL TerminationID LBRKT auditDescriptor RBRKT
        this.equal();
        const terminationId = this.terminationId();
        this.lbrkt();
        const audit = this.auditDescriptor();
        this.rbrkt();
        return { command: t === 'AuditValue' ? 'auditValue' : 'auditCapabilities', terminationId, audit };
      }
      case 'Notify': {
        // notifyRequest = NotifyToken EQUAL TerminationID LBRKT (observedEventsDescriptor [COMMA errorDescriptor]) RBRKT
        this.equal();
        const terminationId = this.terminationId();
        this.lbrkt();
        this.expectTok('ObservedEvents', 'ObservedEvents');
        const observedEvents = this.observedEvents();
        let error: ErrorDescriptor | undefined;
        if (this.sc.punct(C.COMMA)) error = this.errorDescriptor();
        this.rbrkt();
        return { command: 'notify', terminationId, observedEvents, ...(error ? { error } : {}) };
      }
      case 'ServiceChange': {
        // serviceChangeRequest = ServiceChangeToken EQUAL TerminationID LBRKT serviceChangeDescriptor RBRKT
        this.equal();
        const terminationId = this.terminationId();
        this.lbrkt();
        this.expectTok('Services', 'Services');
        const params = this.serviceChangeParams();
        this.rbrkt();
        return { command: 'serviceChange', terminationId, params };
      }
      default:
        return this.sc.fail('command expected', at);
    }
  }

  private commandReply(t: Token, at: number): CommandReply {
    switch (t) {
      case 'Add':
      case 'Move':
      case 'Modify':
      case 'Subtract': {
        // ammsReply = (AddToken / MoveToken / ModifyToken / SubtractToken) EQUAL TerminationID [LBRKT terminationAudit RBRKT]
        const command = t === 'Add' ? 'add' : t === 'Move' ? 'move' : t === 'Modify' ? 'modify' : 'subtract';
        this.equal();
        const terminationId = this.terminationId();
        if (this.sc.peekAfterLwsp() !== C.LBRKT) return { command, terminationId };
        return { command, terminationId, audit: this.list(() => this.auditReturnParameter(), 'terminationAudit') };
      }
      case 'AuditValue':
      case 'AuditCap': {
        // auditReply = (AuditValueToken / AuditCapToken) (contextTerminationAudit / auditOther)
        const command = t === 'AuditValue' ? 'auditValue' : 'auditCapabilities';
        this.equal();
        this.sc.lwsp();
        const save = this.sc.pos;
        const w = this.sc.word('TerminationID');
        if (tokenOf(w) === 'Ctx' && this.sc.peekAfterLwsp() === C.LBRKT) {
          // contextTerminationAudit = EQUAL CtxToken (terminationIDList / LBRKT errorDescriptor RBRKT)
          if (tokenOf(this.peekAfterBrace()) === 'Error') {
            this.lbrkt();
            const contextError = this.errorDescriptor();
            this.rbrkt();
            return { command, contextError };
          }
          return { command, contextTerminations: this.list(() => this.terminationId(), 'terminationIDList') };
        }
        this.sc.pos = save;
        // auditOther = EQUAL TerminationID [LBRKT terminationAudit RBRKT]
        const terminationId = this.terminationId();
        if (this.sc.peekAfterLwsp() !== C.LBRKT) return { command, terminationId } satisfies AuditReply;
        return { command, terminationId, audit: this.list(() => this.auditReturnParameter(), 'terminationAudit') };
      }
      case 'Notify': {
        // notifyReply = NotifyToken EQUAL TerminationID [LBRKT errorDescriptor RBRKT]
        this.equal();
        const terminationId = this.terminationId();
        if (this.sc.peekAfterLwsp() !== C.LBRKT) return { command: 'notify', terminationId };
        this.lbrkt();
        const error = this.errorDescriptor();
        this.rbrkt();
        return { command: 'notify', terminationId, error };
      }
      case 'ServiceChange': {
        // serviceChangeReply = ServiceChangeToken EQUAL TerminationID [LBRKT (errorDescriptor / serviceChangeReplyDescriptor) RBRKT]
        this.equal();
        const terminationId = this.terminationId();
        if (this.sc.peekAfterLwsp() !== C.LBRKT) return { command: 'serviceChange', terminationId };
        this.lbrkt();
        const a = this.sc.pos;
        const next = tokenOf(this.sc.peekWord());
        let reply: CommandReply;
        if (next === 'Error') reply = { command: 'serviceChange', terminationId, error: this.errorDescriptor() };
        else if (next === 'Services') {
          this.tok('Services');
          reply = { command: 'serviceChange', terminationId, params: this.serviceChangeReplyParams() };
        } else return this.sc.fail('Error or Services expected', a);
        this.rbrkt();
        return reply;
      }
      default:
        return this.sc.fail('command reply expected', at);
    }
  }

  /** The word after the next "{", without consuming anything. */
  private peekAfterBrace(): string {
    const save = this.sc.pos;
    let w = '';
    if (this.sc.punct(C.LBRKT)) w = this.sc.peekWord();
    this.sc.pos = save;
    return w;
  }

  // ---------------------------------------------------------------- ServiceChange

  /** serviceChangeDescriptor = ServicesToken LBRKT serviceChangeParm *(COMMA serviceChangeParm) RBRKT */
  private serviceChangeParams(): ServiceChangeParams {
    const p: {
      method?: ServiceChangeMethod;
      reason?: string;
      delay?: number;
      address?: Mid | number;
      profile?: ServiceChangeProfile;
      version?: number;
      mgcId?: Mid;
      timestamp?: string;
      extensions?: Extension[];
    } = {};
    const twice = (k: keyof typeof p, at: number): void => {
      if (p[k] !== undefined) this.sc.fail(`${k} twice in Services`, at);
    };
    this.list(() => {
      this.sc.lwsp();
      const at = this.sc.pos;
      const w = this.sc.word('serviceChangeParm');
      const t = tokenOf(w);
      switch (t) {
        case 'Method': {
          twice('method', at);
          this.equal();
          const m = this.sc.pos;
          const v = this.sc.word('serviceChangeMethod');
          const known = SC_METHODS[tokenOf(v) as Token];
          if (known) p.method = known;
          else if (EXTENSION_RE.test(v)) p.method = v as ServiceChangeMethod;
          else this.sc.fail('unknown ServiceChange method', m);
          return;
        }
        case 'Reason':
          twice('reason', at);
          this.equal();
          p.reason = this.quotedOrWordValue('serviceChangeReason');
          return;
        case 'Delay':
          twice('delay', at);
          this.equal();
          p.delay = this.uint32('serviceChangeDelay');
          return;
        case 'ServiceChangeAddress':
          twice('address', at);
          this.equal();
          p.address = this.midOrPort();
          return;
        case 'Profile':
          twice('profile', at);
          this.equal();
          p.profile = this.profile();
          return;
        case 'Version':
          twice('version', at);
          this.equal();
          p.version = this.version();
          return;
        case 'MgcId':
          twice('mgcId', at);
          this.equal();
          this.sc.lwsp();
          p.mgcId = this.mid();
          return;
      }
      if (TIMESTAMP_RE.test(w)) {
        twice('timestamp', at);
        p.timestamp = w;
        return;
      }
      if (EXTENSION_RE.test(w)) {
        // extension = extensionParameter parmValue
        (p.extensions ??= []).push({ name: w, value: this.parmValue() });
        return;
      }
      this.sc.fail('unknown ServiceChange parameter', at);
    }, 'Services');
    return p;
  }

  /** serviceChangeReplyDescriptor = ServicesToken LBRKT servChgReplyParm *(COMMA servChgReplyParm) RBRKT */
  private serviceChangeReplyParams(): ServiceChangeReplyParams {
    const p: { address?: Mid | number; mgcId?: Mid; profile?: ServiceChangeProfile; version?: number; timestamp?: string } = {};
    const twice = (k: keyof typeof p, at: number): void => {
      if (p[k] !== undefined) this.sc.fail(`${k} twice in Services`, at);
    };
    this.list(() => {
      this.sc.lwsp();
      const at = this.sc.pos;
      const w = this.sc.word('servChgReplyParm');
      switch (tokenOf(w)) {
        case 'ServiceChangeAddress':
          twice('address', at);
          this.equal();
          p.address = this.midOrPort();
          return;
        case 'MgcId':
          twice('mgcId', at);
          this.equal();
          this.sc.lwsp();
          p.mgcId = this.mid();
          return;
        case 'Profile':
          twice('profile', at);
          this.equal();
          p.profile = this.profile();
          return;
        case 'Version':
          twice('version', at);
          this.equal();
          p.version = this.version();
          return;
      }
      if (TIMESTAMP_RE.test(w)) {
        twice('timestamp', at);
        p.timestamp = w;
        return;
      }
      this.sc.fail('unknown ServiceChange reply parameter', at);
    }, 'Services');
    return p;
  }

  /** serviceChangeAddress value: mId / portNumber */
  private midOrPort(): Mid | number {
    this.sc.lwsp();
    const w = this.sc.peekWord();
    if (/^[0-9]+$/.test(w)) return this.uint16('portNumber');
    return this.mid();
  }

  /** serviceChangeProfile = ProfileToken EQUAL NAME SLASH Version */
  private profile(): ServiceChangeProfile {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('profile');
    const m = /^([A-Za-z][A-Za-z0-9_]{0,63})\/([0-9]{1,2})$/.exec(w);
    if (!m) return this.sc.fail('malformed profile (NAME/version expected)', at);
    return { name: m[1], version: Number(m[2]) };
  }

  /** Version = 1*2(DIGIT) */
  private version(): number {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('Version');
    if (!/^[0-9]{1,2}$/.test(w)) this.sc.fail('malformed Version', at);
    return Number(w);
  }

  // ---------------------------------------------------------------- descriptors

  /** ammParameter = mediaDescriptor / modemDescriptor / muxDescriptor / eventsDescriptor / signalsDescriptor / digitMapDescriptor / eventBufferDescriptor / auditDescriptor */
  private ammParameter(): Descriptor {
    const at = this.sc.pos;
    const t = this.tok('descriptor');
    switch (t) {
      case 'Media':
        return this.media();
      case 'Modem':
        return this.modem();
      case 'Mux':
        return this.mux();
      case 'Events':
        return this.events();
      case 'Signals':
        return this.signals();
      case 'DigitMap':
        return this.digitMapDescriptor();
      case 'EventBuffer':
        return this.eventBuffer();
      case 'Audit': {
        const items = this.auditItems();
        return { type: 'audit', items };
      }
      default:
        return this.sc.fail('descriptor expected', at);
    }
  }

  /**
   * auditReturnParameter = mediaDescriptor / modemDescriptor / muxDescriptor / eventsDescriptor / signalsDescriptor /
   *   digitMapDescriptor / observedEventsDescriptor / eventBufferDescriptor / statisticsDescriptor / packagesDescriptor /
   *   errorDescriptor / auditItem
   * A bare "Events" or "EventBuffer" reads as the audit item (the grammar allows both).
   */
  private auditReturnParameter(): Descriptor {
    const at = this.sc.pos;
    const t = this.tok('audit return parameter');
    if (t === undefined) return this.sc.fail('audit return parameter expected', at);
    const next = this.sc.peekAfterLwsp();
    const bare = next === C.COMMA || next === C.RBRKT;
    const item = AUDIT_ITEMS[t];
    if (bare && item) return { type: 'auditItem', item };
    switch (t) {
      case 'Media':
        return this.media();
      case 'Modem':
        return this.modem();
      case 'Mux':
        return this.mux();
      case 'Events':
        return this.events();
      case 'Signals':
        return this.signals();
      case 'DigitMap':
        return this.digitMapDescriptor();
      case 'ObservedEvents':
        return this.observedEvents();
      case 'EventBuffer':
        return this.eventBuffer();
      case 'Stats':
        return this.statistics();
      case 'Packages':
        return this.packages();
      case 'Error':
        return this.errorDescriptorBody();
      default:
        return this.sc.fail('audit return parameter expected', at);
    }
  }

  /** mediaDescriptor = MediaToken LBRKT mediaParm *(COMMA mediaParm) RBRKT; mediaParm = streamParm / streamDescriptor / terminationStateDescriptor */
  private media(): MediaDescriptor {
    const streams: StreamDescriptor[] = [];
    let implicit: { localControl?: LocalControl; local?: string; remote?: string } | undefined;
    let termState: TerminationState | undefined;
    this.list(() => {
      const at = this.sc.pos;
      const t = this.tok('media parameter');
      if (t === 'Stream') {
        // streamDescriptor = StreamToken EQUAL StreamID LBRKT streamParm *(COMMA streamParm) RBRKT
        this.equal();
        const id = this.uint16('StreamID');
        const parms: { localControl?: LocalControl; local?: string; remote?: string } = {};
        this.list(() => {
          const a = this.sc.pos;
          this.streamParm(this.tok('stream parameter'), parms, a);
        }, 'Stream');
        streams.push({ id, ...parms });
      } else if (t === 'TerminationState') {
        if (termState) this.sc.fail('TerminationState twice', at);
        termState = this.terminationState();
      } else {
        if (!implicit) {
          implicit = {};
          streams.push(implicit);
        }
        this.streamParm(t, implicit, at);
      }
    }, 'Media');
    return { type: 'media', ...(termState ? { termState } : {}), streams };
  }

  /** streamParm = localDescriptor / remoteDescriptor / localControlDescriptor */
  private streamParm(t: Token | undefined, into: { localControl?: LocalControl; local?: string; remote?: string }, at: number): void {
    if (t === 'Local' || t === 'Remote') {
      const key = t === 'Local' ? 'local' : 'remote';
      if (into[key] !== undefined) this.sc.fail(`${t} twice in a stream`, at);
      // localDescriptor = LocalToken LBRKT octetString RBRKT
      this.sc.lwsp();
      if (this.sc.peek() !== C.LBRKT) this.sc.fail('"{" expected');
      this.sc.pos++;
      into[key] = this.sc.octets();
      return;
    }
    if (t === 'LocalControl') {
      if (into.localControl) this.sc.fail('LocalControl twice in a stream', at);
      into.localControl = this.localControl();
      return;
    }
    this.sc.fail('Local, Remote, LocalControl, Stream or TerminationState expected', at);
  }

  /** localControlDescriptor = LocalControlToken LBRKT localParm *(COMMA localParm) RBRKT */
  private localControl(): LocalControl {
    const lc: { mode?: StreamMode; reserveValue?: boolean; reserveGroup?: boolean; props?: PropertyParm[] } = {};
    this.list(() => {
      this.sc.lwsp();
      const at = this.sc.pos;
      const w = this.sc.word('localParm');
      const t = tokenOf(w);
      if (t === 'Mode') {
        if (lc.mode) this.sc.fail('Mode twice', at);
        this.equal();
        const m = this.sc.pos;
        const mode = STREAM_MODES[this.tok('streamMode') as Token];
        if (!mode) this.sc.fail('SendOnly, ReceiveOnly, SendReceive, Inactive or Loopback expected', m);
        lc.mode = mode;
      } else if (t === 'ReservedValue' || t === 'ReservedGroup') {
        const key = t === 'ReservedValue' ? 'reserveValue' : 'reserveGroup';
        if (lc[key] !== undefined) this.sc.fail(`${t} twice`, at);
        this.equal();
        lc[key] = this.onOff();
      } else {
        this.sc.pos = at;
        (lc.props ??= []).push(this.propertyParm());
      }
    }, 'LocalControl');
    return lc;
  }

  private onOff(): boolean {
    const at = this.sc.pos;
    const t = this.tok('ON or OFF');
    if (t === 'On') return true;
    if (t === 'Off') return false;
    return this.sc.fail('ON or OFF expected', at);
  }

  /** terminationStateDescriptor = TerminationStateToken LBRKT terminationStateParm *(COMMA terminationStateParm) RBRKT */
  private terminationState(): TerminationState {
    const ts: { serviceState?: TerminationState['serviceState']; eventBufferControl?: 'off' | 'lockStep'; props?: PropertyParm[] } = {};
    this.list(() => {
      this.sc.lwsp();
      const at = this.sc.pos;
      const t = tokenOf(this.sc.word('terminationStateParm'));
      if (t === 'ServiceStates') {
        if (ts.serviceState) this.sc.fail('ServiceStates twice', at);
        this.equal();
        const v = this.sc.pos;
        const s = this.tok('serviceState');
        ts.serviceState = s === 'Test' ? 'test' : s === 'OutOfSvc' ? 'outOfService' : s === 'InSvc' ? 'inService' : this.sc.fail('Test, OutOfService or InService expected', v);
      } else if (t === 'Buffer') {
        if (ts.eventBufferControl) this.sc.fail('Buffer twice', at);
        this.equal();
        const v = this.sc.pos;
        const s = this.tok('eventBufferControl');
        ts.eventBufferControl = s === 'Off' ? 'off' : s === 'LockStep' ? 'lockStep' : this.sc.fail('OFF or LockStep expected', v);
      } else {
        this.sc.pos = at;
        (ts.props ??= []).push(this.propertyParm());
      }
    }, 'TerminationState');
    return ts;
  }

  /** propertyParm = pkgdName parmValue */
  private propertyParm(): PropertyParm {
    const name = this.name(PKGD_RE, 'property name');
    return { name, value: this.parmValue() };
  }

  /**
   * parmValue = (EQUAL alternativeValue) / (INEQUAL VALUE)
   * alternativeValue = VALUE / LSBRKT VALUE *(COMMA VALUE) RSBRKT / LBRKT VALUE *(COMMA VALUE) RBRKT / LSBRKT VALUE COLON VALUE RSBRKT
   */
  private parmValue(): ParmValue {
    const sc = this.sc;
    sc.lwsp();
    const c = sc.peek();
    if (c === C.GT || c === C.LT || c === C.HASH) {
      sc.pos++;
      sc.lwsp();
      const value = sc.value('VALUE');
      return { kind: c === C.GT ? 'greater' : c === C.LT ? 'less' : 'notEqual', value };
    }
    this.equal();
    const d = sc.peek();
    if (d === C.LSBRKT) {
      sc.pos++;
      sc.lwsp();
      const first = sc.value('VALUE');
      if (sc.punct(C.COLON)) {
        const high = sc.value('VALUE');
        sc.expect(C.RSBRKT, '"]"');
        return { kind: 'range', low: first, high };
      }
      const values = [first];
      while (sc.punct(C.COMMA)) {
        if (values.length >= LIMITS.maxListItems) sc.fail('too many values');
        values.push(sc.value('VALUE'));
      }
      sc.expect(C.RSBRKT, '"]"');
      return { kind: 'sublist', values };
    }
    if (d === C.LBRKT) {
      const values = this.list(() => {
        sc.lwsp();
        return sc.value('VALUE');
      }, 'alternatives');
      return { kind: 'alternatives', values };
    }
    return { kind: 'equal', value: sc.value('VALUE') };
  }

  /** modemDescriptor = ModemToken ((EQUAL modemType) / (LSBRKT modemType *(COMMA modemType) RSBRKT)) [LBRKT propertyParm *(COMMA propertyParm) RBRKT] */
  private modem(): Descriptor {
    const sc = this.sc;
    const modems: string[] = [];
    const modemType = (): string => {
      sc.lwsp();
      const at = sc.pos;
      const w = sc.word('modemType');
      const known = MODEM_TYPES[tokenOf(w) as Token];
      if (known) return known;
      if (EXTENSION_RE.test(w)) return w;
      return sc.fail('unknown modem type', at);
    };
    if (sc.punct(C.LSBRKT)) {
      do {
        if (modems.length >= LIMITS.maxListItems) sc.fail('too many modem types');
        modems.push(modemType());
      } while (sc.punct(C.COMMA));
      sc.expect(C.RSBRKT, '"]"');
    } else {
      this.equal();
      modems.push(modemType());
    }
    const props = sc.peekAfterLwsp() === C.LBRKT ? this.list(() => this.propertyParm(), 'Modem') : undefined;
    return { type: 'modem', modems, ...(props ? { props } : {}) };
  }

  /** muxDescriptor = MuxToken EQUAL MuxType terminationIDList */
  private mux(): Descriptor {
    this.equal();
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('MuxType');
    const muxType = MUX_TYPES[tokenOf(w) as Token] ?? (EXTENSION_RE.test(w) ? w : this.sc.fail('unknown MuxType', at));
    const terminations = this.list(() => this.terminationId(), 'terminationIDList');
    return { type: 'mux', muxType, terminations };
  }

  /** eventsDescriptor = EventsToken [EQUAL RequestID LBRKT requestedEvent *(COMMA requestedEvent) RBRKT] */
  private events(): Descriptor {
    if (this.sc.peekAfterLwsp() !== C.EQUAL) return { type: 'events', events: [] };
    this.equal();
    const requestId = this.requestId();
    const events = this.list(() => this.requestedEvent(false), 'Events');
    return { type: 'events', requestId, events };
  }

  /**
   * requestedEvent = pkgdName [LBRKT eventParameter *(COMMA eventParameter) RBRKT]
   * secondRequestedEvent = pkgdName [LBRKT secondEventParameter *(COMMA secondEventParameter) RBRKT]
   */
  private requestedEvent(second: boolean): RequestedEvent {
    const name = this.name(PKGD_RE, 'event name');
    const params = this.sc.peekAfterLwsp() === C.LBRKT ? this.list(() => this.eventParameter(second), 'event parameters') : [];
    return { name, params };
  }

  /**
   * eventParameter = embedWithSig / embedNoSig / KeepActiveToken / eventDM / eventStream / eventOther
   * secondEventParameter = embedSig / KeepActiveToken / eventDM / eventStream / eventOther
   */
  private eventParameter(second: boolean): EventParameter {
    const sc = this.sc;
    sc.lwsp();
    const at = sc.pos;
    const w = sc.word('event parameter');
    const t = tokenOf(w);
    if (t === 'KeepActive') return { kind: 'keepActive' };
    if (t === 'Stream' && sc.peekAfterLwsp() === C.EQUAL) {
      this.equal();
      return { kind: 'stream', id: this.uint16('StreamID') };
    }
    if (t === 'DigitMap' && sc.peekAfterLwsp() === C.EQUAL) {
      // eventDM = DigitMapToken EQUAL ((digitMapName) / (LBRKT digitMapValue RBRKT))
      this.equal();
      if (sc.peekAfterLwsp() === C.LBRKT) {
        this.lbrkt();
        const value = this.digitMapValue();
        this.rbrkt();
        return { kind: 'digitMap', value };
      }
      return { kind: 'digitMap', name: this.name(NAME_RE, 'digitMapName') };
    }
    if (t === 'Embed' && sc.peekAfterLwsp() === C.LBRKT) {
      // embedWithSig = EmbedToken LBRKT signalsDescriptor [COMMA embedFirst] RBRKT; embedNoSig = EmbedToken LBRKT embedFirst RBRKT
      this.lbrkt();
      let signals: SignalsDescriptor | undefined;
      let events: EmbeddedEvents | undefined;
      const a = sc.pos;
      const first = this.tok('Signals or Events');
      if (first === 'Signals') {
        signals = this.signals();
        if (!second && sc.punct(C.COMMA)) {
          const b = sc.pos;
          if (this.tok('Events') !== 'Events') sc.fail('Events expected', b);
          events = this.embeddedEvents();
        }
      } else if (first === 'Events' && !second) events = this.embeddedEvents();
      else sc.fail(second ? 'Signals expected' : 'Signals or Events expected', a);
      this.rbrkt();
      return { kind: 'embed', ...(signals ? { signals } : {}), ...(events ? { events } : {}) };
    }
    // eventOther = eventParameterName parmValue
    if (!NAME_RE.test(w)) sc.fail('malformed event parameter name', at);
    return { kind: 'other', name: w, value: this.parmValue() };
  }

  /** embedFirst = EventsToken [EQUAL RequestID LBRKT secondRequestedEvent *(COMMA secondRequestedEvent) RBRKT] */
  private embeddedEvents(): EmbeddedEvents {
    if (this.sc.peekAfterLwsp() !== C.EQUAL) return { events: [] };
    this.equal();
    const requestId = this.requestId();
    const events = this.list(() => this.requestedEvent(true), 'embedded Events');
    return { requestId, events };
  }

  /** signalsDescriptor = SignalsToken LBRKT [signalParm *(COMMA signalParm)] RBRKT */
  private signals(): SignalsDescriptor {
    const signals = this.list((): SignalParm => {
      this.sc.lwsp();
      const at = this.sc.pos;
      const w = this.sc.word('signal');
      if (tokenOf(w) === 'SignalList' && this.sc.peekAfterLwsp() === C.EQUAL) {
        // signalList = SignalListToken EQUAL signalListId LBRKT signalListParm *(COMMA signalListParm) RBRKT
        this.equal();
        const id = this.uint16('signalListId');
        const list = this.list(() => this.signalRequest(this.name(PKGD_RE, 'signal name')), 'SignalList');
        return { kind: 'list', id, signals: list };
      }
      if (!PKGD_RE.test(w)) this.sc.fail('malformed signal name', at);
      return this.signalRequest(w);
    }, 'Signals', true);
    return { type: 'signals', signals };
  }

  /** signalRequest = signalName [LBRKT sigParameter *(COMMA sigParameter) RBRKT] */
  private signalRequest(name: string): SignalRequest {
    const params = this.sc.peekAfterLwsp() === C.LBRKT ? this.list(() => this.sigParameter(), 'signal parameters') : [];
    return { kind: 'signal', name, params };
  }

  /** sigParameter = sigStream / sigSignalType / sigDuration / sigOther / notifyCompletion / KeepActiveToken */
  private sigParameter(): SigParameter {
    const sc = this.sc;
    sc.lwsp();
    const at = sc.pos;
    const w = sc.word('signal parameter');
    const t = tokenOf(w);
    if (t === 'KeepActive') return { kind: 'keepActive' };
    if (sc.peekAfterLwsp() === C.EQUAL) {
      if (t === 'Stream') {
        this.equal();
        return { kind: 'stream', id: this.uint16('StreamID') };
      }
      if (t === 'SignalType') {
        this.equal();
        const v = sc.pos;
        const st = SIGNAL_TYPES[this.tok('signalType') as Token];
        if (!st) return sc.fail('OnOff, TimeOut or Brief expected', v);
        return { kind: 'signalType', value: st };
      }
      if (t === 'Duration') {
        this.equal();
        return { kind: 'duration', value: this.uint16('sigDuration') };
      }
      if (t === 'NotifyCompletion') {
        // notifyCompletion = NotifyCompletionToken EQUAL (LBRKT notificationReason *(COMMA notificationReason) RBRKT)
        this.equal();
        const reasons = this.list(() => {
          const a = sc.pos;
          const r = NOTIFICATION_REASONS[this.tok('notificationReason') as Token];
          return r ?? sc.fail('TimeOut, IntByEvent, IntBySigDescr or OtherReason expected', a);
        }, 'NotifyCompletion');
        return { kind: 'notifyCompletion', reasons };
      }
    }
    if (!NAME_RE.test(w)) sc.fail('malformed signal parameter name', at);
    return { kind: 'other', name: w, value: this.parmValue() };
  }

  /** digitMapDescriptor = DigitMapToken EQUAL ((LBRKT digitMapValue RBRKT) / (digitMapName [LBRKT digitMapValue RBRKT])) */
  private digitMapDescriptor(): Descriptor {
    this.equal();
    let name: string | undefined;
    if (this.sc.peekAfterLwsp() !== C.LBRKT) {
      name = this.name(NAME_RE, 'digitMapName');
      if (this.sc.peekAfterLwsp() !== C.LBRKT) return { type: 'digitMap', name };
    }
    this.lbrkt();
    const value = this.digitMapValue();
    this.rbrkt();
    return { type: 'digitMap', ...(name !== undefined ? { name } : {}), value };
  }

  /** digitMapValue = ["T" COLON Timer COMMA] ["S" COLON Timer COMMA] ["L" COLON Timer COMMA] digitMap */
  private digitMapValue(): DigitMapValue {
    const at = this.sc.pos;
    let raw = this.sc.until(C.RBRKT, 'digit map', LIMITS.maxValueLength);
    const v: { startTimer?: number; shortTimer?: number; longTimer?: number } = {};
    const keys = [
      ['T', 'startTimer'],
      ['S', 'shortTimer'],
      ['L', 'longTimer'],
    ] as const;
    for (const [letter, key] of keys) {
      const m = new RegExp(`^[ \\t\\r\\n]*${letter}[ \\t\\r\\n]*:[ \\t\\r\\n]*([0-9]{1,2})[ \\t\\r\\n]*,`, 'i').exec(raw);
      if (m) {
        v[key] = Number(m[1]);
        raw = raw.slice(m[0].length);
      }
    }
    const body = normalizeDigitMap(raw);
    if (body === undefined) this.sc.fail('malformed digit map', at);
    return { ...v, body };
  }

  /** eventBufferDescriptor = EventBufferToken [LBRKT eventSpec *(COMMA eventSpec) RBRKT] */
  private eventBuffer(): Descriptor {
    if (this.sc.peekAfterLwsp() !== C.LBRKT) return { type: 'eventBuffer', events: [] };
    const events = this.list((): EventSpec => {
      // eventSpec = pkgdName [LBRKT eventSpecParameter *(COMMA eventSpecParameter) RBRKT]
      const name = this.name(PKGD_RE, 'event name');
      const params = this.sc.peekAfterLwsp() === C.LBRKT ? this.list(() => this.observedEventParameter(), 'event parameters') : [];
      return { name, params };
    }, 'EventBuffer');
    return { type: 'eventBuffer', events };
  }

  /** auditDescriptor = AuditToken LBRKT [auditItem *(COMMA auditItem)] RBRKT */
  private auditDescriptor(): AuditItem[] {
    this.expectTok('Audit', 'Audit');
    return this.auditItems();
  }

  private auditItems(): AuditItem[] {
    const seen = new Set<AuditItem>();
    return this.list(() => {
      const at = this.sc.pos;
      const item = AUDIT_ITEMS[this.tok('auditItem') as Token];
      if (!item) return this.sc.fail('audit item expected', at);
      if (seen.has(item)) this.sc.fail('audit item twice', at);
      seen.add(item);
      return item;
    }, 'Audit', true);
  }

  /** observedEventsDescriptor = ObservedEventsToken EQUAL RequestID LBRKT observedEvent *(COMMA observedEvent) RBRKT */
  private observedEvents(): ObservedEventsDescriptor {
    this.equal();
    const requestId = this.requestId();
    const events = this.list((): ObservedEvent => {
      // observedEvent = [TimeStamp LWSP COLON] LWSP pkgdName [LBRKT observedEventParameter *(COMMA observedEventParameter) RBRKT]
      const sc = this.sc;
      sc.lwsp();
      const at = sc.pos;
      let w = sc.word('observed event');
      let timestamp: string | undefined;
      if (sc.peekAfterLwsp() === C.COLON) {
        if (!TIMESTAMP_RE.test(w)) sc.fail('malformed TimeStamp', at);
        timestamp = w;
        sc.lwsp();
        sc.pos++;
        sc.lwsp();
        const b = sc.pos;
        w = sc.word('event name');
        if (!PKGD_RE.test(w)) sc.fail('malformed event name', b);
      } else if (!PKGD_RE.test(w)) sc.fail('malformed event name', at);
      const params = sc.peekAfterLwsp() === C.LBRKT ? this.list(() => this.observedEventParameter(), 'event parameters') : [];
      return { ...(timestamp ? { timestamp } : {}), name: w, params };
    }, 'ObservedEvents');
    return { type: 'observedEvents', requestId, events };
  }

  /** observedEventParameter = eventStream / eventOther */
  private observedEventParameter(): ObservedEventParameter {
    const sc = this.sc;
    sc.lwsp();
    const at = sc.pos;
    const w = sc.word('event parameter');
    if (tokenOf(w) === 'Stream' && sc.peekAfterLwsp() === C.EQUAL) {
      this.equal();
      return { kind: 'stream', id: this.uint16('StreamID') };
    }
    if (!NAME_RE.test(w)) sc.fail('malformed event parameter name', at);
    return { kind: 'other', name: w, value: this.parmValue() };
  }

  /** statisticsDescriptor = StatsToken LBRKT statisticsParameter *(COMMA statisticsParameter) RBRKT; statisticsParameter = pkgdName [EQUAL VALUE] */
  private statistics(): Descriptor {
    const stats = this.list(() => {
      const name = this.name(PKGD_RE, 'statistic name');
      if (!this.sc.punct(C.EQUAL)) return { name };
      return { name, value: this.sc.value('VALUE') };
    }, 'Statistics');
    return { type: 'statistics', stats };
  }

  /** packagesDescriptor = PackagesToken LBRKT packagesItem *(COMMA packagesItem) RBRKT; packagesItem = NAME "-" UINT16 */
  private packages(): Descriptor {
    const packages = this.list(() => {
      this.sc.lwsp();
      const at = this.sc.pos;
      const w = this.sc.word('packagesItem');
      const m = /^([A-Za-z][A-Za-z0-9_]{0,63})-([0-9]{1,5})$/.exec(w);
      if (!m || Number(m[2]) > MAX_UINT16) return this.sc.fail('malformed packagesItem (NAME-version expected)', at);
      return { name: m[1], version: Number(m[2]) };
    }, 'Packages');
    return { type: 'packages', packages };
  }

  /** errorDescriptor = ErrorToken EQUAL ErrorCode LBRKT [quotedString] RBRKT */
  private errorDescriptor(): ErrorDescriptor {
    this.expectTok('Error', 'Error');
    return this.errorDescriptorBody();
  }

  private errorDescriptorBody(): ErrorDescriptor {
    this.equal();
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('ErrorCode');
    if (!/^[0-9]{1,4}$/.test(w)) this.sc.fail('malformed ErrorCode (1 to 4 digits)', at);
    this.lbrkt();
    let text: string | undefined;
    if (this.sc.peek() === C.DQUOTE) text = this.sc.quoted();
    this.rbrkt();
    return { type: 'error', code: Number(w), ...(text !== undefined ? { text } : {}) };
  }
}
