/**
 * Runs the life cycle machine over one endpoint of the npm `sctp` package and presents the
 * result as an {@link SctpAssociation}. Used by both the UDP-encapsulated and the raw-IP
 * transports; knows nothing of sockets (the transport passes a release hook).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../util/log.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { SoftswitchError } from '../../errors.js';
import type { SctpAssociation } from './association.js';
import type { PkgAssociation, PkgEndpoint } from './node-sctp.js';
import { DATA_CHUNK_OVERHEAD, SendQueue, type QueuedMessage, type SendSink } from './send-queue.js';
import { lifecycleStep, type LifecycleAction, type LifecycleConfig, type LifecycleContext, type LifecycleEvent } from './lifecycle-fsm.js';
import type { SctpMetrics } from './metrics.js';
import { ABORT_EVENTS, lossReason, type PkgErrorCause } from './loss.js';

/** RFC 4960 §15 Max.Burst (the package's `max_burst`). */
const MAX_BURST = 4;

export interface PackageAssociationOptions extends LifecycleConfig {
  endpoint: PkgEndpoint;
  /** 0 on the passive side: any peer port. */
  remoteSctpPort: number;
  /** Raw IP only: the peer's IPv4 address (UDP mode has one peer per socket). */
  remoteAddress?: string;
  streams: number;
  heartbeatIntervalMs: number;
  pathMaxRetrans: number;
  maxQueued: number;
  description: string;
  localPort: number;
  logger: Logger;
  clock: Clock;
  /** Frees what the transport owns (e.g. closes the UDP socket); called once. */
  release: () => void;
  checksumErrors: () => number;
  metrics: SctpMetrics;
}

export interface SctpAssociationStats {
  state: string;
  attempts: number;
  queued: number;
  sent: number;
  received: number;
  dropped: number;
  /** Received packets the stack could not parse (dropped). */
  malformed: number;
  checksumErrors: number;
}

/** An {@link SctpAssociation} with the transport's own figures. */
export interface SctpTransportAssociation extends SctpAssociation {
  /** Local port actually bound (the UDP port in UDP mode, the SCTP port in raw mode). */
  readonly localPort: number;
  stats(): SctpAssociationStats;
}

export class PackageAssociation extends EventEmitter implements SctpTransportAssociation {
  readonly description: string;
  readonly localPort: number;
  private ctx: LifecycleContext = { state: 'idle', attempts: 0 };
  private current: PkgAssociation | undefined;
  private timer: TimerHandle | undefined;
  private readonly queue: SendQueue;
  private pendingBytes = 0;
  private resetScheduled = false;
  private shutdownWanted = false;
  private released = false;
  private readonly waiters: (() => void)[] = [];
  private counts = { sent: 0, received: 0, dropped: 0, malformed: 0 };
  private readonly sink: SendSink;
  private readonly log: Logger;

  constructor(private readonly opts: PackageAssociationOptions) {
    super();
    this.description = opts.description;
    this.localPort = opts.localPort;
    this.queue = new SendQueue(opts.maxQueued);
    this.log = opts.logger;
    this.sink = { room: () => this.room(), submit: (m) => this.submit(m) };
    if (opts.passive) opts.endpoint.on('association', (a: PkgAssociation) => this.onIncoming(a));
  }

  get isUp(): boolean {
    return this.ctx.state === 'up';
  }

  get outboundStreams(): number {
    return this.current && this.isUp ? this.current.OS : 0;
  }

  start(): void {
    this.dispatch({ type: this.opts.passive ? 'START_PASSIVE' : 'START_ACTIVE' });
  }

  send(data: Buffer, stream: number, ppid: number): void {
    const state = this.ctx.state;
    if (state === 'down' || state === 'closing') return this.drop(`association ${state}`);
    const limit = this.isUp ? this.outboundStreams : this.opts.streams;
    if (!Number.isInteger(stream) || stream < 0 || stream >= limit) {
      return this.drop(`stream ${stream} outside 0..${limit - 1}`, true);
    }
    if (!this.queue.push({ data, stream, ppid: ppid >>> 0 })) return this.drop('send queue full', true);
    if (this.isUp) this.pump();
  }

  close(): Promise<void> {
    if (this.ctx.state === 'down') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.dispatch({ type: 'CLOSE_REQ' });
    return done;
  }

  abort(reason = 'aborted by user'): void {
    this.dispatch({ type: 'ABORT_REQ', reason });
  }

  stats(): SctpAssociationStats {
    return {
      state: this.ctx.state,
      attempts: this.ctx.attempts,
      queued: this.queue.length,
      ...this.counts,
      checksumErrors: this.opts.checksumErrors(),
    };
  }

