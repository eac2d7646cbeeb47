/**
 * Messages → H.248.1 v1 text (RFC 3525 Annex B.2), in the pretty form (long tokens, one item a
 * line, tab indentation) or the compact form (short tokens, no optional white space). Every
 * value is checked against the grammar as it is written, so what this writes the parser reads
 * back to the same value; a value the grammar cannot carry throws {@link EncodeFailure}.
 */
import { H248_SEGMENTATION_VERSION, LIMITS, MAX_SEGMENT_NUMBER, MAX_UINT16, MAX_UINT32, TOKENS, tokenOf, type Token } from './constants.js';
import type {
  ActionReply,
  ActionRequest,
  AuditItem,
  CommandReply,
  CommandRequest,
  ContextId,
  ContextProperties,
  Descriptor,
  DigitMapValue,
  EmbeddedEvents,
  ErrorDescriptor,
  EventParameter,
  LocalControl,
  MediaDescriptor,
  Message,
  Mid,
  ObservedEventParameter,
  ObservedEventsDescriptor,
  ParmValue,
  PropertyParm,
  RequestedEvent,
  RequestId,
  SegmentInfo,
  ServiceChangeParams,
  ServiceChangeReplyParams,
  SigParameter,
  SignalRequest,
  SignalsDescriptor,
  StreamDescriptor,
  TerminationState,
  Transaction,
} from './messages.js';
import { EXTENSION_RE, isIPv4, isIPv6Address, isQuotable, isTerminationId, NAME_RE, normalizeDigitMap, PKGD_RE, SAFE, TIMESTAMP_RE } from './text-scanner.js';

export class EncodeFailure {
  constructor(readonly reason: string) {}
}

function fail(reason: string): never {
  throw new EncodeFailure(reason);
}

const STREAM_MODE_TOKENS: Record<string, Token> = {
  sendOnly: 'Sendonly',
  recvOnly: 'Recvonly',
  sendRecv: 'Sendrecv',
  inactive: 'Inactive',
  loopback: 'Loopback',
};

const AUDIT_ITEM_TOKENS: Record<AuditItem, Token> = {
  mux: 'Mux',
  modem: 'Modem',
  media: 'Media',
  signals: 'Signals',
  eventBuffer: 'EventBuffer',
  digitMap: 'DigitMap',
  statistics: 'Stats',
  events: 'Events',
  observedEvents: 'ObservedEvents',
  packages: 'Packages',
};

const METHOD_TOKENS: Record<string, Token> = {
  failover: 'Failover',
  forced: 'Forced',
  graceful: 'Graceful',
  restart: 'Restart',
  disconnected: 'Disconnected',
  handOff: 'HandOff',
};

const MODEM_TOKENS: Record<string, Token> = {
  v32b: 'V32bis',
  v22b: 'V22bis',
  v18: 'V18',
  v22: 'V22',
  v32: 'V32',
  v34: 'V34',
  v90: 'V90',
  v91: 'V91',
  synchisdn: 'SynchISDN',
};

const MUX_TOKENS: Record<string, Token> = { h221: 'H221', h223: 'H223', h226: 'H226', v76: 'V76' };

const REASON_TOKENS: Record<string, Token> = {
  timeOut: 'TimeOut',
  interruptByEvent: 'InterruptByEvent',
  interruptByNewSignals: 'InterruptByNewSignalsDescr',
  otherReason: 'OtherReason',
};

const SIGNAL_TYPE_TOKENS: Record<string, Token> = { onOff: 'OnOff', timeOut: 'TimeOut', brief: 'Brief' };

/** Parameter names the parser would read as a token in that position (so an "other" parameter cannot use them). */
const EVENT_PARAM_TOKENS = new Set<Token>(['KeepActive', 'Stream', 'DigitMap', 'Embed']);
const SIG_PARAM_TOKENS = new Set<Token>(['KeepActive', 'Stream', 'SignalType', 'Duration', 'NotifyCompletion']);
const OBSERVED_PARAM_TOKENS = new Set<Token>(['Stream']);

const TABS = Array.from({ length: 16 }, (_, i) => '\t'.repeat(i));
const tabs = (d: number): string => TABS[d] ?? '\t'.repeat(d);
/** Item separators of the pretty form by depth: ",\n" and the indentation. */
const SEPS = TABS.map((t) => `,\n${t}`);

