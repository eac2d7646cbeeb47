/**
 * ASP state machine as seen by the ASP, RFC 4666 §4.3.1 (states) and §4.3.4 (procedures).
 * Pure: `handle(event)` returns actions; the runner (asp.ts) sends, arms timers and reports.
 */
import { REFUSALS, diagnosticType, type AspRequest } from './alarms.js';
import { AsStateInfo, ErrorCode, OtherInfo, StatusType } from './constants.js';
import type { ErrMessage, M3uaMessage, NotifyStatus, NtfyMessage } from './messages.js';

export type AspState = 'ASP_DOWN' | 'ASP_INACTIVE' | 'ASP_ACTIVE';

export type AspEvent =
  | { name: 'M_ASP_UP_REQ' }
  | { name: 'M_ASP_ACTIVE_REQ' }
  | { name: 'M_ASP_INACTIVE_REQ' }
  | { name: 'M_ASP_DOWN_REQ' }
  | { name: 'SCTP_COMM_UP_IND' }
  | { name: 'SCTP_COMM_DOWN_IND' }
  | { name: 'SCTP_RESTART_IND' }
  | { name: 'ASPSM_ASPUP_ACK' }
  | { name: 'ASPSM_ASPDN_ACK' }
  | { name: 'ASPSM_BEAT'; data?: Buffer }
  | { name: 'ASPSM_BEAT_ACK'; data?: Buffer }
  | { name: 'ASPTM_ASPAC_ACK' }
  | { name: 'ASPTM_ASPIA_ACK' }
  | { name: 'MGMT_NTFY'; msg: NtfyMessage }
  | { name: 'MGMT_ERR'; msg: ErrMessage }
  | { name: 'T_ACK_EXPIRY' }
  | { name: 'T_BEAT_EXPIRY' };

export type AspEventName = AspEvent['name'];
export type AspTimer = 'ack' | 'beat';

export type AspAction =
  | { kind: 'send'; msg: M3uaMessage }
  | { kind: 'startTimer'; timer: AspTimer; ms: number }
  | { kind: 'stopTimer'; timer: AspTimer }
  | { kind: 'state'; from: AspState; to: AspState }
  | { kind: 'notify'; status: NotifyStatus; routingContext?: number[] }
  | { kind: 'peerError'; msg: ErrMessage }
  /**
   * Layer-management alarm (RFC 4666 §4.3.4.1: retransmission MAY be put under layer management):
   * raised when a request goes unanswered `ackAlarmAttempts` times or the SG refuses it with ERR;
   * cleared when it is acknowledged or withdrawn. Retries go on meanwhile, at most every `retryMs`.
   */
  | { kind: 'alarm'; raised: boolean; reason: 'timeout' | 'refused'; request: AspRequest; attempts: number; errorCode?: number; retryMs?: number }
  | { kind: 'abort'; reason: string }
  /** The event is not valid in this state: the runner answers ERR Unexpected Message (RFC 4666 §3.8.1). */
  | { kind: 'unexpected'; event: AspEventName };

const ALWAYS: AspEventName[] = [
  'M_ASP_UP_REQ', 'M_ASP_ACTIVE_REQ', 'M_ASP_INACTIVE_REQ', 'M_ASP_DOWN_REQ',
  'SCTP_COMM_UP_IND', 'SCTP_COMM_DOWN_IND', 'SCTP_RESTART_IND',
  'ASPSM_BEAT', 'ASPSM_BEAT_ACK', 'MGMT_NTFY', 'MGMT_ERR', 'T_ACK_EXPIRY', 'T_BEAT_EXPIRY',
  // RFC 4666 §4.3.4.2: the SG may send ASPDN ACK unsolicited (e.g. management blocking).
  'ASPSM_ASPDN_ACK',
];

/** For each state: the events it accepts and the states it may go to (RFC 4666 §4.3.1, Figure 3). */
export const ASP_FSM: Record<AspState, { accepts: readonly AspEventName[]; to: readonly AspState[] }> = {
  ASP_DOWN: { accepts: [...ALWAYS, 'ASPSM_ASPUP_ACK'], to: ['ASP_INACTIVE'] },
  ASP_INACTIVE: { accepts: [...ALWAYS, 'ASPSM_ASPUP_ACK', 'ASPTM_ASPAC_ACK', 'ASPTM_ASPIA_ACK'], to: ['ASP_DOWN', 'ASP_ACTIVE'] },
  ASP_ACTIVE: { accepts: [...ALWAYS, 'ASPTM_ASPAC_ACK', 'ASPTM_ASPIA_ACK'], to: ['ASP_DOWN', 'ASP_INACTIVE'] },
};

