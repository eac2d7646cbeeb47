/**
 * M3uaAsp: the softswitch's ASP toward one SG association (RFC 4666 §4.3). One receive pipeline:
 * decode → map (class, type) to an FSM event or traffic handling → errors become ERR in one place.
 */
import { EventEmitter } from 'node:events';
import { PPID_M3UA, type SctpAssociation } from '../sctp/association.js';
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { alarmMessage, describeDiagnostic, type M3uaAlarm } from './alarms.js';
import { AspFsm, ASP_STATE_NAMES, describeStatus, type AspAction, type AspEvent, type AspState, type AspTimer } from './asp-fsm.js';
import { decodeM3ua, decodeM3uaLenient, encodeM3ua, messageName } from './codec.js';
import { ERROR_CODE_NAMES, ErrorCode } from './constants.js';
import { DestinationTable, type DestinationChange } from './destinations.js';
import { isDecodeError, type DataMessage, type M3uaMessage, type ProtocolData, type SsnmMessage } from './messages.js';
import { UnexpectedParameterReporter } from './leniency.js';
import { Registry } from 'prom-client';
import { m3uaMetrics, type M3uaMetrics } from './metrics.js';

export interface M3uaAspOptions {
  association: SctpAssociation;
  clock?: Clock;
  logger?: Logger;
  routingContexts?: number[];
  trafficMode?: number;
  networkAppearance?: number;
  aspIdentifier?: number;
  /** BEAT interval; 0 (default) disables heartbeats (RFC 4666 §4.3.4.6: optional when SCTP heartbeats run). */
  beatIntervalMs?: number;
  /** Unanswered BEATs before the association is aborted (default 3). */
  beatMaxMissed?: number;
  /** T(ack) for ASPUP/ASPAC/ASPIA/ASPDN retransmission (default 2000 ms). */
  ackTimeoutMs?: number;
  /** Point codes this ASP serves, for answering DAUD when `quirks.daudInAsp` is set. */
  localPointCodes?: number[];
  /** Interworking quirks (named as libosmo-sigtran's): DAUD answered in ASP role; SSNM accepted while ASP-INACTIVE. */
  quirks?: { daudInAsp?: boolean; snmInactive?: boolean };
  /**
   * true: a known parameter that does not belong in a message fails it with ERR Unexpected Parameter
   * and the message is dropped (conformance tests). Default false: the message is processed, the
   * oddity counted and logged once per (type, tag), and nothing is sent back (RFC 4666 §3.8.1 allows
   * but does not require the report).
   */
  strictParameters?: boolean;
  /** Point codes audited with DAUD each time the ASP becomes ASP-ACTIVE (RFC 4666 §4.5.3). */
  auditPointCodes?: number[];
  /** Unanswered ASPUP/ASPAC/ASPIA/ASPDN sends before an 'alarm' (default 5). */
  ackAlarmAttempts?: number;
  /** Ceiling of the retry interval once alarmed or refused (default 30000 ms). */
  ackMaxIntervalMs?: number;
  /** Where messages and alarms are counted (the switch's registry; default: one of the ASP's own). */
  registry?: Registry;
}

/** Affected Point Codes per DAUD, keeping each message well under a path MTU. */
const DAUD_BATCH = 64;

export interface TransferMeta {
  routingContext?: number;
  networkAppearance?: number;
  correlationId?: number;
  stream: number;
}

/**
 * Events: 'state' (to: AspState, from: AspState), 'active' (), 'inactive' (), 'transfer' (pd: ProtocolData, meta: TransferMeta),
 * 'destination' (change: DestinationChange), 'notify' (status, routingContext?), 'peerError' (msg: ErrMessage),
 * 'alarm' (alarm: M3uaAlarm).
 *
 * Destination state (RFC 4666 §4.5): every destination counts as available until the SG says otherwise.
 * On ASP-DOWN the table is reset (what the SG said is stale, so each destination is unknown, which is
 * treated as available) and, with `auditPointCodes`, re-learned by DAUD once ASP-ACTIVE again.
 */
export class M3uaAsp extends EventEmitter {
  readonly destinations = new DestinationTable();
  private readonly fsm: AspFsm;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly assoc: SctpAssociation;
  private readonly timers = new Map<AspTimer, TimerHandle>();
  private started = false;
  private readonly unexpected: UnexpectedParameterReporter;
  private readonly m: M3uaMetrics;
  private readonly onUp = () => this.dispatch({ name: 'SCTP_COMM_UP_IND' });
  private readonly onDown = (reason: string) => {
    this.log.info({ reason }, 'SCTP association down');
    this.dispatch({ name: 'SCTP_COMM_DOWN_IND' });
  };
  private readonly onRestart = () => this.dispatch({ name: 'SCTP_RESTART_IND' });
  private readonly onMessage = (data: Buffer, stream: number) => this.receive(data, stream);
  private readonly onError = (err: Error) => this.log.warn({ err }, 'SCTP association error');

