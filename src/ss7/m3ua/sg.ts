/**
 * M3uaSg: the SG side for the tandem simulator (a lab tool). Accepts ASP associations, answers
 * ASPSM/ASPTM/DAUD/RKM per RFC 4666 §4.3–§4.5, keeps AS state (as-fsm.ts) and routes DATA to the
 * active ASP(s) of an AS by traffic mode. While an AS is AS-PENDING, DATA toward it is queued
 * (bounded) for the first ASP to become active and discarded when T(r) expires (RFC 4666 §4.3.2).
 */
import { EventEmitter } from 'node:events';
import { PPID_M3UA, type SctpAssociation } from '../sctp/association.js';
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { AsFsm, type AsAction, type AsEvent, type AsState } from './as-fsm.js';
import { decodeM3ua, decodeM3uaLenient, encodeM3ua, messageName } from './codec.js';
import { DeregistrationStatus, ErrorCode, RegistrationStatus, TrafficMode } from './constants.js';
import { isDecodeError, type M3uaMessage, type MaskedPointCode, type ProtocolData, type SsnmMessage } from './messages.js';
import { UnexpectedParameterReporter } from './leniency.js';
import { Registry } from 'prom-client';
import { m3uaMetrics, type M3uaMetrics } from './metrics.js';

export interface SgAsConfig {
  /** Absent: an AS addressed without Routing Context (RFC 4666 §4.3.4.3, single AS per ASP). */
  routingContext?: number;
  /** Absent: the mode of the first ASPAC is adopted. */
  trafficMode?: number;
  /** Point codes served by this AS; announced to the other ASes' ASPs with DAVA/DUNA. */
  pointCodes?: number[];
}

export interface M3uaSgOptions {
  ases: SgAsConfig[];
  clock?: Clock;
  logger?: Logger;
  /** T(r), RFC 4666 §4.3.2 (default 2000 ms). */
  recoveryMs?: number;
  /** false reproduces SGs that never send NTFY (osmo quirk no_notify). */
  sendNotify?: boolean;
  /**
   * true: a known parameter that does not belong in a message fails it (ERR Unexpected Parameter,
   * message dropped), for conformance tests. Default false: the message is processed anyway.
   */
  strictParameters?: boolean;
  /** In lenient mode, also answer such a message with ERR Unexpected Parameter (RFC 4666 §3.8.1); default true. */
  reportUnexpectedParameters?: boolean;
  /** MSUs held per AS while AS-PENDING (RFC 4666 §4.3.2); default 1000, 0 disables holding. */
  pendingQueueLimit?: number;
  /** Where messages are counted (default: a registry of the SG's own, which nothing serves). */
  registry?: Registry;
  /**
   * Loadshare among an AS's active ASPs by content (RFC 4666 §4.3.4.3 leaves the distribution
   * to the SG): the id of the ASP to carry this MSU, or undefined to send it nowhere (its owner
   * is not active). Without it, the SLS picks the ASP.
   */
  selectAsp?: (pd: ProtocolData, active: readonly string[]) => string | undefined;
  /**
   * An ASP that sends nothing (not even BEAT, RFC 4666 §4.3.4.6) for this long is taken as down,
   * as if its association had failed: SCTP over UDP may never report a peer that died. 0: off.
   */
  aspSilenceMs?: number;
}

interface AspEntry {
  id: string;
  assoc: SctpAssociation;
  lastHeard: number;
  state: 'ASP_DOWN' | 'ASP_INACTIVE' | 'ASP_ACTIVE';
  members: As[];
  detach: () => void;
}

interface As {
  cfg: SgAsConfig;
  fsm: AsFsm;
  timer?: TimerHandle;
  /** DATA held while AS-PENDING, delivered in order to the next active ASP. */
  pending: ProtocolData[];
}

export interface SgTransferMeta {
  aspId: string;
  routingContext?: number;
}