export const ASP_STATE_NAMES: Record<AspState, string> = {
  ASP_DOWN: 'ASP-DOWN',
  ASP_INACTIVE: 'ASP-INACTIVE',
  ASP_ACTIVE: 'ASP-ACTIVE',
};

export interface AspFsmConfig {
  routingContexts?: number[];
  trafficMode?: number;
  aspIdentifier?: number;
  /** T(ack): retransmission of ASPUP/ASPAC/ASPIA/ASPDN (RFC 4666 §4.3.4.1, §4.3.4.3), ms. */
  ackTimeoutMs: number;
  /** BEAT interval (RFC 4666 §4.3.4.6); 0 disables heartbeats. */
  beatIntervalMs: number;
  /** Association declared dead after this many BEATs in a row go unanswered. */
  beatMaxMissed: number;
  /** Unanswered sends of one request before the alarm (default 5). */
  ackAlarmAttempts?: number;
  /** Ceiling of the retry interval once alarmed; T(ack) doubles up to it (default 30000 ms). */
  ackMaxIntervalMs?: number;
}

type Request = AspRequest;

export class AspFsm {
  state: AspState = 'ASP_DOWN';
  private assocUp = false;
  private wantUp = false;
  private wantActive = false;
  private pending: Request | undefined;
  private beatOutstanding = 0;
  private beatSeq = 0;
  /** Sends of `pending` so far without an acknowledgement. */
  private attempts = 0;
  private alarm: { request: Request; reason: 'timeout' | 'refused'; errorCode?: number } | undefined;

  constructor(private readonly cfg: AspFsmConfig) {}

  get associationUp(): boolean {
    return this.assocUp;
  }

