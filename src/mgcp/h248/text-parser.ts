/**
 * H.248.1 v1 text grammar (RFC 3525 Annex B.2) as a recursive-descent parser: the message,
 * its transactions, actions, commands and ServiceChange parameters, over the descriptor rules
 * of {@link DescriptorReader}. Pretty and compact token forms alike, case-insensitive. Every
 * list is bounded and the grammar nests a fixed number of levels, so hostile input costs
 * linear time. Rule names in comments are the ABNF's.
 */
import { H248_SEGMENTATION_VERSION, LIMITS, MAX_SEGMENT_NUMBER, MAX_UINT32, tokenOf, type Token } from './constants.js';
import type {
  ActionReply,
  ActionRequest,
  AuditReply,
  CommandReply,
  CommandRequest,
  ContextAuditItem,
  ErrorDescriptor,
  Extension,
  Message,
  Mid,
  SegmentInfo,
  ServiceChangeMethod,
  ServiceChangeParams,
  ServiceChangeProfile,
  ServiceChangeReplyParams,
  TopologyTriple,
  Transaction,
  TransactionReply,
  TransactionRequest,
} from './messages.js';
import { DescriptorReader } from './text-descriptors.js';
import { C, EXTENSION_RE, HEX_AUTH_DATA_RE, HEX_AUTH_RE, TIMESTAMP_RE } from './text-scanner.js';

const SC_METHODS: Partial<Record<Token, ServiceChangeMethod>> = {
  Failover: 'failover',
  Forced: 'forced',
  Graceful: 'graceful',
  Restart: 'restart',
  Disconnected: 'disconnected',
  HandOff: 'handOff',
};


/** Where a parse stopped, for an error value the receiver can answer. */
export interface ParseContext {
  mid?: Mid;
  version?: number;
  transactionId?: number;
  inRequest?: boolean;
  transactions: Transaction[];
}

export class TextParser extends DescriptorReader {
  constructor(
    text: string,
    readonly ctx: ParseContext,
  ) {
    super(text);
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
      case 'MessageSegment': {
        // segmentReply = MessageSegmentToken EQUAL TransactionID SLASH SegmentNumber [SLASH SegmentationCompleteToken]
        this.equal();
        const { id, segment } = this.segmentedId();
        if (!segment) return this.sc.fail('SegmentReply without a segment number', at);
        return { type: 'segmentReply', id, segment };
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
        return this.sc.fail('Transaction, Reply, Pending, TransactionResponseAck or Segment expected', at);
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
    const { id, segment } = this.segmentedId();
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
      return { type: 'reply', id, ...(immAckRequired ? { immAckRequired } : {}), ...(segment ? { segment } : {}), error, actions: [] };
    }
    const actions: ActionReply[] = [];
    do {
      if (actions.length >= LIMITS.maxListItems) this.sc.fail(`more than ${LIMITS.maxListItems} action replies`);
      actions.push(this.actionReply());
    } while (this.sc.punct(C.COMMA));
    this.rbrkt();
    return { type: 'reply', id, ...(immAckRequired ? { immAckRequired } : {}), ...(segment ? { segment } : {}), actions };
  }

  /**
   * TransactionID [SLASH SegmentNumber [SLASH SegmentationCompleteToken]] (v3, Annex B.2), written
   * without white space so it scans as one word; segments are refused in messages below version 3.
   */
  private segmentedId(): { id: number; segment?: SegmentInfo } {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('TransactionID');
    const m = /^([0-9]{1,10})(?:\/([0-9]{1,5})(?:\/([^/]+))?)?$/.exec(w);
    if (!m) return this.sc.fail('TransactionID: digits expected', at);
    const id = Number(m[1]);
    if (id > MAX_UINT32) this.sc.fail('TransactionID out of range', at);
    if (m[2] === undefined) return { id };
    if ((this.ctx.version ?? 0) < H248_SEGMENTATION_VERSION) this.sc.fail(`segment number in a version ${this.ctx.version ?? '?'} message (segmentation is version 3)`, at);
    const number = Number(m[2]);
    if (number > MAX_SEGMENT_NUMBER) this.sc.fail('SegmentNumber out of range', at);
    if (m[3] === undefined) return { id, segment: { number } };
    if (tokenOf(m[3]) !== 'SegmentationComplete') this.sc.fail('SegmentationComplete (END or &) expected', at);
    return { id, segment: { number, complete: true } };
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

}
