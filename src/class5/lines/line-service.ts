/**
 * The runner of the analogue lines (line-fsm.ts) on residential gateways: it turns the gateways'
 * Notify commands (RFC 3435 §2.3.4; the call agent answers them 200) into line events, correlated
 * by request identifier (X:), and carries out the machines' actions: NotificationRequests (R:, S:,
 * D:, X:, Q:), the lines' calls on the call engine (line legs), timers on the injected clock.
 * A gateway's RestartInProgress for a line's endpoint starts that line again.
 */
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { BearerPort } from '../../mgcp/bearer-port.js';
import type { MgcpCallAgent, NotifyEvent, RestartEvent } from '../../mgcp/mgcp/call-agent.js';
import type { Peer } from '../../mgcp/mgcp/transaction-layer.js';
import { MgcpError } from '../../mgcp/mgcp/errors.js';
import { endpointMatches } from '../../mgcp/endpoint-name.js';
import { parseDigitMap, type DigitMap } from '../../mgcp/mgcp/digit-map.js';
import { digitOf, formatRequestedEvents, formatSignals, isEvent, LINE, parseEventList } from '../../mgcp/mgcp/packages.js';
import { bearerCallId } from '../../calls/legs/circuit-bearer.js';
import { LineOriginatingLeg, LineTerminatingLeg, type LineRinger } from '../../calls/legs/line-leg.js';
import type { CallParty, TerminatingLeg } from '../../calls/legs/leg.js';
import { LineFsm, type LineAction, type LineEvent, type LineTimer } from './line-fsm.js';
import type { LineConfig, LinesDefaults } from './config.js';
import { lineMetrics } from './metrics.js';

/** How a line's dialled number becomes a call: the Class 5 dial plan as if the line's extension called. */
export type PlaceLineCall = (line: { tenant: string; extension: string }, dialled: string, makeLeg: (party: CallParty) => LineOriginatingLeg, callId: string) => { refused?: number };

export interface LineServiceDeps {
  agent: MgcpCallAgent;
  /** The gateway (address, port) serving an endpoint. */
  peerOf(endpoint: string): { name: string; peer: Peer } | undefined;
  bearer: BearerPort;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  lines: readonly LineConfig[];
  defaults: LinesDefaults;
  placeCall: PlaceLineCall;
}

/** RFC 3435 §3.2.2.12: process events quarantined before this request, and notify every event (not lockstep). */
const QUARANTINE = 'process,loop';

class LineRunner implements LineRinger {
  readonly fsm: LineFsm;
  private requestSeq = 0;
  /** X: of the request now in force; notifications with another are stale. */
  currentRequest?: string;
  private readonly timers = new Map<LineTimer, TimerHandle>();
  private retry?: TimerHandle;
  private outgoing?: LineOriginatingLeg;
  private incoming?: LineTerminatingLeg;
  private readonly log: Logger;
  private sending: Promise<unknown> = Promise.resolve();
  closed = false;

  constructor(
    readonly cfg: LineConfig,
    private readonly digitMap: DigitMap,
    private readonly d: LineServiceDeps,
  ) {
    this.fsm = new LineFsm({ digitMap, permanentSignalMs: d.defaults.permanentSignalS * 1000 });
    this.log = d.logger.child({ component: 'line', endpoint: cfg.endpoint, tenant: cfg.tenant, extension: cfg.extension });
  }

  dispatch(e: LineEvent): void {
    if (this.closed) return;
    const before = this.fsm.state;
    if (!this.fsm.accepts(e.name)) return this.log.debug({ event: e.name, state: before }, 'line event ignored in this state');
    const actions = this.fsm.handle(e);
    this.log.debug({ event: e.name, from: before, to: this.fsm.state }, 'line event');
    for (const a of actions) this.perform(a);
  }

  private perform(a: LineAction): void {
    const m = lineMetrics(this.d.registry);
    switch (a.kind) {
      case 'request':
        return this.request(a);
      case 'start-timer':
        this.d.clock.clearTimeout(this.timers.get(a.timer));
        this.timers.set(a.timer, this.d.clock.setTimeout(() => this.dispatch({ name: 'TIMER', timer: a.timer }), a.ms));
        return;
      case 'stop-timer':
        this.d.clock.clearTimeout(this.timers.get(a.timer));
        this.timers.delete(a.timer);
        return;
      case 'digit-map':
        m.digitMaps.inc({ outcome: a.outcome });
        if (a.outcome === 'mismatch' || a.outcome === 'partial') this.log.info({ collected: a.collected, outcome: a.outcome }, 'dialled string does not match the line digit map: reorder tone');
        return;
      case 'place-call':
        return this.placeCall(a.dialled);
      case 'hang-up': {
        const out = this.outgoing;
        const inc = this.incoming;
        this.outgoing = undefined;
        this.incoming = undefined;
        out?.hangUp(a.cause);
        inc?.hangUp(a.cause);
        return;
      }
      case 'answer':
        if (this.incoming) void this.incoming.offHook();
        return;
      case 'refuse-incoming':
        return; // the ring() caller reads the refusal
    }
  }