  handle(ev: AspEvent): AspAction[] {
    if (!ASP_FSM[this.state].accepts.includes(ev.name)) return [{ kind: 'unexpected', event: ev.name }];
    const out: AspAction[] = [];
    switch (ev.name) {
      case 'M_ASP_UP_REQ':
        this.wantUp = true;
        break;
      case 'M_ASP_ACTIVE_REQ':
        this.wantUp = true;
        this.wantActive = true;
        break;
      case 'M_ASP_INACTIVE_REQ':
        this.wantActive = false;
        break;
      case 'M_ASP_DOWN_REQ':
        this.wantUp = false;
        this.wantActive = false;
        break;
      case 'SCTP_COMM_UP_IND':
        this.assocUp = true;
        break;
      case 'SCTP_COMM_DOWN_IND':
        this.assocUp = false;
        this.toDown(out);
        return out;
      case 'SCTP_RESTART_IND':
        // RFC 4666 §4.3.4.1: after an association restart the ASP is ASP-DOWN and starts over with ASPUP.
        this.assocUp = true;
        this.toDown(out);
        break;
      case 'ASPSM_ASPUP_ACK':
        this.acknowledged(out, 'ASPUP');
        if (this.state === 'ASP_DOWN') this.settle(out, 'ASP_INACTIVE');
        else if (this.pending === 'ASPUP') this.clearPending(out);
        if (this.cfg.beatIntervalMs > 0 && this.state !== 'ASP_DOWN') {
          this.beatOutstanding = 0;
          out.push({ kind: 'startTimer', timer: 'beat', ms: this.cfg.beatIntervalMs });
        }
        break;
      case 'ASPSM_ASPDN_ACK':
        if (this.pending === 'ASPDN') this.acknowledged(out, 'ASPDN');
        if (this.pending !== 'ASPDN' && this.wantUp) {
          // Unsolicited: retry ASPUP after T(ack) rather than at once (RFC 4666 §4.3.4.2).
          this.toDown(out);
          out.push({ kind: 'startTimer', timer: 'ack', ms: this.cfg.ackTimeoutMs });
          return out;
        }
        this.toDown(out);
        break;
      case 'ASPTM_ASPAC_ACK':
        this.acknowledged(out, 'ASPAC');
        if (this.state === 'ASP_INACTIVE') this.settle(out, 'ASP_ACTIVE');
        else if (this.pending === 'ASPAC') this.clearPending(out);
        break;
      case 'ASPTM_ASPIA_ACK': {
        const solicited = this.pending === 'ASPIA';
        if (solicited) this.acknowledged(out, 'ASPIA');
        if (this.state === 'ASP_ACTIVE') this.settle(out, 'ASP_INACTIVE');
        else if (solicited) this.clearPending(out);
        if (!solicited && this.wantActive) {
          // RFC 4666 §4.3.4.4: SG-initiated deactivation; ask again after T(ack).
          out.push({ kind: 'startTimer', timer: 'ack', ms: this.cfg.ackTimeoutMs });
          return out;
        }
        break;
      }
      case 'ASPSM_BEAT':
        // RFC 4666 §4.3.4.6: echo the Heartbeat Data unchanged.
        out.push({ kind: 'send', msg: { type: 'BEAT_ACK', heartbeatData: ev.data } });
        return out;
      case 'ASPSM_BEAT_ACK':
        this.beatOutstanding = 0;
        return out;
      case 'MGMT_NTFY':
        out.push({ kind: 'notify', status: ev.msg.status, routingContext: ev.msg.routingContext });
        if (ev.msg.status.type === StatusType.OTHER && ev.msg.status.info === OtherInfo.ALTERNATE_ASP_ACTIVE) {
          // RFC 4666 §4.3.4.3 (Override): another ASP took over; the SG now holds us ASP-INACTIVE.
          this.wantActive = false;
          if (this.state === 'ASP_ACTIVE') this.move(out, 'ASP_INACTIVE');
        }
        return out;
      case 'MGMT_ERR':
        out.push({ kind: 'peerError', msg: ev.msg });
        this.peerError(out, ev.msg);
        return out;
      case 'T_ACK_EXPIRY':
        if (this.pending) {
          // RFC 4666 §4.3.4.1: keep trying, but raise the alarm after N unanswered sends and slow down.
          if (this.attempts >= this.alarmAttempts && this.alarm?.request !== this.pending) {
            this.raise(out, { request: this.pending, reason: 'timeout' }, this.maxIntervalMs);
          }
          this.attempts++;
          out.push({ kind: 'send', msg: this.request(this.pending) });
          out.push({ kind: 'startTimer', timer: 'ack', ms: this.retryInterval(this.attempts) });
          return out;
        }
        break;
      case 'T_BEAT_EXPIRY':
        if (this.state === 'ASP_DOWN' || this.cfg.beatIntervalMs <= 0) return out;
        if (this.beatOutstanding >= this.cfg.beatMaxMissed) {
          out.push({ kind: 'abort', reason: `${this.beatOutstanding} BEAT unanswered` });
          this.assocUp = false;
          this.toDown(out);
          return out;
        }
        this.beatOutstanding++;
        this.beatSeq = (this.beatSeq + 1) >>> 0;
        out.push({ kind: 'send', msg: { type: 'BEAT', heartbeatData: u32(this.beatSeq) } });
        out.push({ kind: 'startTimer', timer: 'beat', ms: this.cfg.beatIntervalMs });
        return out;
    }
    this.drive(out);
    return out;
  }

  /** Issue the next request toward what the layer manager asked for, one at a time. */
  private drive(out: AspAction[]): void {
    if (this.pending || !this.assocUp) return;
    let next: Request | undefined;
    if (this.state === 'ASP_DOWN' && this.wantUp) next = 'ASPUP';
    else if (this.state === 'ASP_INACTIVE') next = !this.wantUp ? 'ASPDN' : this.wantActive ? 'ASPAC' : undefined;
    else if (this.state === 'ASP_ACTIVE' && !this.wantActive) next = 'ASPIA';
    if (!next) return;
    this.pending = next;
    this.attempts = 1;
    out.push({ kind: 'send', msg: this.request(next) });
    out.push({ kind: 'startTimer', timer: 'ack', ms: this.cfg.ackTimeoutMs });
  }

  private request(r: Request): M3uaMessage {
    const rc = this.cfg.routingContexts?.length ? this.cfg.routingContexts : undefined;
    switch (r) {
      case 'ASPUP':
        return { type: 'ASPUP', aspIdentifier: this.cfg.aspIdentifier };
      case 'ASPDN':
        return { type: 'ASPDN' };
      case 'ASPAC':
        return { type: 'ASPAC', trafficMode: this.cfg.trafficMode, routingContext: rc };
      case 'ASPIA':
        return { type: 'ASPIA', routingContext: rc };
    }
  }

  private get alarmAttempts(): number {
    return this.cfg.ackAlarmAttempts ?? 5;
  }

  private get maxIntervalMs(): number {
    return Math.max(this.cfg.ackMaxIntervalMs ?? 30000, this.cfg.ackTimeoutMs);
  }