  private dispatch(ev: LifecycleEvent): void {
    const step = lifecycleStep(this.ctx, ev, this.opts);
    if (step.next.state !== this.ctx.state) this.log.debug({ from: this.ctx.state, to: step.next.state, ev: ev.type }, 'sctp lifecycle');
    this.ctx = step.next;
    for (const action of step.actions) this.perform(action);
  }

  private perform(action: LifecycleAction): void {
    switch (action.type) {
      case 'associate':
        this.opts.metrics.setupAttempts.inc();
        if (action.attempt > 1) this.log.info({ attempt: action.attempt }, 'sctp INIT unanswered, retrying set-up');
        this.wire(
          this.opts.endpoint.ASSOCIATE({
            remotePort: this.opts.remoteSctpPort,
            remoteAddress: this.opts.remoteAddress,
            OS: this.opts.streams,
            MIS: this.opts.streams,
          }),
        );
        return;
      case 'discard-attempt': {
        const a = this.current;
        this.current = undefined;
        this.pendingBytes = 0;
        if (a && a.state !== 'CLOSED') {
          if (a.peer_tag !== undefined) a.ABORT('set-up abandoned');
          else a._destroy();
        }
        return;
      }
      case 'start-timer': {
        this.opts.clock.clearTimeout(this.timer);
        const ev: LifecycleEvent = action.timer === 'setup' ? { type: 'SETUP_TIMEOUT' } : { type: 'CLOSE_TIMEOUT' };
        this.timer = this.opts.clock.setTimeout(() => {
          this.timer = undefined;
          this.dispatch(ev);
        }, action.ms);
        return;
      }
      case 'stop-timer':
        this.opts.clock.clearTimeout(this.timer);
        this.timer = undefined;
        return;
      case 'notify-up':
        this.log.info({ streams: this.outboundStreams }, 'sctp association up');
        this.emit('up');
        this.pump();
        return;
      case 'notify-down': {
        const dropped = this.queue.clear();
        this.counts.dropped += dropped;
        if (dropped) this.opts.metrics.messagesDropped.inc(dropped);
        this.log.info({ reason: action.reason, dropped }, 'sctp association down');
        this.emit('down', action.reason);
        return;
      }
      case 'notify-setup-failed':
        this.opts.metrics.setupFailures.inc();
        this.emitError(new SoftswitchError('SSW_ERR_SCTP_ASSOC_FAILED', `${this.description}: no answer after ${action.attempts} INIT attempts`));
        return;
      case 'shutdown':
        this.shutdownWanted = true;
        this.maybeShutdown();
        return;
      case 'abort': {
        this.opts.metrics.aborts.inc();
        const a = this.current;
        this.current = undefined;
        if (a && a.state !== 'CLOSED') {
          if (a.peer_tag !== undefined) a.ABORT(action.reason);
          else a._destroy();
        }
        return;
      }
      case 'release':
        if (this.released) return;
        this.released = true;
        this.opts.clock.clearTimeout(this.timer);
        this.current = undefined;
        this.opts.endpoint.DESTROY();
        this.opts.release();
        for (const w of this.waiters.splice(0)) w();
        return;
    }
  }

  private onIncoming(a: PkgAssociation): void {
    const fromPeer =
      (this.opts.remoteSctpPort === 0 || a.remotePort === this.opts.remoteSctpPort) &&
      (this.opts.remoteAddress === undefined || a.remoteAddress === this.opts.remoteAddress);
    if (!fromPeer || this.ctx.state !== 'listening') {
      this.log.warn({ remotePort: a.remotePort, state: this.ctx.state }, 'sctp association refused');
      setImmediate(() => a.ABORT('not expected'));
      return;
    }
    this.wire(a);
  }

  /**
   * The package keeps no retransmission count; its T3-rtx expiry and fast-retransmit methods are
   * wrapped on this association (the package calls both through `this`) to count each event.
   */
  private countRetransmissions(a: PkgAssociation): void {
    const { retransmissions } = this.opts.metrics;
    const expireT3 = a._expireT3;
    const fastRetransmit = a._fastRetransmit;
    if (typeof expireT3 !== 'function' || typeof fastRetransmit !== 'function') return;
    a._expireT3 = function (this: PkgAssociation) {
      // An expiry with nothing in flight retransmits nothing (the package logs it as a bug and returns).
      if (Object.keys((this as unknown as { sent: object }).sent ?? {}).length > 0) retransmissions.inc({ kind: 't3_rtx' });
      return expireT3.call(this);
    };
    a._fastRetransmit = function (this: PkgAssociation) {
      retransmissions.inc({ kind: 'fast' });
      return fastRetransmit.call(this);
    };
  }