  private request(a: Extract<LineAction, { kind: 'request' }>): void {
    const target = this.d.peerOf(this.cfg.endpoint);
    if (!target) return;
    const requestId = `${(++this.requestSeq).toString(16)}${randomUUID().slice(0, 6)}`;
    this.currentRequest = requestId;
    const req = {
      endpoint: this.cfg.endpoint,
      requestId,
      requestedEvents: formatRequestedEvents(a.events),
      signalRequests: formatSignals(a.signals),
      quarantine: QUARANTINE,
      ...(a.digitMap ? { digitMap: this.digitMap.text } : {}),
    };
    // Requests to one endpoint go one after another, so the gateway sees them in the machine's order.
    this.sending = this.sending.then(() =>
      this.d.agent.notificationRequest(target.peer, req).catch((err: unknown) => {
        const reason = err instanceof MgcpError ? (err.kind === 'rejected' ? String(err.code) : err.kind) : 'error';
        lineMetrics(this.d.registry).requestFailures.inc({ reason });
        if (this.closed || (err instanceof MgcpError && err.kind === 'closed')) return;
        this.log.warn({ reason, err: err instanceof Error ? err.message : err, gateway: target.name }, 'line gateway did not take the notification request; the line is tried again later (check the gateway is up and serves this endpoint)');
        this.d.clock.clearTimeout(this.retry);
        this.retry = this.d.clock.setTimeout(() => {
          this.retry = undefined;
          if (this.currentRequest === requestId) this.dispatch({ name: 'START' });
        }, this.d.defaults.retryS * 1000);
      }),
    );
  }

  private placeCall(dialled: string): void {
    const callId = randomUUID();
    const m = lineMetrics(this.d.registry);
    const signals = {
      progress: (alerting: boolean, earlyMedia: boolean) => this.dispatch({ name: 'CALL_PROGRESS', alerting, earlyMedia }),
      answered: () => this.dispatch({ name: 'CALL_ANSWERED' }),
      failed: (cause: number) => {
        this.outgoing = undefined;
        this.dispatch({ name: 'CALL_FAILED', cause });
      },
      released: (cause: number) => {
        this.outgoing = undefined;
        this.dispatch({ name: 'FAR_RELEASE', cause });
      },
    };
    const r = this.d.placeCall(this.cfg, dialled, (party) => {
      const leg = new LineOriginatingLeg({ bearer: this.d.bearer, logger: this.log }, this.cfg.endpoint, bearerCallId(callId), party, signals);
      this.outgoing = leg;
      return leg;
    }, callId);
    if (r.refused !== undefined) {
      m.calls.inc({ direction: 'originating', outcome: 'refused' });
      this.outgoing = undefined;
      this.dispatch({ name: 'CALL_FAILED', cause: r.refused });
    } else m.calls.inc({ direction: 'originating', outcome: 'placed' });
  }

  /** A call for the extension: a terminating leg that rings this line. */
  terminatingLeg(): TerminatingLeg {
    return new LineTerminatingLeg({ bearer: this.d.bearer, logger: this.log }, this.cfg.endpoint, bearerCallId(randomUUID()), this);
  }

  ring(leg: LineTerminatingLeg): boolean {
    if (this.closed || this.fsm.state !== 'idle' || this.incoming) {
      lineMetrics(this.d.registry).calls.inc({ direction: 'terminating', outcome: 'busy' });
      return false;
    }
    this.incoming = leg;
    lineMetrics(this.d.registry).calls.inc({ direction: 'terminating', outcome: 'rung' });
    this.dispatch({ name: 'INCOMING' });
    return true;
  }

  cancelled(leg: LineTerminatingLeg): void {
    if (this.incoming !== leg) return;
    this.incoming = undefined;
    this.dispatch({ name: 'INCOMING_CANCELLED' });
  }

  released(leg: LineTerminatingLeg, cause: number): void {
    if (this.incoming !== leg) return;
    this.incoming = undefined;
    this.dispatch({ name: 'FAR_RELEASE', cause });
  }