  /** Delay after the `sent`-th send: T(ack) until the alarm, then doubling up to the ceiling; the ceiling after a refusal. */
  private retryInterval(sent: number): number {
    const alarmed = this.alarm !== undefined && this.alarm.request === this.pending;
    if (alarmed && this.alarm!.reason === 'refused') return this.maxIntervalMs;
    if (sent <= this.alarmAttempts && !alarmed) return this.cfg.ackTimeoutMs;
    const doublings = Math.max(1, sent - this.alarmAttempts);
    return Math.min(this.cfg.ackTimeoutMs * 2 ** Math.min(doublings, 20), this.maxIntervalMs);
  }

  /**
   * ERR from the SG. A refusal of the request in flight (RFC 4666 §4.3.4.1: Refused - Management
   * Blocking, ASP Identifier Required/Invalid; §4.3.4.3: Invalid Routing Context, No Configured AS
   * for ASP, Unsupported Traffic Mode Type) will not change on a retransmission: alarm and retry at
   * the slow interval. The Diagnostic Information, when present, must name that request.
   */
  private peerError(out: AspAction[], msg: ErrMessage): void {
    const pending = this.pending;
    if (!pending) return;
    const about = diagnosticType(msg.diagnostic);
    if (about !== undefined && about !== pending) return;
    if (msg.errorCode === ErrorCode.UNEXPECTED_MESSAGE && about === pending && (pending === 'ASPAC' || pending === 'ASPIA')) {
      // RFC 4666 §4.3.4.3: the SG answers ASPAC from an ASP it holds ASP-DOWN with Unexpected Message;
      // its view is that we are down, so start over with ASPUP.
      this.toDown(out);
      this.drive(out);
      return;
    }
    if (!REFUSALS[pending].includes(msg.errorCode)) return;
    const retryMs = this.maxIntervalMs;
    if (this.alarm?.request !== pending || this.alarm.errorCode !== msg.errorCode) {
      this.raise(out, { request: pending, reason: 'refused', errorCode: msg.errorCode }, retryMs);
    }
    out.push({ kind: 'stopTimer', timer: 'ack' }, { kind: 'startTimer', timer: 'ack', ms: retryMs });
  }

  private raise(out: AspAction[], alarm: NonNullable<AspFsm['alarm']>, retryMs: number): void {
    this.alarm = alarm;
    out.push({ kind: 'alarm', raised: true, ...alarm, attempts: this.attempts, retryMs });
  }

  /** The SG answered `r`: an alarm about it clears. */
  private acknowledged(out: AspAction[], r: Request): void {
    if (this.alarm?.request !== r) return;
    out.push({ kind: 'alarm', raised: false, ...this.alarm, attempts: this.attempts });
    this.alarm = undefined;
  }

  private clearPending(out: AspAction[]): void {
    if (!this.pending) return;
    this.pending = undefined;
    out.push({ kind: 'stopTimer', timer: 'ack' });
  }

  private settle(out: AspAction[], to: AspState): void {
    this.clearPending(out);
    this.move(out, to);
  }

  private move(out: AspAction[], to: AspState): void {
    const from = this.state;
    if (from === to || !ASP_FSM[from].to.includes(to)) return;
    this.state = to;
    out.push({ kind: 'state', from, to });
  }

  private toDown(out: AspAction[]): void {
    if (this.alarm && !this.wantUp) {
      out.push({ kind: 'alarm', raised: false, ...this.alarm, attempts: this.attempts });
      this.alarm = undefined;
    }
    this.pending = undefined;
    this.beatOutstanding = 0;
    out.push({ kind: 'stopTimer', timer: 'ack' }, { kind: 'stopTimer', timer: 'beat' });
    this.move(out, 'ASP_DOWN');
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The AS state an NTFY reports, for logs. */
export function describeStatus(s: NotifyStatus): string {
  if (s.type === StatusType.AS_STATE_CHANGE) {
    return s.info === AsStateInfo.AS_ACTIVE ? 'AS-ACTIVE' : s.info === AsStateInfo.AS_INACTIVE ? 'AS-INACTIVE' : s.info === AsStateInfo.AS_PENDING ? 'AS-PENDING' : `AS-state ${s.info}`;
  }
  return s.info === OtherInfo.ALTERNATE_ASP_ACTIVE ? 'Alternate ASP Active' : s.info === OtherInfo.ASP_FAILURE ? 'ASP Failure' : s.info === OtherInfo.INSUFFICIENT_ASP_RESOURCES ? 'Insufficient ASP resources' : `other ${s.info}`;
}