  private wire(a: PkgAssociation): void {
    this.current = a;
    a.hb_interval = this.opts.heartbeatIntervalMs;
    a.path_max_retrans = this.opts.pathMaxRetrans;
    this.countRetransmissions(a);
    const mine = () => this.current === a;
    a.once('COMMUNICATION UP', () => mine() && this.dispatch({ type: 'COMM_UP' }));
    // The patched package reports every end of an association here exactly once, after its TCB
    // is gone (an ABORT it sent, e.g. for an empty DATA chunk, included), so M3UA hears of it at once.
    a.on('COMMUNICATION LOST', (event?: string, causes?: PkgErrorCause[]) => {
      if (!mine()) return;
      if (event && ABORT_EVENTS.has(event)) this.opts.metrics.aborts.inc();
      this.dispatch({ type: 'COMM_LOST', reason: lossReason(event, causes) });
    });
    a.on('SHUTDOWN COMPLETE', () => mine() && this.dispatch({ type: 'SHUTDOWN_COMPLETE' }));
    a.on('RESTART', () => mine() && this.emit('restart'));
    a.on('DATA ARRIVE', (stream: number) => {
      const data = a.RECEIVE();
      if (!data || !mine()) return;
      this.counts.received++;
      this.opts.metrics.messagesReceived.inc();
      this.emit('message', data, stream, data.ppid ?? 0);
    });
    a.on('sack', () => {
      if (mine()) this.pump();
    });
  }

  /**
   * RFC 4960 §6.1 B: new data may go while less than cwnd is outstanding, the last chunk
   * exceeding cwnd by at most PMTU−1 bytes (without that, the window is never "fully utilized"
   * and §7.2.1 never lets cwnd grow); rule A: never beyond the peer's rwnd; §6.1 D: at most
   * Max.Burst packets of new data per send opportunity (one bundling pass of the package).
   */
  private room(): number {
    const a = this.current;
    if (!a) return 0;
    const used = a.flightsize + this.pendingBytes;
    const cwndRoom = used < a.cwnd ? a.cwnd + a.PMTU - 1 - used : 0;
    const burstRoom = MAX_BURST * a.PMTU - this.pendingBytes;
    return Math.min(cwndRoom, a.peer_rwnd - used, burstRoom);
  }

  private submit(msg: QueuedMessage): boolean {
    const a = this.current;
    if (!a) return false;
    let refused: Error | undefined;
    let returned = false;
    a.send(msg.data, { stream_id: msg.stream, ppid: msg.ppid }, (err) => {
      if (!returned && err) refused = err;
    });
    returned = true;
    if (refused) {
      this.log.debug({ err: refused.message }, 'sctp stack refused a message; it stays queued');
      return false;
    }
    this.pendingBytes += msg.data.length + DATA_CHUNK_OVERHEAD;
    this.counts.sent++;
    this.opts.metrics.messagesSent.inc();
    if (!this.resetScheduled) {
      this.resetScheduled = true;
      // Runs after the package's bundling (scheduled earlier in the same turn) has moved
      // these bytes into flightsize.
      setImmediate(() => {
        this.resetScheduled = false;
        this.pendingBytes = 0;
        this.pump();
      });
    }
    return true;
  }

  private pump(): void {
    const a = this.current;
    const state = this.ctx.state;
    if (!a || (state !== 'up' && state !== 'closing')) return;
    if (a.state !== 'ESTABLISHED') return;
    this.queue.pump(this.sink, () => a.flightsize === 0 && this.pendingBytes === 0);
    this.maybeShutdown();
  }

  private maybeShutdown(): void {
    const a = this.current;
    if (!this.shutdownWanted || !a || this.queue.length > 0 || a.state !== 'ESTABLISHED') return;
    this.shutdownWanted = false;
    a.SHUTDOWN();
  }

  /** A received packet the package could not parse was dropped. */
  noteMalformed(err: unknown): void {
    this.counts.malformed++;
    this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'sctp malformed packet dropped');
  }

  private drop(why: string, report = false): void {
    this.counts.dropped++;
    this.opts.metrics.messagesDropped.inc();
    this.log.debug({ why }, 'sctp message dropped');
    if (report) this.emitError(new Error(`${this.description}: message dropped: ${why}`));
  }

  private emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.log.warn({ err: err.message }, 'sctp error (no listener)');
  }
}
