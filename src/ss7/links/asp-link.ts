/**
 * The switch's side of SIGTRAN: one M3UA ASP per signalling gateway, each on its own SCTP
 * association (SCTP over UDP, RFC 6951), kept up with reconnection and backoff, used together
 * as one MTP-TRANSFER link: MSUs go out on an active ASP whose SG has the destination available
 * (SLS-based choice among several), so losing one SG fails traffic over to the others.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { silentLogger } from '../../util/log.js';
import { M3uaAsp, type M3uaAspOptions, type TransferMeta } from '../m3ua/asp.js';
import type { ProtocolData } from '../m3ua/messages.js';
import type { AspState } from '../m3ua/asp-fsm.js';
import type { DestinationChange } from '../m3ua/destinations.js';
import type { M3uaAlarm } from '../m3ua/alarms.js';
import type { MtpTransferLink } from '../mtp3/transfer.js';
import type { SctpAssociation } from '../sctp/association.js';

export interface SgEndpoint {
  name: string;
  /** How SCTP reaches the SG: UDP encapsulation (RFC 6951) or raw IP. */
  transport?: 'udp' | 'raw';
  address: string;
  port: number;
  /** SCTP over UDP: the SG's SCTP port when it is not its UDP port (RFC 6951 §5.1). */
  sctpPort?: number;
  localAddress: string;
  localPort: number;
}

export interface AspLinkOptions {
  sgs: SgEndpoint[];
  /** Opens an association toward an SG (SCTP over UDP in labs, raw IP in production). */
  connect: (sg: SgEndpoint) => Promise<SctpAssociation>;
  asp: Omit<M3uaAspOptions, 'association' | 'clock' | 'logger'>;
  clock?: Clock;
  logger?: Logger;
  /** First reconnect delay; doubles to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

interface SgSession {
  sg: SgEndpoint;
  asp?: M3uaAsp;
  state: AspState | 'CONNECTING';
  attempts: number;
  retry?: TimerHandle;
  /** The ASP's raised alarm (unanswered or refused ASPUP/ASPAC), shown to operators until cleared. */
  alarm?: M3uaAlarm;
}

/** Events: 'transfer' (pd, meta), 'destination' (change, sgName), 'state' (sgName, state), 'alarm' (M3uaAlarm, sgName). */
export class AspTransferLink extends EventEmitter implements MtpTransferLink {
  private readonly sessions: SgSession[];
  private readonly clock: Clock;
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly opts: AspLinkOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'sigtran' });
    this.sessions = opts.sgs.map((sg) => ({ sg, state: 'ASP_DOWN', attempts: 0 }));
  }

  start(): void {
    for (const s of this.sessions) void this.open(s);
  }

  private async open(s: SgSession): Promise<void> {
    if (this.stopped) return;
    s.state = 'CONNECTING';
    let assoc: SctpAssociation;
    try {
      assoc = await this.opts.connect(s.sg);
    } catch (err) {
      this.log.error({ err, sg: s.sg.name }, 'cannot open SCTP toward the signalling gateway; will retry');
      return this.scheduleReconnect(s);
    }
    if (this.stopped) {
      void assoc.close();
      return;
    }
    const asp = new M3uaAsp({ ...this.opts.asp, association: assoc, clock: this.clock, logger: this.log.child({ sg: s.sg.name }) });
    s.asp = asp;
    // Events of an ASP whose association was already replaced are stale: only the current one speaks.
    asp.on('transfer', (pd: ProtocolData, meta: TransferMeta) => s.asp === asp && this.emit('transfer', pd, { ...meta, sg: s.sg.name }));
    asp.on('destination', (c: DestinationChange) => s.asp === asp && this.emit('destination', c, s.sg.name));
    asp.on('alarm', (a: M3uaAlarm) => {
      if (s.asp !== asp) return;
      s.alarm = a.raised ? a : undefined;
      this.emit('alarm', a, s.sg.name);
    });
    asp.on('state', (to: AspState) => {
      if (s.asp !== asp) return;
      s.state = to;
      if (to === 'ASP_ACTIVE') s.attempts = 0;
      this.log.info({ sg: s.sg.name, state: to }, 'M3UA ASP state');
      this.emit('state', s.sg.name, to);
    });
    assoc.on('down', (reason: string) => {
      if (s.asp !== asp || this.stopped) return;
      this.log.warn({ sg: s.sg.name, reason }, 'SCTP association to the signalling gateway lost; reconnecting');
      s.asp = undefined;
      s.state = 'ASP_DOWN';
      this.emit('state', s.sg.name, 'ASP_DOWN');
      void asp.stop().catch(() => undefined);
      this.scheduleReconnect(s);
    });
    asp.start();
  }

  private scheduleReconnect(s: SgSession): void {
    if (this.stopped) return;
    const base = this.opts.backoffMs ?? 1000;
    const delay = Math.min(base * 2 ** Math.min(s.attempts, 10), this.opts.maxBackoffMs ?? 30_000);
    s.attempts++;
    s.state = 'ASP_DOWN';
    this.clock.clearTimeout(s.retry);
    s.retry = this.clock.setTimeout(() => void this.open(s), delay);
  }

  private activeAsps(): M3uaAsp[] {
    const out: M3uaAsp[] = [];
    for (const s of this.sessions) if (s.asp?.isActive) out.push(s.asp);
    return out;
  }

  /** Sends via an ASP that is active and whose SG reports the destination available. */
  sendTransfer(pd: ProtocolData): boolean {
    const usable = this.activeAsps().filter((a) => a.destinations.isAvailable(pd.dpc));
    if (usable.length === 0) return false;
    return usable[pd.sls % usable.length].sendTransfer(pd);
  }

  canReach(pointCode: number): boolean {
    return this.activeAsps().some((a) => a.destinations.isAvailable(pointCode));
  }

  /** Congestion level toward the destination as the SGs report it (SCON), for call admission. */
  congestionLevel(pointCode: number): number {
    const levels = this.activeAsps().map((a) => a.destinations.congestionLevel(pointCode));
    return levels.length ? Math.min(...levels) : 0;
  }

  status(): Array<{ sg: string; address: string; state: string; alarm?: string }> {
    return this.sessions.map((s) => ({ sg: s.sg.name, address: `${s.sg.address}:${s.sg.port}`, state: s.state, ...(s.alarm ? { alarm: s.alarm.message } : {}) }));
  }

  /** ASPIA/ASPDN and SCTP SHUTDOWN on every association. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.sessions) this.clock.clearTimeout(s.retry);
    await Promise.all(this.sessions.map((s) => s.asp?.stop().catch(() => undefined)));
  }
}
