/**
 * Legs on an analogue line of a residential gateway (an MGCP "aaln/N" endpoint hosting a Class 5
 * extension). The line's hook and tones are run by the line service (src/class5/lines); these legs
 * are the call engine's view: the line's media connection on the gateway (CRCX/MDCX/DLCX through
 * the bearer port) and what the call does, told back to the line (ringback, answer, busy...).
 *
 * Originating: the caller went off-hook and dialled; the offer is the SDP of a connection made on
 * the line (recvonly until answer), the answer goes to it with MDCX (sendrecv).
 * Terminating: the line rings; off-hook answers with the SDP of a connection made with the offer.
 */
import type { Logger } from '../../util/log.js';
import type { BearerPort } from '../../mgcp/bearer-port.js';
import { CircuitBearer } from './circuit-bearer.js';
import type { CallParty, LegDetails, LegFailure, OriginatingLeg, OriginatingLegEvents, TerminatingLeg, TerminatingLegEvents } from './leg.js';
import { LegSetupError } from './leg.js';

const CAUSE_NORMAL = 16;
const CAUSE_USER_BUSY = 17;
/** Temporary failure: the line restarted under a ringing call. */
const CAUSE_TEMPORARY_FAILURE = 41;
/** Resources unavailable, unspecified: the line's gateway refused the connection. */
const CAUSE_NO_RESOURCES = 47;

export interface LineLegDeps {
  bearer: BearerPort;
  logger: Logger;
}

/** What an originating line leg tells its line (the tones the caller hears). */
export interface LineCallSignals {
  progress(alerting: boolean, earlyMedia: boolean): void;
  answered(): void;
  failed(cause: number): void;
  released(cause: number): void;
}

export class LineOriginatingLeg implements OriginatingLeg {
  readonly kind = 'line' as const;
  events: OriginatingLegEvents = {};
  readonly settled: Promise<void>;
  private settle!: () => void;
  private readonly media: CircuitBearer;
  private over = false;

  constructor(
    private readonly deps: LineLegDeps,
    readonly endpoint: string,
    bearerCallId: string,
    readonly party: CallParty,
    private readonly line: LineCallSignals,
  ) {
    this.settled = new Promise((r) => (this.settle = r));
    this.media = new CircuitBearer(deps.bearer, endpoint, bearerCallId, deps.logger);
  }

  details(): LegDetails {
    return { gatewayEndpoint: this.media.endpointSeen ?? this.endpoint };
  }

  async prepareOffer(): Promise<string | undefined> {
    try {
      const conn = await this.media.create('recvonly');
      return conn.localSdp;
    } catch (err) {
      this.deps.logger.warn({ endpoint: this.endpoint, err: err instanceof Error ? err.message : err }, 'the line gateway refused a connection for the caller; check the gateway and its endpoint name');
      throw new LegSetupError(CAUSE_NO_RESOURCES, 'no connection on the line');
    }
  }

  progress(p: { alerting: boolean; sdp?: string }): void {
    if (this.over) return;
    if (p.sdp) void this.media.modify({ mode: 'recvonly', remoteSdp: p.sdp });
    this.line.progress(p.alerting, p.sdp !== undefined);
  }

  async answer(sdp?: string): Promise<boolean> {
    if (this.over) return false;
    await this.media.modify({ mode: 'sendrecv', ...(sdp ? { remoteSdp: sdp } : {}) });
    if (this.over) return false;
    this.line.answered();
    return true;
  }

  reject(failure: LegFailure): void {
    if (this.over) return;
    this.line.failed(failure.cause);
    this.finish();
  }

  release(cause: number): void {
    if (this.over) return;
    this.line.released(cause);
    this.finish();
  }

  renegotiate(offer: string): Promise<string> {
    return this.media.renegotiate(offer);
  }

  /** The caller went on-hook. */
  hangUp(cause = CAUSE_NORMAL): void {
    if (this.over) return;
    this.events.onRelease?.(cause);
    this.finish();
  }

  private finish(): void {
    this.over = true;
    void this.media.delete().finally(() => this.settle());
  }
}

/** How a terminating line leg asks its line to ring, and tells it the call went away. */
export interface LineRinger {
  /** Rings the line; false when it cannot ring now (busy). */
  ring(leg: LineTerminatingLeg): boolean;
  /** The caller gave up before answer. */
  cancelled(leg: LineTerminatingLeg): void;
  /** The other party cleared the answered call, or answering failed. */
  released(leg: LineTerminatingLeg, cause: number): void;
}

export class LineTerminatingLeg implements TerminatingLeg {
  readonly kind = 'line' as const;
  events: TerminatingLegEvents = {};
  readonly settled: Promise<void>;
  private settle!: () => void;
  private readonly media: CircuitBearer;
  private offer?: string;
  private answered = false;
  private over = false;

  constructor(
    private readonly deps: LineLegDeps,
    readonly endpoint: string,
    bearerCallId: string,
    private readonly ringer: LineRinger,
  ) {
    this.settled = new Promise((r) => (this.settle = r));
    this.media = new CircuitBearer(deps.bearer, endpoint, bearerCallId, deps.logger);
  }

  details(): LegDetails {
    return { gatewayEndpoint: this.media.endpointSeen ?? this.endpoint, target: this.endpoint };
  }

  start(offer: string | undefined): void {
    this.offer = offer;
    if (!this.ringer.ring(this)) {
      this.over = true;
      this.settle();
      this.events.onFail?.({ cause: CAUSE_USER_BUSY, sipStatus: 486 });
      return;
    }
    this.events.onProgress?.({ alerting: true });
  }

  /** The line went off-hook while ringing: connect the line and answer. */
  async offHook(): Promise<void> {
    if (this.over || this.answered) return;
    this.answered = true;
    try {
      const conn = await this.media.create(this.offer ? 'sendrecv' : 'recvonly', this.offer);
      if (this.over) return void this.media.delete();
      this.events.onAnswer?.(conn.localSdp);
    } catch (err) {
      this.deps.logger.warn({ endpoint: this.endpoint, err: err instanceof Error ? err.message : err }, 'the line gateway refused a connection on answer; the call fails');
      this.over = true;
      this.ringer.released(this, CAUSE_NO_RESOURCES);
      this.settle();
      this.events.onFail?.({ cause: CAUSE_NO_RESOURCES });
    }
  }

  /** The line went on-hook on the answered call (or the line restarted while ringing: the call fails). */
  hangUp(cause = CAUSE_NORMAL): void {
    if (this.over) return;
    this.over = true;
    if (!this.answered) {
      this.settle();
      return this.events.onFail?.({ cause: CAUSE_TEMPORARY_FAILURE });
    }
    this.events.onRelease?.(cause);
    void this.media.delete().finally(() => this.settle());
  }

  release(cause: number): void {
    if (this.over) return;
    this.over = true;
    if (this.answered) this.ringer.released(this, cause);
    else this.ringer.cancelled(this);
    void this.media.delete().finally(() => this.settle());
  }

  renegotiate(offer: string): Promise<string> {
    return this.media.renegotiate(offer);
  }
}