  /** A Notify for this line with the current request id: its events in order, digits as one string. */
  observed(o: string): 'accepted' | 'malformed' {
    const list = parseEventList(o);
    if ('error' in list) {
      this.log.warn({ observedEvents: o.slice(0, 120), error: list.error }, 'line gateway sent an unreadable ObservedEvents list; ignored');
      return 'malformed';
    }
    const m = lineMetrics(this.d.registry);
    let digits = '';
    for (const t of list) {
      const digit = digitOf(t);
      if (digit !== undefined) {
        digits += digit;
        continue;
      }
      if (isEvent(t, LINE.offHook, 'L')) {
        m.lineEvents.inc({ event: 'off-hook' });
        this.dispatch({ name: 'OFF_HOOK' });
      } else if (isEvent(t, LINE.onHook, 'L')) {
        m.lineEvents.inc({ event: 'on-hook' });
        this.dispatch({ name: 'ON_HOOK' });
      } else if (isEvent(t, LINE.flash, 'L')) {
        m.lineEvents.inc({ event: 'flash' });
        this.dispatch({ name: 'FLASH' });
      } else m.lineEvents.inc({ event: 'other' });
    }
    if (digits) {
      m.lineEvents.inc({ event: 'digits' });
      this.dispatch({ name: 'DIGITS', collected: digits });
    }
    return 'accepted';
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) this.d.clock.clearTimeout(t);
    this.d.clock.clearTimeout(this.retry);
    this.outgoing?.hangUp(16);
    this.incoming?.hangUp(16);
  }
}

export class LineService {
  private readonly lines = new Map<string, LineRunner>();
  private readonly byExtension = new Map<string, LineRunner>();
  private readonly onNotify = (e: NotifyEvent) => this.notify(e);
  private readonly onRestart = (e: RestartEvent) => this.restart(e);
  private readonly log: Logger;

  constructor(private readonly d: LineServiceDeps) {
    this.log = d.logger.child({ component: 'lines' });
    for (const cfg of d.lines) {
      const parsed = parseDigitMap(cfg.digitMap ?? d.defaults.digitMap);
      if (!parsed.ok) throw new Error(`line ${cfg.endpoint}: digit map: ${parsed.error}`);
      const runner = new LineRunner(cfg, parsed.map, d);
      this.lines.set(cfg.endpoint.toLowerCase(), runner);
      this.byExtension.set(`${cfg.tenant}\n${cfg.extension}`, runner);
    }
  }

  /** Asks every line's gateway for off-hook (the lines start idle). */
  start(): this {
    this.d.agent.on('notify', this.onNotify);
    this.d.agent.on('restart', this.onRestart);
    for (const l of this.lines.values()) l.dispatch({ name: 'START' });
    if (this.lines.size > 0) this.log.info({ lines: this.lines.size }, 'analogue lines started');
    return this;
  }

  /** A leg that rings the line bound to this extension, or undefined when it has none. */
  legFor(tenant: string, extension: string): (() => TerminatingLeg) | undefined {
    const runner = this.byExtension.get(`${tenant}\n${extension}`);
    return runner && (() => runner.terminatingLeg());
  }

  /** The state of a line (for tests and the admin view). */
  stateOf(endpoint: string): string | undefined {
    return this.lines.get(endpoint.toLowerCase())?.fsm.state;
  }

  private notify(e: NotifyEvent): void {
    const m = lineMetrics(this.d.registry);
    const line = this.lines.get(e.endpoint.toLowerCase());
    if (!line) {
      m.notifications.inc({ result: 'unknown-line' });
      return;
    }
    // RFC 3435 §2.3.4: the RequestIdentifier names the request the events answer.
    if (e.requestId === undefined || e.requestId !== line.currentRequest) {
      m.notifications.inc({ result: 'stale-request' });
      this.log.info({ endpoint: e.endpoint, requestId: e.requestId, current: line.currentRequest }, 'line notification for an older request ignored');
      return;
    }
    m.notifications.inc({ result: line.observed(e.observedEvents ?? '') });
  }

  private restart(e: RestartEvent): void {
    for (const [endpoint, line] of this.lines) {
      if (!endpointMatches(e.endpoint, endpoint)) continue;
      this.log.info({ endpoint, method: e.method }, 'line gateway restarting: the line starts again');
      if (e.method !== 'forced' && e.method !== 'graceful') line.dispatch({ name: 'START' });
    }
  }

  close(): void {
    this.d.agent.off('notify', this.onNotify);
    this.d.agent.off('restart', this.onRestart);
    for (const l of this.lines.values()) l.close();
  }
}