function list<T>(items: readonly T[] | undefined, what: string, allowEmpty = false): readonly T[] {
  if (!items || (!allowEmpty && items.length === 0)) fail(`${what} needs at least one item`);
  if (items.length > LIMITS.maxListItems) fail(`more than ${LIMITS.maxListItems} items in ${what}`);
  return items;
}

function uint(n: number, max: number, what: string): string {
  if (!Number.isInteger(n) || n < 0 || n > max) fail(`${what} out of range: ${n}`);
  return String(n);
}

function isSafeWord(s: string): boolean {
  if (s.length === 0 || s.length > LIMITS.maxValueLength) return false;
  for (let i = 0; i < s.length; i++) if (SAFE[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** VALUE = quotedString / 1*(SafeChar): bare when it can be, quoted otherwise. */
function value(v: string): string {
  if (typeof v !== 'string') fail('value is not a string');
  if (isSafeWord(v)) return v;
  if (v.length > LIMITS.maxValueLength) fail('value too long');
  for (let i = 0; i < v.length; i++) if (!isQuotable(v.charCodeAt(i))) fail(`value ${JSON.stringify(v.slice(0, 20))} holds a character no quoted string may carry`);
  return `"${v}"`;
}

function checked(s: string, re: RegExp, what: string): string {
  if (typeof s !== 'string' || !re.test(s)) fail(`malformed ${what}: ${JSON.stringify(String(s).slice(0, 40))}`);
  return s;
}

function terminationId(s: string): string {
  if (typeof s !== 'string' || !isTerminationId(s)) fail(`malformed TerminationID: ${JSON.stringify(String(s).slice(0, 40))}`);
  return s;
}

function contextId(c: ContextId): string {
  if (c === '-' || c === '$' || c === '*') return c;
  return uint(c, MAX_UINT32, 'ContextID');
}

function requestId(r: RequestId): string {
  return r === '*' ? r : uint(r, MAX_UINT32, 'RequestID');
}

export function midText(mid: Mid): string {
  switch (mid.kind) {
    case 'ip4':
    case 'ip6': {
      if (mid.kind === 'ip4' ? !isIPv4(mid.address) : !isIPv6Address(mid.address)) fail(`malformed ${mid.kind} address in mId`);
      return `[${mid.address}]${mid.port !== undefined ? `:${uint(mid.port, MAX_UINT16, 'portNumber')}` : ''}`;
    }
    case 'domain':
      checked(mid.name, /^[A-Za-z0-9][A-Za-z0-9\-.]{0,63}$/, 'domainName');
      return `<${mid.name}>${mid.port !== undefined ? `:${uint(mid.port, MAX_UINT16, 'portNumber')}` : ''}`;
    case 'device':
      if (!isTerminationId(mid.name) || mid.name === '$' || mid.name === '*' || tokenOf(mid.name) === 'Mtp') fail('malformed deviceName');
      return mid.name;
    case 'mtp':
      return `MTP{${checked(mid.address, /^[0-9A-Fa-f]{4,8}$/, 'MTP address')}}`;
    default:
      return fail('unknown mId kind');
  }
}

/** Octet strings escape "}" as "\}" (§B.2 nonEscapeChar); a NUL or a character beyond latin1 cannot be sent. */
function octets(s: string): string {
  if (typeof s !== 'string') fail('session description is not a string');
  if (s.length > LIMITS.maxMessageBytes) fail('session description too long');
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0xff) fail('session description holds NUL or a character beyond latin1');
  }
  return s.includes('}') ? s.replaceAll('}', '\\}') : s;
}

export class TextWriter {
  /** Every token in this writer's form. */
  private readonly tk: Readonly<Record<Token, string>>;
  private readonly eq: string;

  constructor(readonly compact: boolean) {
    const ix = compact ? 1 : 0;
    this.tk = Object.fromEntries(Object.entries(TOKENS).map(([k, forms]) => [k, forms[ix]])) as Record<Token, string>;
    this.eq = compact ? '=' : ' = ';
  }

  private t(tok: Token): string {
    return this.tk[tok];
  }

  /** `head { items }`, items already rendered at depth d + 1. */
  private block(head: string, items: readonly string[], d: number): string {
    if (this.compact) return `${head}{${items.join(',')}}`;
    if (items.length === 0) return `${head} { }`;
    const pad = tabs(d + 1);
    let out = `${head} {\n${pad}${items[0]}`;
    const sep = SEPS[d + 1] ?? `,\n${pad}`;
    for (let i = 1; i < items.length; i++) out += sep + items[i];
    return `${out}\n${tabs(d)}}`;
  }

  message(m: Message): string {
    const head = `${this.auth(m)}${this.t('Megacop')}/${uint(m.version, 99, 'version')} ${midText(m.mid)}\n`;
    if (m.error) {
      if (m.transactions.length > 0) fail('a message carries an error descriptor or transactions, not both');
      return head + this.error(m.error);
    }
    if (m.version < H248_SEGMENTATION_VERSION && m.transactions.some((t) => t.type === 'segmentReply' || (t.type === 'reply' && t.segment)))
      fail('segments and SegmentReply need a version 3 message');
    const ts = list(m.transactions, 'message').map((t) => this.transaction(t));
    return head + ts.join(this.compact ? '' : '\n');
  }

  private auth(m: Message): string {
    if (!m.auth) return '';
    const { spi, seq, data } = m.auth;
    checked(spi, /^0[xX][0-9A-Fa-f]{8}$/, 'SecurityParmIndex');
    checked(seq, /^0[xX][0-9A-Fa-f]{8}$/, 'SequenceNum');
    checked(data, /^0[xX][0-9A-Fa-f]{24,64}$/, 'AuthData');
    return `${this.t('Auth')}${this.eq}${spi}:${seq}:${data}\n`;
  }

  transaction(tr: Transaction): string {
    switch (tr.type) {
      case 'request':
        return this.block(
          `${this.t('Trans')}${this.eq}${uint(tr.id, MAX_UINT32, 'TransactionID')}`,
          list(tr.actions, 'transaction').map((a) => this.actionRequest(a, 1)),
          0,
        );
      case 'reply': {
        const items: string[] = [];
        if (tr.immAckRequired) items.push(this.t('ImmAckRequired'));
        if (tr.error) {
          if (tr.actions.length > 0) fail('a reply carries an error descriptor or action replies, not both');
          items.push(this.error(tr.error));
        } else for (const a of list(tr.actions, 'reply')) items.push(this.actionReply(a, 1));
        return this.block(`${this.t('Reply')}${this.eq}${this.segmentedId(tr.id, tr.segment)}`, items, 0);
      }
      case 'segmentReply':
        return `${this.t('MessageSegment')}${this.eq}${this.segmentedId(tr.id, tr.segment)}`;
      case 'pending':
        return this.compact
          ? `${this.t('Pending')}=${uint(tr.id, MAX_UINT32, 'TransactionID')}{}`
          : `${this.t('Pending')} = ${uint(tr.id, MAX_UINT32, 'TransactionID')} { }`;
      case 'ack':
        return this.block(
          this.t('ResponseAck'),
          list(tr.ranges, 'TransactionResponseAck').map((r) => {
            const first = uint(r.first, MAX_UINT32, 'transactionAck');
            if (r.last === undefined) return first;
            if (r.last < r.first) fail('transactionAck range ends before it starts');
            return `${first}-${uint(r.last, MAX_UINT32, 'transactionAck')}`;
          }),
          0,
        );
      default:
        return fail('unknown transaction type');
    }
  }

  /** TransactionID [SLASH SegmentNumber [SLASH SegmentationCompleteToken]] (v3). */
  private segmentedId(id: number, segment: SegmentInfo | undefined): string {
    const tid = uint(id, MAX_UINT32, 'TransactionID');
    if (!segment) return tid;
    const n = uint(segment.number, MAX_SEGMENT_NUMBER, 'SegmentNumber');
    return segment.complete ? `${tid}/${n}/${this.t('SegmentationComplete')}` : `${tid}/${n}`;
  }

  private contextProps(c: ContextProperties | undefined, d: number): string[] {
    if (!c) return [];
    const out: string[] = [];
    if (c.topology) {
      const triples = list(c.topology, 'Topology').map((tt) => {
        const dir = tt.direction === 'bothway' ? 'Bothway' : tt.direction === 'isolate' ? 'Isolate' : tt.direction === 'oneway' ? 'Oneway' : fail('bad topology direction');
        return `${terminationId(tt.from)},${this.compact ? '' : ' '}${terminationId(tt.to)},${this.compact ? '' : ' '}${this.t(dir)}`;
      });
      out.push(this.block(this.t('Topology'), triples, d));
    }
    if (c.priority !== undefined) out.push(`${this.t('Priority')}${this.eq}${uint(c.priority, MAX_UINT16, 'priority')}`);
    if (c.emergency) out.push(this.t('Emergency'));
    return out;
  }

  private actionRequest(a: ActionRequest, d: number): string {
    const items = this.contextProps(a.context, d + 1);
    if (a.contextAudit) {
      const props = list(a.contextAudit, 'ContextAudit').map((p) =>
        this.t(p === 'topology' ? 'Topology' : p === 'emergency' ? 'Emergency' : p === 'priority' ? 'Priority' : fail('bad context audit item')),
      );
      if (new Set(props).size !== props.length) fail('context audit item twice');
      items.push(this.block(this.t('ContextAudit'), props, d + 1));
    }
    list(a.commands, 'action', items.length > 0);
    for (const c of a.commands) items.push(this.commandRequest(c, d + 1));
    return this.block(`${this.t('Ctx')}${this.eq}${contextId(a.contextId)}`, items, d);
  }

  private actionReply(a: ActionReply, d: number): string {
    const items = this.contextProps(a.context, d + 1);
    for (const r of list(a.replies, 'action reply', true)) items.push(this.commandReply(r, d + 1));
    if (a.error) items.push(this.error(a.error));
    if (items.length === 0) fail('an action reply needs a command reply, a context property or an error');
    return this.block(`${this.t('Ctx')}${this.eq}${contextId(a.contextId)}`, items, d);
  }

  private commandRequest(c: CommandRequest, d: number): string {
    switch (c.command) {
      case 'add':
      case 'move':
      case 'modify': {
        const head = `${this.t(c.command === 'add' ? 'Add' : c.command === 'move' ? 'Move' : 'Modify')}${this.eq}${terminationId(c.terminationId)}`;
        if (list(c.descriptors, 'command', true).length === 0) return head;
        return this.block(head, c.descriptors.map((x) => this.ammParameter(x, d + 1)), d);
      }
      case 'subtract': {
        const head = `${this.t('Subtract')}${this.eq}${terminationId(c.terminationId)}`;
        if (!c.audit) return head;
        return this.block(head, [this.audit(c.audit, d + 1)], d);
      }
      case 'auditValue':
      case 'auditCapabilities':
        return this.block(
          `${this.t(c.command === 'auditValue' ? 'AuditValue' : 'AuditCap')}${this.eq}${terminationId(c.terminationId)}`,
          [this.audit(c.audit, d + 1)],
          d,
        );
      case 'notify': {
        const items = [this.observedEvents(c.observedEvents, d + 1)];
        if (c.error) items.push(this.error(c.error));
        return this.block(`${this.t('Notify')}${this.eq}${terminationId(c.terminationId)}`, items, d);
      }
      case 'serviceChange':
        return this.block(
          `${this.t('ServiceChange')}${this.eq}${terminationId(c.terminationId)}`,
          [this.serviceChangeParams(c.params, d + 1)],
          d,
        );
      default:
        return fail('unknown command');
    }
  }

  private commandReply(r: CommandReply, d: number): string {
    switch (r.command) {
      case 'add':
      case 'move':
      case 'modify':
      case 'subtract': {
        const tok: Token = r.command === 'add' ? 'Add' : r.command === 'move' ? 'Move' : r.command === 'modify' ? 'Modify' : 'Subtract';
        const head = `${this.t(tok)}${this.eq}${terminationId(r.terminationId)}`;
        if (!r.audit) return head;
        return this.block(head, this.auditReturn(r.audit, d + 1), d);
      }
      case 'auditValue':
      case 'auditCapabilities': {
        const tok = this.t(r.command === 'auditValue' ? 'AuditValue' : 'AuditCap');
        const forms = Number(r.terminationId !== undefined) + Number(r.contextTerminations !== undefined) + Number(r.contextError !== undefined);
        if (forms !== 1) fail('an audit reply carries exactly one of terminationId, contextTerminations, contextError');
        if (r.contextError) return this.block(`${tok}${this.eq}${this.t('Ctx')}`, [this.error(r.contextError)], d);
        if (r.contextTerminations) {
          const ids = list(r.contextTerminations, 'terminationIDList').map(terminationId);
          if (tokenOf(ids[0]) === 'Error') fail('a context audit listing a termination named like the Error token is ambiguous');
          return this.block(`${tok}${this.eq}${this.t('Ctx')}`, ids, d);
        }
        const id = terminationId(r.terminationId as string);
        if (tokenOf(id) === 'Ctx') fail(`an audited termination named ${id} reads as a context audit`);
        const head = `${tok}${this.eq}${id}`;
        if (!r.audit) return head;
        return this.block(head, this.auditReturn(r.audit, d + 1), d);
      }
      case 'notify': {
        const head = `${this.t('Notify')}${this.eq}${terminationId(r.terminationId)}`;
        return r.error ? this.block(head, [this.error(r.error)], d) : head;
      }
      case 'serviceChange': {
        const head = `${this.t('ServiceChange')}${this.eq}${terminationId(r.terminationId)}`;
        if (r.error && r.params) fail('a ServiceChange reply carries an error or parameters, not both');
        if (r.error) return this.block(head, [this.error(r.error)], d);
        if (r.params) return this.block(head, [this.serviceChangeReplyParams(r.params, d + 1)], d);
        return head;
      }
      default:
        return fail('unknown command reply');
    }
  }

  // ---------------------------------------------------------------- ServiceChange

  private serviceChangeParams(p: ServiceChangeParams, d: number): string {
    const items: string[] = [];
    if (p.method !== undefined) {
      const tok = METHOD_TOKENS[p.method];
      items.push(`${this.t('Method')}${this.eq}${tok ? this.t(tok) : checked(p.method, EXTENSION_RE, 'ServiceChange method')}`);
    }
    if (p.reason !== undefined) items.push(`${this.t('Reason')}${this.eq}${value(p.reason)}`);
    if (p.delay !== undefined) items.push(`${this.t('Delay')}${this.eq}${uint(p.delay, MAX_UINT32, 'delay')}`);
    items.push(...this.servChgCommon(p));
    for (const x of p.extensions ?? []) items.push(`${checked(x.name, EXTENSION_RE, 'extension name')}${this.parmValue(x.value)}`);
    if (items.length === 0) fail('Services needs at least one parameter');
    return this.block(this.t('Services'), items, d);
  }

  private serviceChangeReplyParams(p: ServiceChangeReplyParams, d: number): string {
    const items = this.servChgCommon(p);
    if (items.length === 0) fail('Services needs at least one parameter');
    return this.block(this.t('Services'), items, d);
  }

  private servChgCommon(p: ServiceChangeReplyParams): string[] {
    const items: string[] = [];
    if (p.address !== undefined)
      items.push(`${this.t('ServiceChangeAddress')}${this.eq}${typeof p.address === 'number' ? uint(p.address, MAX_UINT16, 'portNumber') : midText(p.address)}`);
    if (p.mgcId !== undefined) items.push(`${this.t('MgcId')}${this.eq}${midText(p.mgcId)}`);
    if (p.profile !== undefined)
      items.push(`${this.t('Profile')}${this.eq}${checked(p.profile.name, NAME_RE, 'profile name')}/${uint(p.profile.version, 99, 'profile version')}`);
    if (p.version !== undefined) items.push(`${this.t('Version')}${this.eq}${uint(p.version, 99, 'Version')}`);
    if (p.timestamp !== undefined) items.push(checked(p.timestamp, TIMESTAMP_RE, 'TimeStamp'));
    return items;
  }

  // ---------------------------------------------------------------- descriptors

  private ammParameter(x: Descriptor, d: number): string {
    switch (x.type) {
      case 'media':
      case 'modem':
      case 'mux':
      case 'events':
      case 'signals':
      case 'digitMap':
      case 'eventBuffer':
        return this.descriptor(x, d);
      case 'audit':
        return this.audit(x.items, d);
      default:
        return fail(`a ${x.type} descriptor is not allowed in Add/Move/Modify`);
    }
  }

  private auditReturn(xs: readonly Descriptor[], d: number): string[] {
    return list(xs, 'terminationAudit').map((x) => {
      if (x.type === 'audit') fail('an Audit descriptor is not a returned value');
      if (x.type === 'events' && x.requestId === undefined) fail('an empty Events descriptor among returned values reads as the audit item Events');
      if (x.type === 'eventBuffer' && x.events.length === 0)
        fail('an empty EventBuffer descriptor among returned values reads as the audit item EventBuffer');
      return this.descriptor(x, d);
    });
  }

  private descriptor(x: Descriptor, d: number): string {
    switch (x.type) {
      case 'media':
        return this.media(x, d);
      case 'modem': {
        const types = list(x.modems, 'Modem').map((m) => (MODEM_TOKENS[m] ? this.t(MODEM_TOKENS[m]) : checked(m, EXTENSION_RE, 'modem type')));
        const head = types.length === 1 ? `${this.t('Modem')}${this.eq}${types[0]}` : `${this.t('Modem')}${this.compact ? '' : ' '}[${types.join(',')}]`;
        return x.props ? this.block(head, list(x.props, 'Modem properties').map((p) => this.property(p)), d) : head;
      }
      case 'mux': {
        const mt = MUX_TOKENS[x.muxType] ? this.t(MUX_TOKENS[x.muxType]) : checked(x.muxType, EXTENSION_RE, 'MuxType');
        return this.block(`${this.t('Mux')}${this.eq}${mt}`, list(x.terminations, 'terminationIDList').map(terminationId), d);
      }
      case 'events':
        if (x.requestId === undefined) {
          if (x.events.length > 0) fail('requested events need a RequestID');
          return this.t('Events');
        }
        return this.block(
          `${this.t('Events')}${this.eq}${requestId(x.requestId)}`,
          list(x.events, 'Events').map((e) => this.requestedEvent(e, false, d + 1)),
          d,
        );
      case 'signals':
        return this.signals(x, d);
      case 'digitMap': {
        if (x.name === undefined && x.value === undefined) fail('a DigitMap descriptor needs a name or a value');
        const head = `${this.t('DigitMap')}${this.eq}${x.name !== undefined ? checked(x.name, NAME_RE, 'digitMapName') : ''}`;
        if (!x.value) return head;
        const v = this.digitMapValue(x.value);
        return this.compact || x.name === undefined ? `${head}{${v}}` : `${head} {${v}}`;
      }
      case 'eventBuffer':
        if (x.events.length === 0) return this.t('EventBuffer');
        return this.block(
          this.t('EventBuffer'),
          list(x.events, 'EventBuffer').map((e) => this.withParams(checked(e.name, PKGD_RE, 'event name'), e.params, (p) => this.observedParam(p), d + 1)),
          d,
        );
      case 'audit':
        return this.audit(x.items, d);
      case 'observedEvents':
        return this.observedEvents(x, d);
      case 'statistics':
        return this.block(
          this.t('Stats'),
          list(x.stats, 'Statistics').map((s) => `${checked(s.name, PKGD_RE, 'statistic name')}${s.value !== undefined ? `${this.eq}${value(s.value)}` : ''}`),
          d,
        );
      case 'packages':
        return this.block(
          this.t('Packages'),
          list(x.packages, 'Packages').map((p) => `${checked(p.name, NAME_RE, 'package name')}-${uint(p.version, MAX_UINT16, 'package version')}`),
          d,
        );
      case 'error':
        return this.error(x);
      case 'auditItem':
        return this.t(AUDIT_ITEM_TOKENS[x.item] ?? fail('unknown audit item'));
      default:
        return fail('unknown descriptor');
    }
  }

  private audit(items: readonly AuditItem[], d: number): string {
    const toks = list(items, 'Audit', true).map((i) => this.t(AUDIT_ITEM_TOKENS[i] ?? fail('unknown audit item')));
    if (new Set(items).size !== items.length) fail('audit item twice');
    return this.block(this.t('Audit'), toks, d);
  }

  private media(m: MediaDescriptor, d: number): string {
    const items: string[] = [];
    if (m.termState) items.push(this.termState(m.termState, d + 1));
    let implicit = 0;
    for (const s of list(m.streams, 'Media', m.termState !== undefined)) {
      if (s.id === undefined) {
        if (++implicit > 1) fail('only one stream may be written without an id');
        items.push(...this.streamParms(s, d + 1));
      } else items.push(this.block(`${this.t('Stream')}${this.eq}${uint(s.id, MAX_UINT16, 'StreamID')}`, this.streamParms(s, d + 2), d + 1));
    }
    return this.block(this.t('Media'), items, d);
  }

  private streamParms(s: StreamDescriptor, d: number): string[] {
    const out: string[] = [];
    if (s.localControl) out.push(this.localControl(s.localControl, d));
    if (s.local !== undefined) out.push(this.octetBlock('Local', s.local));
    if (s.remote !== undefined) out.push(this.octetBlock('Remote', s.remote));
    if (out.length === 0) fail('a stream needs LocalControl, Local or Remote');
    return out;
  }

  private octetBlock(tok: Token, sdp: string): string {
    const body = octets(sdp);
    // The closing brace starts its own line: what lies between the braces is handed to SDP as is.
    return this.compact ? `${this.t(tok)}{\n${body}\n}` : `${this.t(tok)} {\n${body}\n}`;
  }

  private localControl(lc: LocalControl, d: number): string {
    const items: string[] = [];
    if (lc.mode !== undefined) items.push(`${this.t('Mode')}${this.eq}${this.t(STREAM_MODE_TOKENS[lc.mode] ?? fail('unknown stream mode'))}`);
    if (lc.reserveValue !== undefined) items.push(`${this.t('ReservedValue')}${this.eq}${this.t(lc.reserveValue ? 'On' : 'Off')}`);
    if (lc.reserveGroup !== undefined) items.push(`${this.t('ReservedGroup')}${this.eq}${this.t(lc.reserveGroup ? 'On' : 'Off')}`);
    for (const p of lc.props ?? []) items.push(this.property(p));
    return this.block(this.t('LocalControl'), list(items, 'LocalControl'), d);
  }

  private termState(ts: TerminationState, d: number): string {
    const items: string[] = [];
    if (ts.serviceState !== undefined) {
      const s = ts.serviceState === 'test' ? 'Test' : ts.serviceState === 'outOfService' ? 'OutOfSvc' : ts.serviceState === 'inService' ? 'InSvc' : fail('bad service state');
      items.push(`${this.t('ServiceStates')}${this.eq}${this.t(s)}`);
    }
    if (ts.eventBufferControl !== undefined)
      items.push(`${this.t('Buffer')}${this.eq}${this.t(ts.eventBufferControl === 'off' ? 'Off' : ts.eventBufferControl === 'lockStep' ? 'LockStep' : fail('bad buffer control'))}`);
    for (const p of ts.props ?? []) items.push(this.property(p));
    return this.block(this.t('TerminationState'), list(items, 'TerminationState'), d);
  }

  private property(p: PropertyParm): string {
    return `${checked(p.name, PKGD_RE, 'property name')}${this.parmValue(p.value)}`;
  }

  private parmValue(v: ParmValue): string {
    const sp = this.compact ? '' : ' ';
    switch (v.kind) {
      case 'equal':
        return `${this.eq}${value(v.value)}`;
      case 'greater':
        return `${sp}>${sp}${value(v.value)}`;
      case 'less':
        return `${sp}<${sp}${value(v.value)}`;
      case 'notEqual':
        return `${sp}#${sp}${value(v.value)}`;
      case 'sublist':
        return `${this.eq}[${list(v.values, 'value list').map(value).join(',')}]`;
      case 'alternatives':
        return `${this.eq}{${list(v.values, 'alternatives').map(value).join(',')}}`;
      case 'range':
        return `${this.eq}[${value(v.low)}:${value(v.high)}]`;
      default:
        return fail('unknown property value kind');
    }
  }

  private withParams<P>(head: string, params: readonly P[], render: (p: P) => string, d: number): string {
    if (list(params, 'parameters', true).length === 0) return head;
    return this.block(head, params.map(render), d);
  }

  private requestedEvent(e: RequestedEvent, second: boolean, d: number): string {
    return this.withParams(checked(e.name, PKGD_RE, 'event name'), e.params, (p) => this.eventParam(p, second, d + 1), d);
  }

  private eventParam(p: EventParameter, second: boolean, d: number): string {
    switch (p.kind) {
      case 'keepActive':
        return this.t('KeepActive');
      case 'stream':
        return `${this.t('Stream')}${this.eq}${uint(p.id, MAX_UINT16, 'StreamID')}`;
      case 'digitMap':
        if ((p.name === undefined) === (p.value === undefined)) fail('an event DigitMap carries a name or a value');
        return `${this.t('DigitMap')}${this.eq}${p.name !== undefined ? checked(p.name, NAME_RE, 'digitMapName') : `{${this.digitMapValue(p.value as DigitMapValue)}}`}`;
      case 'embed': {
        const items: string[] = [];
        if (p.signals) items.push(this.signals(p.signals, d + 1));
        if (p.events) {
          if (second) fail('events cannot be embedded in embedded events');
          items.push(this.embeddedEvents(p.events, d + 1));
        }
        if (items.length === 0) fail('Embed needs signals or events');
        return this.block(this.t('Embed'), items, d);
      }
      case 'other':
        return this.otherParam(p.name, p.value, EVENT_PARAM_TOKENS);
      default:
        return fail('unknown event parameter');
    }
  }

  private otherParam(name: string, v: ParmValue, reserved: ReadonlySet<Token>): string {
    checked(name, NAME_RE, 'parameter name');
    const t = tokenOf(name);
    if (t !== undefined && reserved.has(t)) fail(`a parameter named ${name} reads as the ${t} token`);
    return `${name}${this.parmValue(v)}`;
  }

  private embeddedEvents(e: EmbeddedEvents, d: number): string {
    if (e.requestId === undefined) {
      if (e.events.length > 0) fail('embedded events need a RequestID');
      return this.t('Events');
    }
    return this.block(
      `${this.t('Events')}${this.eq}${requestId(e.requestId)}`,
      list(e.events, 'embedded Events').map((x) => this.requestedEvent(x, true, d + 1)),
      d,
    );
  }

  private signals(s: SignalsDescriptor, d: number): string {
    return this.block(
      this.t('Signals'),
      list(s.signals, 'Signals', true).map((sp) =>
        sp.kind === 'list'
          ? this.block(
              `${this.t('SignalList')}${this.eq}${uint(sp.id, MAX_UINT16, 'signalListId')}`,
              list(sp.signals, 'SignalList').map((x) => this.signalRequest(x, d + 2)),
              d + 1,
            )
          : this.signalRequest(sp, d + 1),
      ),
      d,
    );
  }

  private signalRequest(s: SignalRequest, d: number): string {
    if (s.kind !== 'signal') fail('a signal list holds signals only');
    return this.withParams(checked(s.name, PKGD_RE, 'signal name'), s.params, (p) => this.sigParam(p), d);
  }

  private sigParam(p: SigParameter): string {
    switch (p.kind) {
      case 'stream':
        return `${this.t('Stream')}${this.eq}${uint(p.id, MAX_UINT16, 'StreamID')}`;
      case 'signalType':
        return `${this.t('SignalType')}${this.eq}${this.t(SIGNAL_TYPE_TOKENS[p.value] ?? fail('bad signal type'))}`;
      case 'duration':
        return `${this.t('Duration')}${this.eq}${uint(p.value, MAX_UINT16, 'duration')}`;
      case 'notifyCompletion': {
        const reasons = list(p.reasons, 'NotifyCompletion').map((r) => this.t(REASON_TOKENS[r] ?? fail('bad notification reason')));
        return `${this.t('NotifyCompletion')}${this.eq}{${reasons.join(',')}}`;
      }
      case 'keepActive':
        return this.t('KeepActive');
      case 'other':
        return this.otherParam(p.name, p.value, SIG_PARAM_TOKENS);
      default:
        return fail('unknown signal parameter');
    }
  }

  private digitMapValue(v: DigitMapValue): string {
    let s = '';
    if (v.startTimer !== undefined) s += `T:${uint(v.startTimer, 99, 'start timer')},`;
    if (v.shortTimer !== undefined) s += `S:${uint(v.shortTimer, 99, 'short timer')},`;
    if (v.longTimer !== undefined) s += `L:${uint(v.longTimer, 99, 'long timer')},`;
    const body = typeof v.body === 'string' ? normalizeDigitMap(v.body) : undefined;
    if (body === undefined || body !== v.body) fail('malformed digit map (no white space, §B.2 digitMap syntax)');
    return s + body;
  }

  private observedEvents(o: ObservedEventsDescriptor, d: number): string {
    return this.block(
      `${this.t('ObservedEvents')}${this.eq}${requestId(o.requestId)}`,
      list(o.events, 'ObservedEvents').map((e) => {
        const name = checked(e.name, PKGD_RE, 'event name');
        const head = e.timestamp !== undefined ? `${checked(e.timestamp, TIMESTAMP_RE, 'TimeStamp')}:${name}` : name;
        return this.withParams(head, e.params, (p) => this.observedParam(p), d + 1);
      }),
      d,
    );
  }

  private observedParam(p: ObservedEventParameter): string {
    if (p.kind === 'stream') return `${this.t('Stream')}${this.eq}${uint(p.id, MAX_UINT16, 'StreamID')}`;
    if (p.kind === 'other') return this.otherParam(p.name, p.value, OBSERVED_PARAM_TOKENS);
    return fail('unknown event parameter');
  }

  private error(e: ErrorDescriptor): string {
    const code = uint(e.code, 9999, 'ErrorCode');
    const head = `${this.t('Error')}${this.eq}${code}`;
    if (e.text === undefined) return this.compact ? `${head}{}` : `${head} { }`;
    if (e.text.length > LIMITS.maxValueLength) fail('error text too long');
    for (let i = 0; i < e.text.length; i++) if (!isQuotable(e.text.charCodeAt(i))) fail('error text holds a character no quoted string may carry');
    return this.compact ? `${head}{"${e.text}"}` : `${head} {"${e.text}"}`;
  }
}