  constructor(private readonly opts: M3uaAspOptions) {
    super();
    this.m = m3uaMetrics(opts.registry ?? new Registry());
    this.assoc = opts.association;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ m3ua: 'asp', assoc: opts.association.description });
    this.fsm = new AspFsm({
      routingContexts: opts.routingContexts,
      trafficMode: opts.trafficMode,
      aspIdentifier: opts.aspIdentifier,
      ackTimeoutMs: opts.ackTimeoutMs ?? 2000,
      beatIntervalMs: opts.beatIntervalMs ?? 0,
      beatMaxMissed: opts.beatMaxMissed ?? 3,
      ackAlarmAttempts: opts.ackAlarmAttempts,
      ackMaxIntervalMs: opts.ackMaxIntervalMs,
    });
    this.unexpected = new UnexpectedParameterReporter('asp', this.log, this.m);
    this.destinations.on('change', (c: DestinationChange) => this.emit('destination', c));
  }

  get state(): AspState {
    return this.fsm.state;
  }

  get isActive(): boolean {
    return this.fsm.state === 'ASP_ACTIVE';
  }

  /** Bring the ASP up and active (ASPUP, then ASPAC), now or as soon as the association is up. */
  start(): void {
    if (!this.started) {
      this.started = true;
      this.assoc.on('up', this.onUp);
      this.assoc.on('down', this.onDown);
      this.assoc.on('restart', this.onRestart);
      this.assoc.on('message', this.onMessage);
      this.assoc.on('error', this.onError);
    }
    this.dispatch({ name: 'M_ASP_ACTIVE_REQ' });
    if (this.assoc.isUp && !this.fsm.associationUp) this.dispatch({ name: 'SCTP_COMM_UP_IND' });
  }

  /** ASPIA, ASPDN (each awaited for at most about 2×T(ack)), then SCTP SHUTDOWN. */
  async stop(): Promise<void> {
    if (this.started && this.assoc.isUp && this.fsm.state !== 'ASP_DOWN') {
      const bound = 2 * (this.opts.ackTimeoutMs ?? 2000) + 100;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.clock.clearTimeout(t);
          this.off('state', onState);
          resolve();
        };
        const onState = (to: AspState) => to === 'ASP_DOWN' && done();
        const t = this.clock.setTimeout(done, bound);
        this.on('state', onState);
        this.dispatch({ name: 'M_ASP_DOWN_REQ' });
      });
    } else {
      this.dispatch({ name: 'M_ASP_DOWN_REQ' });
    }
    for (const t of this.timers.keys()) this.stopTimer(t);
    this.assoc.off('up', this.onUp);
    this.assoc.off('restart', this.onRestart);
    this.assoc.off('message', this.onMessage);
    await this.assoc.close();
    this.assoc.off('down', this.onDown);
    this.assoc.off('error', this.onError);
    this.started = false;
  }

  /** Send one MSU as DATA (RFC 4666 §3.3.1); false when the ASP is not ASP-ACTIVE. */
  sendTransfer(pd: ProtocolData, opts: { routingContext?: number; correlationId?: number } = {}): boolean {
    if (this.fsm.state !== 'ASP_ACTIVE') return false;
    const rc = opts.routingContext ?? this.opts.routingContexts?.[0];
    const msg: DataMessage = {
      type: 'DATA',
      networkAppearance: this.opts.networkAppearance,
      routingContext: rc === undefined ? undefined : [rc],
      protocolData: pd,
      correlationId: opts.correlationId,
    };
    // RFC 4666 §1.4.7: stream 0 carries management; DATA spreads over the others by SLS to keep sequence per SLS.
    const streams = this.assoc.outboundStreams;
    this.send(msg, streams > 1 ? 1 + (pd.sls % (streams - 1)) : 0);
    return true;
  }

  private send(msg: M3uaMessage, stream = 0): void {
    this.m.countTx(msg.type);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ stream }, `tx ${messageName(msg.type)}`);
    this.assoc.send(encodeM3ua(msg), stream, PPID_M3UA);
  }

  private sendErr(errorCode: number, data: Buffer, extra: { routingContext?: number[]; networkAppearance?: number } = {}): void {
    // RFC 4666 §3.8.1: Diagnostic Information carries the first 40 bytes of the offending message.
    this.send({ type: 'ERR', errorCode, ...extra, diagnostic: Buffer.from(data.subarray(0, 40)) });
  }

  private receive(data: Buffer, stream: number): void {
    try {
      this.receiveUnsafe(data, stream);
    } catch (err) {
      this.log.error({ err }, 'M3UA receive handler failed');
    }
  }

  private receiveUnsafe(data: Buffer, stream: number): void {
    const odd: number[] | undefined = this.opts.strictParameters ? undefined : [];
    const msg = odd ? decodeM3uaLenient(data, odd) : decodeM3ua(data);
    if (isDecodeError(msg)) {
      this.m.m3uaDecodeErrors.inc({ code: msg.errorCode });
      this.log.warn({ code: msg.errorCode, reason: msg.reason }, `malformed M3UA: ${ERROR_CODE_NAMES[msg.errorCode]}`);
      if (!(msg.msgClass === 0 && msg.msgType === 0)) this.sendErr(msg.errorCode, data);
      return;
    }
    this.m.countRx(msg.type);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ stream }, `rx ${messageName(msg.type)}`);
    if (odd?.length) this.unexpected.note(msg.type, odd);
    switch (msg.type) {
      case 'ASPUP_ACK':
        return this.dispatch({ name: 'ASPSM_ASPUP_ACK' }, data);
      case 'ASPDN_ACK':
        return this.dispatch({ name: 'ASPSM_ASPDN_ACK' }, data);
      case 'BEAT':
        return this.dispatch({ name: 'ASPSM_BEAT', data: msg.heartbeatData }, data);
      case 'BEAT_ACK':
        return this.dispatch({ name: 'ASPSM_BEAT_ACK', data: msg.heartbeatData }, data);
      case 'ASPAC_ACK':
        return this.dispatch({ name: 'ASPTM_ASPAC_ACK' }, data);
      case 'ASPIA_ACK':
        return this.dispatch({ name: 'ASPTM_ASPIA_ACK' }, data);
      case 'NTFY':
        return this.dispatch({ name: 'MGMT_NTFY', msg }, data);
      case 'ERR':
        return this.dispatch({ name: 'MGMT_ERR', msg }, data);
      case 'DATA':
        return this.receiveData(msg, data, stream);
      case 'DUNA':
      case 'DAVA':
      case 'SCON':
      case 'DUPU':
      case 'DRST':
      case 'DAUD':
        return this.receiveSsnm(msg, data);
      default:
        // ASPUP/ASPDN/ASPAC/ASPIA/RKM requests are SG-bound (RFC 4666 §4.3.4): not valid toward an ASP.
        this.log.warn(`unexpected ${messageName(msg.type)} in ASP role`);
        this.sendErr(ErrorCode.UNEXPECTED_MESSAGE, data);
    }
  }

  private receiveData(msg: DataMessage, raw: Buffer, stream: number): void {
    if (this.fsm.state !== 'ASP_ACTIVE') {
      this.log.warn(`DATA while ${ASP_STATE_NAMES[this.fsm.state]}`);
      return this.sendErr(ErrorCode.UNEXPECTED_MESSAGE, raw);
    }
    const rc = msg.routingContext?.[0];
    const mine = this.opts.routingContexts;
    if (rc !== undefined && mine?.length && !mine.includes(rc)) {
      this.log.warn({ rc }, 'DATA for an unknown routing context; answered with ERR (check ss7.m3ua.routingContext against the one the SG sends)');
      return this.sendErr(ErrorCode.INVALID_ROUTING_CONTEXT, raw, { routingContext: [rc] });
    }
    const na = this.opts.networkAppearance;
    if (msg.networkAppearance !== undefined && na !== undefined && msg.networkAppearance !== na) {
      return this.sendErr(ErrorCode.INVALID_NETWORK_APPEARANCE, raw, { networkAppearance: msg.networkAppearance });
    }
    this.emit('transfer', msg.protocolData, {
      routingContext: rc,
      networkAppearance: msg.networkAppearance,
      correlationId: msg.correlationId,
      stream,
    } satisfies TransferMeta);
  }

  private receiveSsnm(msg: SsnmMessage, raw: Buffer): void {
    const quirks = this.opts.quirks ?? {};
    if (msg.type === 'DAUD' && !quirks.daudInAsp) {
      // RFC 4666 §3.4.3: DAUD flows ASP → SG only.
      this.log.warn('DAUD received in ASP role');
      return this.sendErr(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, raw);
    }
    const acceptable = this.fsm.state === 'ASP_ACTIVE' || (quirks.snmInactive && this.fsm.state === 'ASP_INACTIVE');
    if (!acceptable) {
      this.log.warn(`${msg.type} while ${ASP_STATE_NAMES[this.fsm.state]}`);
      return this.sendErr(ErrorCode.UNEXPECTED_MESSAGE, raw);
    }
    if (msg.type === 'DAUD') return this.answerDaud(msg.affectedPointCodes, msg.routingContext);
    this.log.info({ pcs: msg.affectedPointCodes.map((p) => p.pc) }, `rx ${messageName(msg.type)}`);
    this.destinations.apply(msg);
  }

  private answerDaud(pcs: { mask: number; pc: number }[], routingContext?: number[]): void {
    const local = new Set(this.opts.localPointCodes ?? []);
    const up = this.fsm.state === 'ASP_ACTIVE';
    const avail = pcs.filter((p) => up && local.has(p.pc));
    const unavail = pcs.filter((p) => !(up && local.has(p.pc)));
    if (avail.length) this.send({ type: 'DAVA', routingContext, affectedPointCodes: avail });
    if (unavail.length) this.send({ type: 'DUNA', routingContext, affectedPointCodes: unavail });
  }

  /** RFC 4666 §4.5.3: an ASP may audit destinations with DAUD; the SG answers DAVA/DUNA/DRST/SCON. */
  private audit(): void {
    const pcs = this.opts.auditPointCodes ?? [];
    const rc = this.opts.routingContexts?.length ? this.opts.routingContexts : undefined;
    for (let i = 0; i < pcs.length; i += DAUD_BATCH) {
      const affectedPointCodes = pcs.slice(i, i + DAUD_BATCH).map((pc) => ({ mask: 0, pc }));
      this.send({ type: 'DAUD', networkAppearance: this.opts.networkAppearance, routingContext: rc, affectedPointCodes });
    }
  }

  private dispatch(ev: AspEvent, raw?: Buffer): void {
    for (const a of this.fsm.handle(ev)) this.perform(a, raw);
  }

  private perform(a: AspAction, raw?: Buffer): void {
    switch (a.kind) {
      case 'send':
        return this.send(a.msg);
      case 'startTimer': {
        this.stopTimer(a.timer);
        const ev: AspEvent = a.timer === 'ack' ? { name: 'T_ACK_EXPIRY' } : { name: 'T_BEAT_EXPIRY' };
        this.timers.set(
          a.timer,
          this.clock.setTimeout(() => {
            this.timers.delete(a.timer);
            this.dispatch(ev);
          }, a.ms),
        );
        return;
      }
      case 'stopTimer':
        return this.stopTimer(a.timer);
      case 'state':
        this.log.info(`${ASP_STATE_NAMES[a.from]} -> ${ASP_STATE_NAMES[a.to]}`);
        if (a.to === 'ASP_DOWN') this.destinations.reset();
        if (a.to === 'ASP_ACTIVE') this.audit();
        this.emit('state', a.to, a.from);
        if (a.to === 'ASP_ACTIVE') this.emit('active');
        else if (a.from === 'ASP_ACTIVE') this.emit('inactive');
        return;
      case 'notify':
        this.log.info({ rc: a.routingContext }, `NTFY ${describeStatus(a.status)}`);
        this.emit('notify', a.status, a.routingContext);
        return;
      case 'peerError':
        this.log.warn(
          { code: a.msg.errorCode, rc: a.msg.routingContext, na: a.msg.networkAppearance, about: describeDiagnostic(a.msg.diagnostic) },
          `peer ERR: ${ERROR_CODE_NAMES[a.msg.errorCode] ?? a.msg.errorCode}`,
        );
        this.emit('peerError', a.msg);
        return;
      case 'alarm': {
        const code = a.reason === 'refused' ? 'M3UA_REQUEST_REFUSED' : 'M3UA_ACK_TIMEOUT';
        const base = { raised: a.raised, code, request: a.request, attempts: a.attempts, errorCode: a.errorCode, retryMs: a.retryMs, association: this.assoc.description } as const;
        const alarm: M3uaAlarm = { ...base, message: alarmMessage(base, this.opts.routingContexts) };
        if (a.raised) {
          this.m.m3uaAlarms.inc({ code });
          this.log.warn({ alarm: code, request: a.request, attempts: a.attempts, code: a.errorCode }, alarm.message);
        } else {
          this.log.info({ alarm: code, request: a.request }, alarm.message);
        }
        this.emit('alarm', alarm);
        return;
      }
      case 'abort':
        this.log.warn(`aborting association: ${a.reason}`);
        this.assoc.abort(a.reason);
        return;
      case 'unexpected':
        this.log.warn(`${a.event} unexpected in ${ASP_STATE_NAMES[this.fsm.state]}`);
        if (raw) this.sendErr(ErrorCode.UNEXPECTED_MESSAGE, raw);
        return;
    }
  }

  private stopTimer(t: AspTimer): void {
    const h = this.timers.get(t);
    if (h) {
      this.clock.clearTimeout(h);
      this.timers.delete(t);
    }
  }
}
