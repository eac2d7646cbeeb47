/**
 * The descriptors of the H.248.1 v1 text grammar (RFC 3525 §B.2): Media (streams, LocalControl,
 * Local/Remote octet strings, TerminationState), Events with embedded signals and events,
 * Signals, DigitMap, EventBuffer, Audit, ObservedEvents, Statistics, Packages, Modem, Mux, Error.
 * Rule names in comments are the ABNF's.
 */
import { LIMITS, MAX_UINT16, tokenOf, type Token } from './constants.js';
import type {
  AuditItem,
  Descriptor,
  DigitMapValue,
  EmbeddedEvents,
  ErrorDescriptor,
  EventParameter,
  EventSpec,
  LocalControl,
  MediaDescriptor,
  NotificationReason,
  ObservedEvent,
  ObservedEventParameter,
  ObservedEventsDescriptor,
  ParmValue,
  PropertyParm,
  RequestedEvent,
  SignalRequest,
  SigParameter,
  SignalParm,
  SignalsDescriptor,
  StreamDescriptor,
  StreamMode,
  TerminationState,
} from './messages.js';
import { GrammarReader } from './text-reader.js';
import { C, EXTENSION_RE, NAME_RE, normalizeDigitMap, PKGD_RE, TIMESTAMP_RE } from './text-scanner.js';

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

export class DescriptorReader extends GrammarReader {

  /** ammParameter = mediaDescriptor / modemDescriptor / muxDescriptor / eventsDescriptor / signalsDescriptor / digitMapDescriptor / eventBufferDescriptor / auditDescriptor */
  protected ammParameter(): Descriptor {
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
  protected auditReturnParameter(): Descriptor {
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
  protected media(): MediaDescriptor {
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
  protected streamParm(t: Token | undefined, into: { localControl?: LocalControl; local?: string; remote?: string }, at: number): void {
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
  protected localControl(): LocalControl {
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

  protected onOff(): boolean {
    const at = this.sc.pos;
    const t = this.tok('ON or OFF');
    if (t === 'On') return true;
    if (t === 'Off') return false;
    return this.sc.fail('ON or OFF expected', at);
  }

  /** terminationStateDescriptor = TerminationStateToken LBRKT terminationStateParm *(COMMA terminationStateParm) RBRKT */
  protected terminationState(): TerminationState {
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
  protected propertyParm(): PropertyParm {
    const name = this.name(PKGD_RE, 'property name');
    return { name, value: this.parmValue() };
  }

  /**
   * parmValue = (EQUAL alternativeValue) / (INEQUAL VALUE)
   * alternativeValue = VALUE / LSBRKT VALUE *(COMMA VALUE) RSBRKT / LBRKT VALUE *(COMMA VALUE) RBRKT / LSBRKT VALUE COLON VALUE RSBRKT
   */
  protected parmValue(): ParmValue {
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
  protected modem(): Descriptor {
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
  protected mux(): Descriptor {
    this.equal();
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('MuxType');
    const muxType = MUX_TYPES[tokenOf(w) as Token] ?? (EXTENSION_RE.test(w) ? w : this.sc.fail('unknown MuxType', at));
    const terminations = this.list(() => this.terminationId(), 'terminationIDList');
    return { type: 'mux', muxType, terminations };
  }

  /** eventsDescriptor = EventsToken [EQUAL RequestID LBRKT requestedEvent *(COMMA requestedEvent) RBRKT] */
  protected events(): Descriptor {
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
  protected requestedEvent(second: boolean): RequestedEvent {
    const name = this.name(PKGD_RE, 'event name');
    const params = this.sc.peekAfterLwsp() === C.LBRKT ? this.list(() => this.eventParameter(second), 'event parameters') : [];
    return { name, params };
  }

  /**
   * eventParameter = embedWithSig / embedNoSig / KeepActiveToken / eventDM / eventStream / eventOther
   * secondEventParameter = embedSig / KeepActiveToken / eventDM / eventStream / eventOther
   */
  protected eventParameter(second: boolean): EventParameter {
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
  protected embeddedEvents(): EmbeddedEvents {
    if (this.sc.peekAfterLwsp() !== C.EQUAL) return { events: [] };
    this.equal();
    const requestId = this.requestId();
    const events = this.list(() => this.requestedEvent(true), 'embedded Events');
    return { requestId, events };
  }

  /** signalsDescriptor = SignalsToken LBRKT [signalParm *(COMMA signalParm)] RBRKT */
  protected signals(): SignalsDescriptor {
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
  protected signalRequest(name: string): SignalRequest {
    const params = this.sc.peekAfterLwsp() === C.LBRKT ? this.list(() => this.sigParameter(), 'signal parameters') : [];
    return { kind: 'signal', name, params };
  }

  /** sigParameter = sigStream / sigSignalType / sigDuration / sigOther / notifyCompletion / KeepActiveToken */
  protected sigParameter(): SigParameter {
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
  protected digitMapDescriptor(): Descriptor {
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
  protected digitMapValue(): DigitMapValue {
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
  protected eventBuffer(): Descriptor {
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
  protected auditDescriptor(): AuditItem[] {
    this.expectTok('Audit', 'Audit');
    return this.auditItems();
  }

  protected auditItems(): AuditItem[] {
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
  protected observedEvents(): ObservedEventsDescriptor {
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
  protected observedEventParameter(): ObservedEventParameter {
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
  protected statistics(): Descriptor {
    const stats = this.list(() => {
      const name = this.name(PKGD_RE, 'statistic name');
      if (!this.sc.punct(C.EQUAL)) return { name };
      return { name, value: this.sc.value('VALUE') };
    }, 'Statistics');
    return { type: 'statistics', stats };
  }

  /** packagesDescriptor = PackagesToken LBRKT packagesItem *(COMMA packagesItem) RBRKT; packagesItem = NAME "-" UINT16 */
  protected packages(): Descriptor {
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
  protected errorDescriptor(): ErrorDescriptor {
    this.expectTok('Error', 'Error');
    return this.errorDescriptorBody();
  }

  protected errorDescriptorBody(): ErrorDescriptor {
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