/** Events: 'transfer' (pd, SgTransferMeta), 'as-state' (routingContext | undefined, to: AsState, from: AsState), 'asp-state' (aspId, state). */
export class M3uaSg extends EventEmitter {
  private readonly ases: As[];
  private readonly asps = new Map<string, AspEntry>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly unavailable = new Set<number>();
  private nextId = 1;
  private readonly unexpected: UnexpectedParameterReporter;
  private readonly m: M3uaMetrics;

  constructor(private readonly opts: M3uaSgOptions) {
    super();
    this.m = m3uaMetrics(opts.registry ?? new Registry());
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ m3ua: 'sg' });
    this.ases = opts.ases.map((cfg) => ({ cfg, fsm: new AsFsm(cfg.trafficMode, opts.recoveryMs ?? 2000), pending: [] }));
    this.unexpected = new UnexpectedParameterReporter('sg', this.log, this.m);
  }

  /** Take an association to one ASP; `routingContexts` limits which ASes it serves (default all). */
  addAssociation(assoc: SctpAssociation, opts: { routingContexts?: number[] } = {}): string {
    const id = `asp${this.nextId++}`;
    const members = opts.routingContexts ? this.ases.filter((a) => opts.routingContexts!.includes(a.cfg.routingContext ?? -1)) : [...this.ases];
    const onMessage = (data: Buffer) => {
      try {
        this.receive(entry, data);
      } catch (err) {
        this.log.error({ err }, 'SG receive handler failed');
      }
    };
    const onDown = () => this.aspDown(entry);
    const onRestart = () => this.aspDown(entry);
    const onError = (err: Error) => this.log.warn({ err, asp: id }, 'association error');
    const entry: AspEntry = {
      id,
      assoc,
      lastHeard: this.clock.now(),
      state: 'ASP_DOWN',
      members,
      detach: () => {
        assoc.off('message', onMessage);
        assoc.off('down', onDown);
        assoc.off('restart', onRestart);
        assoc.off('error', onError);
      },
    };
    assoc.on('message', onMessage);
    assoc.on('down', onDown);
    assoc.on('restart', onRestart);
    assoc.on('error', onError);
    this.asps.set(id, entry);
    this.watchSilence();
    return id;
  }

  private silenceTimer: TimerHandle | undefined;

  /** Every third of aspSilenceMs: ASPs up but silent for the whole period are taken down. */
  private watchSilence(): void {
    const limit = this.opts.aspSilenceMs ?? 0;
    if (limit <= 0 || this.silenceTimer) return;
    this.silenceTimer = this.clock.setTimeout(() => {
      this.silenceTimer = undefined;
      const now = this.clock.now();
      for (const asp of this.asps.values()) {
        if (asp.state !== 'ASP_DOWN' && now - asp.lastHeard > limit) {
          this.log.warn({ asp: asp.id, silentMs: now - asp.lastHeard }, 'ASP silent past aspSilenceMs (no DATA or BEAT): taken down');
          this.aspDown(asp);
        }
      }
      this.watchSilence();
    }, Math.max(10, Math.floor(limit / 3)));
  }

  /** Forgets an ASP's association (taken down first): a new association can take its place. */
  removeAssociation(aspId: string): void {
    const asp = this.asps.get(aspId);
    if (!asp) return;
    this.aspDown(asp);
    asp.detach();
    this.asps.delete(aspId);
  }

  /** Stops the silence watch (the associations are the caller's to close). */
  close(): void {
    this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
  }

  asState(routingContext?: number): AsState | undefined {
    return this.findAs(routingContext)?.fsm.state;
  }

  aspState(aspId: string): AspEntry['state'] | undefined {
    return this.asps.get(aspId)?.state;
  }

  /**
   * Send an MSU toward the AS (by RC, else the sole AS, else the AS serving the DPC) per its traffic mode.
   * True when sent or, while the AS is AS-PENDING, queued for the next active ASP.
   */
  sendTransfer(pd: ProtocolData, routingContext?: number): boolean {
    const as = this.findAs(routingContext) ?? this.ases.find((a) => a.cfg.pointCodes?.includes(pd.dpc));
    if (!as) return false;
    if (as.fsm.state === 'AS_PENDING') return this.hold(as, pd);
    return this.route(as, pd);
  }

  /** MSUs currently held for an AS in AS-PENDING. */
  pendingTransfers(routingContext?: number): number {
    return this.findAs(routingContext)?.pending.length ?? 0;
  }

  /** RFC 4666 §4.3.2: during T(r) the SG buffers traffic for the AS, up to a bound. */
  private hold(as: As, pd: ProtocolData): boolean {
    if (as.pending.length >= (this.opts.pendingQueueLimit ?? 1000)) {
      this.m.m3uaPendingTransfers.inc({ outcome: 'overflow' });
      return false;
    }
    as.pending.push(pd);
    this.m.m3uaPendingTransfers.inc({ outcome: 'queued' });
    return true;
  }

  private route(as: As, pd: ProtocolData): boolean {
    if (as.fsm.state !== 'AS_ACTIVE') return false;
    const active = as.fsm.active().map((id) => this.asps.get(id)!).filter(Boolean);
    if (active.length === 0) return false;
    let targets: AspEntry[];
    if (as.fsm.trafficMode === TrafficMode.BROADCAST) targets = active;
    else if (as.fsm.trafficMode !== TrafficMode.LOADSHARE) targets = [active[active.length - 1]];
    else if (this.opts.selectAsp) {
      const id = this.opts.selectAsp(pd, active.map((a) => a.id));
      const chosen = id === undefined ? undefined : active.find((a) => a.id === id);
      if (!chosen) return false;
      targets = [chosen];
    } else targets = [active[pd.sls % active.length]];
    const rc = as.cfg.routingContext;
    for (const t of targets) {
      const streams = t.assoc.outboundStreams;
      this.send(t, { type: 'DATA', routingContext: rc === undefined ? undefined : [rc], protocolData: pd }, streams > 1 ? 1 + (pd.sls % (streams - 1)) : 0);
    }
    return true;
  }

  /** Send an SSNM message (DUNA/DAVA/SCON/DUPU/DRST) to every active ASP of the AS (or of all ASes). Returns how many got it. */
  sendSsnm(msg: SsnmMessage, routingContext?: number): number {
    const ases = routingContext === undefined ? this.ases : this.ases.filter((a) => a.cfg.routingContext === routingContext);
    let n = 0;
    for (const as of ases) n += this.ssnmTo(as, msg);
    return n;
  }

  private ssnmTo(as: As, msg: SsnmMessage): number {
    let n = 0;
    for (const id of as.fsm.active()) {
      const asp = this.asps.get(id);
      if (!asp) continue;
      const rc = as.cfg.routingContext;
      this.send(asp, { ...msg, routingContext: rc === undefined ? undefined : [rc] });
      n++;
    }
    return n;
  }

  /** The SG's view of the SS7 network: marks a point code (un)available and announces it (RFC 4666 §4.5.1, §4.5.2). */
  setDestination(pc: number, available: boolean): void {
    if (available === !this.unavailable.has(pc)) return;
    if (available) this.unavailable.delete(pc);
    else this.unavailable.add(pc);
    this.sendSsnm({ type: available ? 'DAVA' : 'DUNA', affectedPointCodes: [{ mask: 0, pc }] });
  }

  private findAs(rc?: number): As | undefined {
    if (rc !== undefined) return this.ases.find((a) => a.cfg.routingContext === rc);
    return this.ases.length === 1 ? this.ases[0] : undefined;
  }

  private send(asp: AspEntry, msg: M3uaMessage, stream = 0): void {
    this.m.countTx(msg.type);
    asp.assoc.send(encodeM3ua(msg), stream, PPID_M3UA);
  }

  private sendErr(asp: AspEntry, errorCode: number, raw: Buffer, extra: { routingContext?: number[] } = {}): void {
    this.send(asp, { type: 'ERR', errorCode, ...extra, diagnostic: Buffer.from(raw.subarray(0, 40)) });
  }

  private receive(asp: AspEntry, raw: Buffer): void {
    asp.lastHeard = this.clock.now();
    const odd: number[] | undefined = this.opts.strictParameters ? undefined : [];
    const msg = odd ? decodeM3uaLenient(raw, odd) : decodeM3ua(raw);
    if (isDecodeError(msg)) {
      this.m.m3uaDecodeErrors.inc({ code: msg.errorCode });
      this.log.warn({ asp: asp.id, code: msg.errorCode, reason: msg.reason }, 'malformed M3UA from ASP');
      if (!(msg.msgClass === 0 && msg.msgType === 0)) this.sendErr(asp, msg.errorCode, raw);
      return;
    }
    this.m.countRx(msg.type);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ asp: asp.id }, `rx ${messageName(msg.type)}`);
    this.handle(asp, msg, raw);
    if (odd?.length) {
      this.unexpected.note(msg.type, odd, { asp: asp.id });
      // RFC 4666 §3.8.1: report it, after processing; never answer an ERR with an ERR.
      if (this.opts.reportUnexpectedParameters !== false && msg.type !== 'ERR' && asp.assoc.isUp) {
        this.sendErr(asp, ErrorCode.UNEXPECTED_PARAMETER, raw);
      }
    }
  }

  private handle(asp: AspEntry, msg: M3uaMessage, raw: Buffer): void {
    switch (msg.type) {
      case 'ASPUP':
        // RFC 4666 §4.3.4.1: ASPUP in ASP-ACTIVE first takes the ASP out of traffic.
        if (asp.state === 'ASP_ACTIVE') this.feed(asp, asp.members, 'ASP_INACTIVE');
        this.send(asp, { type: 'ASPUP_ACK', aspIdentifier: msg.aspIdentifier });
        if (asp.state === 'ASP_DOWN') this.feed(asp, asp.members, 'ASP_UP');
        this.setAsp(asp, 'ASP_INACTIVE');
        return;
      case 'ASPDN':
        this.send(asp, { type: 'ASPDN_ACK' });
        this.feed(asp, asp.members, 'ASP_DOWN');
        this.setAsp(asp, 'ASP_DOWN');
        return;
      case 'BEAT':
        return this.send(asp, { type: 'BEAT_ACK', heartbeatData: msg.heartbeatData });
      case 'ASPAC':
        return this.aspActive(asp, msg.trafficMode, msg.routingContext, raw);
      case 'ASPIA': {
        if (asp.state === 'ASP_DOWN') return this.sendErr(asp, ErrorCode.UNEXPECTED_MESSAGE, raw);
        const ases = this.select(asp, msg.routingContext);
        if (!Array.isArray(ases)) return this.sendErr(asp, ases, raw, { routingContext: msg.routingContext });
        this.send(asp, { type: 'ASPIA_ACK', routingContext: msg.routingContext });
        this.feed(asp, ases, 'ASP_INACTIVE');
        this.setAsp(asp, asp.members.some((a) => a.fsm.asps.get(asp.id) === 'ASP_ACTIVE') ? 'ASP_ACTIVE' : 'ASP_INACTIVE');
        return;
      }
      case 'DATA': {
        if (asp.state !== 'ASP_ACTIVE') return this.sendErr(asp, ErrorCode.UNEXPECTED_MESSAGE, raw);
        const rc = msg.routingContext?.[0];
        if (rc !== undefined && !asp.members.some((a) => a.cfg.routingContext === rc)) {
          return this.sendErr(asp, ErrorCode.INVALID_ROUTING_CONTEXT, raw, { routingContext: [rc] });
        }
        const dpc = msg.protocolData.dpc;
        if (this.unavailable.has(dpc)) {
          // The SG cannot reach the DPC: tell the sender (RFC 4666 §4.5.1; osmo TC_inaccessible_sp_duna).
          this.send(asp, { type: 'DUNA', routingContext: msg.routingContext, affectedPointCodes: [{ mask: 0, pc: dpc }] });
          return;
        }
        this.emit('transfer', msg.protocolData, { aspId: asp.id, routingContext: rc } satisfies SgTransferMeta);
        return;
      }
      case 'DAUD': {
        if (asp.state === 'ASP_DOWN') return this.sendErr(asp, ErrorCode.UNEXPECTED_MESSAGE, raw);
        // RFC 4666 §4.5.3: answer the audit with the current state of each point code.
        const up: MaskedPointCode[] = msg.affectedPointCodes.filter((p) => !this.unavailable.has(p.pc));
        const down: MaskedPointCode[] = msg.affectedPointCodes.filter((p) => this.unavailable.has(p.pc));
        if (up.length) this.send(asp, { type: 'DAVA', routingContext: msg.routingContext, affectedPointCodes: up });
        if (down.length) this.send(asp, { type: 'DUNA', routingContext: msg.routingContext, affectedPointCodes: down });
        return;
      }
      case 'REG_REQ':
        return this.send(asp, {
          type: 'REG_RSP',
          registrationResults: msg.routingKeys.map((k) => {
            const as = k.routingContext === undefined ? undefined : asp.members.find((a) => a.cfg.routingContext === k.routingContext);
            // Static configuration only: a key must name a configured AS.
            return as
              ? { localRkId: k.localRkId, status: RegistrationStatus.SUCCESS, routingContext: k.routingContext! }
              : { localRkId: k.localRkId, status: RegistrationStatus.PERMISSION_DENIED, routingContext: 0 };
          }),
        });
      case 'DEREG_REQ':
        return this.send(asp, {
          type: 'DEREG_RSP',
          deregistrationResults: msg.routingContext.map((rc) => {
            const as = asp.members.find((a) => a.cfg.routingContext === rc);
            const status = !as
              ? DeregistrationStatus.INVALID_ROUTING_CONTEXT
              : as.fsm.asps.get(asp.id) === 'ASP_ACTIVE'
                ? DeregistrationStatus.ASP_CURRENTLY_ACTIVE
                : DeregistrationStatus.NOT_REGISTERED;
            return { routingContext: rc, status };
          }),
        });
      case 'ERR':
        this.log.warn({ asp: asp.id, code: msg.errorCode }, 'ERR from ASP');
        return;
      case 'NTFY':
        return;
      default:
        this.sendErr(asp, ErrorCode.UNEXPECTED_MESSAGE, raw);
    }
  }

  private aspActive(asp: AspEntry, tmt: number | undefined, rcs: number[] | undefined, raw: Buffer): void {
    // RFC 4666 §4.3.4.3: ASPAC in ASP-DOWN is an unexpected message.
    if (asp.state === 'ASP_DOWN') return this.sendErr(asp, ErrorCode.UNEXPECTED_MESSAGE, raw);
    const ases = this.select(asp, rcs);
    if (!Array.isArray(ases)) return this.sendErr(asp, ases, raw, { routingContext: rcs });
    if (tmt !== undefined && (tmt < TrafficMode.OVERRIDE || tmt > TrafficMode.BROADCAST)) {
      return this.sendErr(asp, ErrorCode.UNSUPPORTED_TRAFFIC_MODE, raw);
    }
    for (const as of ases) {
      if (tmt !== undefined && as.fsm.trafficMode !== undefined && as.fsm.trafficMode !== tmt) {
        return this.sendErr(asp, ErrorCode.UNSUPPORTED_TRAFFIC_MODE, raw, { routingContext: rcs });
      }
    }
    for (const as of ases) as.fsm.trafficMode ??= tmt ?? TrafficMode.OVERRIDE;
    this.send(asp, { type: 'ASPAC_ACK', trafficMode: tmt, routingContext: rcs });
    this.setAsp(asp, 'ASP_ACTIVE');
    this.feed(asp, ases, 'ASP_ACTIVE');
  }

  /** The ASes an ASPAC/ASPIA addresses, or the §3.8.1 error code. */
  private select(asp: AspEntry, rcs: number[] | undefined): As[] | number {
    if (rcs?.length) {
      const found = rcs.map((rc) => asp.members.find((a) => a.cfg.routingContext === rc));
      return found.every((a): a is As => a !== undefined) ? found : ErrorCode.INVALID_ROUTING_CONTEXT;
    }
    const noRc = asp.members.filter((a) => a.cfg.routingContext === undefined);
    if (noRc.length) return noRc;
    return asp.members.length === 1 ? asp.members : ErrorCode.NO_CONFIGURED_AS_FOR_ASP;
  }

  private aspDown(asp: AspEntry): void {
    if (asp.state === 'ASP_DOWN') return;
    this.feed(asp, asp.members, 'ASP_DOWN');
    this.setAsp(asp, 'ASP_DOWN');
  }

  private setAsp(asp: AspEntry, state: AspEntry['state']): void {
    if (asp.state === state) return;
    asp.state = state;
    this.log.info({ asp: asp.id }, state);
    this.emit('asp-state', asp.id, state);
  }

  private feed(asp: AspEntry, ases: As[], name: 'ASP_UP' | 'ASP_ACTIVE' | 'ASP_INACTIVE' | 'ASP_DOWN'): void {
    for (const as of ases) this.dispatch(as, { name, asp: asp.id });
  }

  private dispatch(as: As, ev: AsEvent): void {
    for (const a of as.fsm.handle(ev)) this.perform(as, a);
    // After the ASPAC ACK and NTFY have gone out: the held MSUs follow to the newly active ASP.
    if (as.pending.length && as.fsm.state === 'AS_ACTIVE') this.flush(as);
  }

  private flush(as: As): void {
    const held = as.pending;
    as.pending = [];
    let sent = 0;
    for (const pd of held) if (this.route(as, pd)) sent++;
    this.m.m3uaPendingTransfers.inc({ outcome: 'delivered' }, sent);
    if (sent < held.length) this.m.m3uaPendingTransfers.inc({ outcome: 'undeliverable' }, held.length - sent);
    this.log.info({ rc: as.cfg.routingContext, delivered: sent }, 'AS active again: held DATA delivered');
  }

  /** T(r) expired without an active ASP: the held MSUs are lost (RFC 4666 §4.3.2). */
  private discardPending(as: As): void {
    if (!as.pending.length) return;
    this.m.m3uaPendingTransfers.inc({ outcome: 'expired' }, as.pending.length);
    this.log.warn({ rc: as.cfg.routingContext, discarded: as.pending.length }, 'T(r) expired with no ASP active: held DATA discarded');
    as.pending = [];
  }

  private perform(as: As, a: AsAction): void {
    const rc = as.cfg.routingContext;
    switch (a.kind) {
      case 'ntfy':
        if (this.opts.sendNotify === false) return;
        for (const id of a.to) {
          const asp = this.asps.get(id);
          if (asp?.assoc.isUp) this.send(asp, { type: 'NTFY', status: a.status, routingContext: rc === undefined ? undefined : [rc] });
        }
        return;
      case 'state':
        this.log.info({ rc }, `${a.from} -> ${a.to}`);
        if (a.from === 'AS_PENDING' && a.to !== 'AS_ACTIVE') this.discardPending(as);
        this.emit('as-state', rc, a.to, a.from);
        if (as.cfg.pointCodes?.length && (a.to === 'AS_ACTIVE' || a.from === 'AS_ACTIVE')) this.announce(as, a.to === 'AS_ACTIVE');
        return;
      case 'aspDeactivated': {
        const asp = this.asps.get(a.asp);
        if (asp && !asp.members.some((m) => m.fsm.asps.get(asp.id) === 'ASP_ACTIVE')) this.setAsp(asp, 'ASP_INACTIVE');
        return;
      }
      case 'startRecovery':
        this.clock.clearTimeout(as.timer);
        as.timer = this.clock.setTimeout(() => {
          as.timer = undefined;
          this.dispatch(as, { name: 'T_RECOVERY_EXPIRY' });
        }, a.ms);
        return;
      case 'stopRecovery':
        this.clock.clearTimeout(as.timer);
        as.timer = undefined;
        return;
    }
  }

  /** An AS serving point codes came or went: tell the ASPs of the other ASes (DAVA/DUNA). */
  private announce(as: As, available: boolean): void {
    const pcs = as.cfg.pointCodes!.map((pc) => ({ mask: 0, pc }));
    for (const other of this.ases) {
      if (other === as) continue;
      this.ssnmTo(other, { type: available ? 'DAVA' : 'DUNA', affectedPointCodes: pcs });
    }
  }
}
