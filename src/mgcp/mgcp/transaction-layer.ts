/**
 * MGCP transaction layer over an unreliable datagram service (RFC 3435 §3.5): transaction ids,
 * retransmission with backoff from a per-gateway round-trip estimate, provisional responses,
 * at-most-once execution of incoming commands with a response cache, and response
 * acknowledgements (three-way handshake). Incoming commands pass a screen (`admit`) before
 * anything else. It holds no socket: datagrams go out through the injected `send`, time through
 * the Clock.
 */
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { isProvisional, MAX_TRANSACTION_ID, PARAM, RC } from './constants.js';
import { checkEncodable, decode, encode, encodeOrReason } from './codec.js';
import { MgcpError } from './errors.js';
import { paramValue, response, type MgcpCommand, type MgcpParam, type MgcpResponse } from './messages.js';
import { Registry } from 'prom-client';
import { mgcpMetrics, type MgcpMetrics } from './metrics.js';
import { FifoMap } from '../../util/fifo-map.js';
import { newEstimate, noteBackoff, observeRtt, rtoOf, type RttEstimate } from './rto.js';
import {
  DEFAULT_RETRANSMIT_POLICY,
  handleTx,
  newTx,
  type RetransmitPolicy,
  type TxEvent,
  type TxFsm,
} from './transaction-fsm.js';

export interface Peer {
  readonly address: string;
  readonly port: number;
}

export interface CommandRequest {
  readonly verb: string;
  readonly endpoint: string;
  readonly params?: readonly MgcpParam[];
  readonly sdp?: string;
}

/** Answers an incoming command; the layer stamps the transaction id and caches the answer. */
export type CommandHandler = (cmd: MgcpCommand, from: Peer) => MgcpResponse | Promise<MgcpResponse>;

/**
 * What to do with an incoming command before duplicate detection: run it, drop it without a word,
 * or send this answer instead (not cached, handler not run). With `cmd` undefined only the source
 * is judged (a datagram not decoded yet, or one that did not decode): anything but 'accept' drops it.
 */
export type AdmitVerdict = 'accept' | 'drop' | MgcpResponse;

export interface TransactionLayerOptions {
  send(datagram: Buffer, to: Peer): void;
  onCommand: CommandHandler;
  clock?: Clock;
  log?: Logger;
  policy?: Partial<RetransmitPolicy>;
  /** How long answers to incoming commands are kept for duplicates (RFC 3435 §3.5.1 T-hist, 30 s). */
  responseCacheMs?: number;
  /**
   * Put a K: list of final responses received into later commands to the same peer
   * (RFC 3435 §3.5.2). Off by default: osmo-mgw answers 539 to a K: parameter.
   */
  piggybackResponseAcks?: boolean;
  firstTransactionId?: number;
  /** Called once per transaction given up for lack of any response. */
  onGiveUp?(peer: Peer, verb: string, endpoint: string): void;
  /** Screens incoming commands; everything is accepted without it. */
  admit?(from: Peer, cmd: MgcpCommand | undefined, datagram?: Uint8Array): AdmitVerdict;
  /**
   * Whether a response from `from` may answer a command sent to `to`; by default only from the
   * same address (a multi-homed gateway may answer from another of its addresses).
   */
  responseFrom?(to: Peer, from: Peer): boolean;
  /** Answers kept for duplicates at most (oldest dropped first); bounds memory under a command flood. */
  maxCachedAnswers?: number;
  /** Where the layer counts (default: a registry of its own, which nothing serves). */
  metrics?: MgcpMetrics;
}

interface Outgoing {
  readonly txid: number;
  readonly verb: string;
  readonly endpoint: string;
  readonly peer: Peer;
  /** peerKey(peer), worked out once. */
  readonly peerKey: string;
  readonly bytes: Buffer;
  readonly fsm: TxFsm;
  readonly startedAt: number;
  timer?: TimerHandle;
  /** A response already gave (or was refused as) a round-trip sample. */
  sampled?: boolean;
  final?: MgcpResponse;
  resolve(r: MgcpResponse): void;
  reject(e: MgcpError): void;
}

interface CachedAnswer {
  bytes?: Buffer;
  expiresAt: number;
  /** A 100 went out while the handler ran: the final answer then asks for a 000 (RFC 3435 §3.5.6). */
  provisionalSent?: boolean;
  /** Retransmission of a final answer that asked for an acknowledgement. */
  timer?: TimerHandle;
  retransmits?: number;
  rtoMs?: number;
  /** The gateway's domain, for the retransmission count. */
  gateway: string;
}

const peerKey = (p: Peer): string => `${p.address}|${p.port}`;

/** The metric label of a gateway: its endpoints' domain (RFC 3435 §2.1.1), lower case; "unknown" without one. */
const gatewayLabel = (endpoint: string): string => {
  const at = endpoint.lastIndexOf('@');
  return at < 0 ? 'unknown' : endpoint.slice(at + 1).toLowerCase().slice(0, 64);
};

/** Parses a ResponseAck value such as "6234-6255, 6257" (RFC 3435 §3.2.2.19), bounded. */
export function parseResponseAck(value: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const part of value.split(',').slice(0, 64)) {
    const m = /^\s*([0-9]{1,9})(?:\s*-\s*([0-9]{1,9}))?\s*$/.exec(part);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi >= lo && hi - lo < 10_000) out.push([lo, hi]);
  }
  return out;
}

export function formatResponseAck(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export class TransactionLayer {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly policy: RetransmitPolicy;
  private readonly cacheMs: number;
  private nextTxid: number;
  private readonly outgoing = new Map<number, Outgoing>();
  private readonly answers = new FifoMap<string, CachedAnswer>();
  private readonly maxAnswers: number;
  /** Round-trip estimate per gateway (peer address and port), for the first retransmission timer. */
  private readonly rtt = new FifoMap<string, RttEstimate>();
  /** Final responses we acknowledged with 000, to re-acknowledge their retransmissions. */
  private readonly acked = new Map<number, { peer: Peer; expiresAt: number }>();
  /** Final responses received per peer, not yet reported in a K: list. */
  private readonly toReport = new Map<string, number[]>();
  private sweepTimer?: TimerHandle;
  private closed = false;
  private readonly m: MgcpMetrics;
  private readonly observeSeconds: (seconds: number) => void;
  /** The last peer a command went to and its key: callers pass the same gateway object again and again. */
  private lastPeer?: Peer;
  private lastAddress = '';
  private lastPort = -1;
  private lastPeerKey = '';

  constructor(private readonly opts: TransactionLayerOptions) {
    this.m = opts.metrics ?? mgcpMetrics(new Registry());
    this.observeSeconds = this.m.mgcpTransactionSeconds.labels({}).observe;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.policy = { ...DEFAULT_RETRANSMIT_POLICY, ...opts.policy };
    this.cacheMs = opts.responseCacheMs ?? 30_000;
    this.maxAnswers = opts.maxCachedAnswers ?? 50_000;
    this.nextTxid = opts.firstTransactionId ?? 1 + Math.floor(Math.random() * 100_000_000);
  }

  /** First retransmission timer the next command to `peer` would use (RFC 3435 §3.5.3). */
  rtoFor(peer: Peer): number {
    return rtoOf(this.rtt.get(this.keyOf(peer)), this.policy);
  }

  private keyOf(peer: Peer): string {
    if (peer === this.lastPeer && peer.address === this.lastAddress && peer.port === this.lastPort) return this.lastPeerKey;
    this.lastPeer = peer;
    this.lastAddress = peer.address;
    this.lastPort = peer.port;
    this.lastPeerKey = peerKey(peer);
    return this.lastPeerKey;
  }

  /** Outgoing transactions not yet completed. */
  get pending(): number {
    return this.outgoing.size;
  }

  private allocateTxid(): number {
    for (;;) {
      const id = this.nextTxid;
      this.nextTxid = id >= MAX_TRANSACTION_ID ? 1 : id + 1;
      if (!this.outgoing.has(id)) return id;
    }
  }

  /**
   * Sends a command and resolves with its final response, whatever the return code; rejects
   * with MgcpError `timeout` when the retransmission budget runs out, `invalid` when the
   * command cannot be encoded, `closed` when the layer closes first.
   */
  request(to: Peer, req: CommandRequest): Promise<MgcpResponse> {
    if (this.closed) return Promise.reject(new MgcpError('closed', undefined, 'transaction layer closed'));
    const txid = this.allocateTxid();
    const key = this.keyOf(to);
    let params: readonly MgcpParam[] = req.params ?? [];
    if (this.opts.piggybackResponseAcks) {
      const ids = this.toReport.get(key);
      if (ids?.length) {
        params = [...params, { name: PARAM.ResponseAck, value: formatResponseAck(ids.splice(0, 32)) }];
      }
    }
    const cmd: MgcpCommand = req.sdp
      ? { type: 'command', verb: req.verb, transactionId: txid, endpoint: req.endpoint, version: '1.0', params, sdp: req.sdp }
      : { type: 'command', verb: req.verb, transactionId: txid, endpoint: req.endpoint, version: '1.0', params };
    const bytes = encodeOrReason(cmd);
    if (typeof bytes === 'string') return Promise.reject(new MgcpError('invalid', undefined, bytes, txid));
    return new Promise<MgcpResponse>((resolve, reject) => {
      const o: Outgoing = {
        txid,
        verb: req.verb,
        endpoint: req.endpoint,
        peer: to,
        peerKey: key,
        bytes,
        fsm: newTx(this.policy, rtoOf(this.rtt.get(key), this.policy)),
        startedAt: this.clock.now(),
        resolve,
        reject,
      };
      this.outgoing.set(txid, o);
      this.run(o, { type: 'SEND_REQ' });
    });
  }

  private run(o: Outgoing, event: TxEvent): void {
    for (const a of handleTx(o.fsm, event, this.policy)) {
      switch (a.kind) {
        case 'send':
          if (a.retransmission) {
            this.m.mgcpRetransmissions.inc({ gateway: gatewayLabel(o.endpoint) });
            this.log.debug({ txid: o.txid, verb: o.verb, endpoint: o.endpoint }, 'mgcp retransmit');
          }
          this.opts.send(o.bytes, o.peer);
          break;
        case 'start-timer':
          o.timer = this.clock.setTimeout(() => this.run(o, { type: 'TIMER_EXPIRY' }), a.ms);
          break;
        case 'stop-timer':
          this.clock.clearTimeout(o.timer);
          o.timer = undefined;
          break;
        case 'send-ack':
          this.acked.set(o.txid, { peer: o.peer, expiresAt: this.clock.now() + this.cacheMs });
          this.scheduleSweep();
          this.opts.send(encode(response(RC.ACK, o.txid, '')), o.peer);
          break;
        case 'complete': {
          this.outgoing.delete(o.txid);
          const final = o.final as MgcpResponse;
          this.m.mgcpTransactionTally.count(gatewayLabel(o.endpoint), o.verb, final.code < 400 ? 'ok' : 'rejected');
          this.observeSeconds((this.clock.now() - o.startedAt) / 1000);
          o.resolve(final);
          break;
        }
        case 'fail':
          this.outgoing.delete(o.txid);
          if (a.reason === 'no-response') noteBackoff(this.estimate(o.peerKey), o.fsm.rtoMs);
          this.m.mgcpTransactionTally.count(gatewayLabel(o.endpoint), o.verb, 'timeout');
          this.log.warn({ txid: o.txid, verb: o.verb, endpoint: o.endpoint, peer: o.peer, reason: a.reason }, 'mgcp transaction gave up');
          o.reject(new MgcpError('timeout', undefined, a.reason, o.txid));
          if (a.reason === 'no-response') this.opts.onGiveUp?.(o.peer, o.verb, o.endpoint);
          break;
      }
    }
  }

  /** Feeds one received datagram. */
  receive(datagram: Buffer, from: Peer): void {
    if (this.closed) return;
    // A datagram that starts with a command from a source the screen refuses is dropped before
    // decoding: a flood of forged commands costs a map lookup each, not a parse.
    const c0 = datagram[0];
    if (this.opts.admit && !(c0 >= 0x30 && c0 <= 0x39) && this.opts.admit(from, undefined, datagram) !== 'accept') return;
    for (const m of decode(datagram)) {
      if (m.type === 'error') {
        this.m.mgcpDecodeErrors.inc({ code: String(m.code) });
        this.log.debug({ from, code: m.code, reason: m.reason }, 'mgcp decode error');
        // RFC 3435 §3.4: a command that cannot be processed is answered with its error code,
        // when it comes from a source that is allowed to send commands at all.
        if (!m.inResponse && m.transactionId !== undefined && (!this.opts.admit || this.opts.admit(from, undefined) === 'accept'))
          this.opts.send(encode(response(m.code, m.transactionId, m.reason)), from);
      } else if (m.type === 'response') {
        this.onResponse(m, from);
      } else {
        this.onCommand(m, from);
      }
    }
  }

  private onResponse(r: MgcpResponse, from: Peer): void {
    if (r.code === RC.ACK) {
      // RFC 3435 §3.5.2: the response acknowledgement ends the three-way handshake.
      this.forget(`${peerKey(from)}|${r.transactionId}`);
      return;
    }
    const found = this.outgoing.get(r.transactionId);
    // A response counts only from the gateway the command went to (RFC 3435 §3.5.2 ties it to the transaction).
    const o = found && this.fromGatewayOf(found.peer, from) ? found : undefined;
    if (!o) {
      // A repeated final response we acknowledged before is acknowledged again, to its gateway only.
      const acked = this.acked.get(r.transactionId);
      if (!isProvisional(r.code) && acked && this.fromGatewayOf(acked.peer, from)) {
        this.opts.send(encode(response(RC.ACK, r.transactionId, '')), from);
        return;
      }
      this.m.mgcpUnmatchedResponses.inc();
      this.log.debug({ from, txid: r.transactionId, code: r.code, outstandingTo: found?.peer }, 'mgcp response matches no transaction; dropped');
      return;
    }
    this.sampleRtt(o);
    if (isProvisional(r.code)) {
      this.run(o, { type: 'RX_PROVISIONAL' });
      return;
    }
    o.final = r;
    if (this.opts.piggybackResponseAcks) {
      const key = o.peerKey;
      const list = this.toReport.get(key) ?? [];
      if (list.length < 256) list.push(r.transactionId);
      this.toReport.set(key, list);
    }
    this.run(o, { type: 'RX_FINAL', ackRequested: paramValue(r, PARAM.ResponseAck) !== undefined });
  }

  private fromGatewayOf(to: Peer, from: Peer): boolean {
    return this.opts.responseFrom ? this.opts.responseFrom(to, from) : to.address === from.address;
  }

  /** One round-trip sample per transaction, from its first response, never after a retransmission (Karn). */
  private sampleRtt(o: Outgoing): void {
    if (o.sampled) return;
    o.sampled = true;
    if (o.fsm.retransmits > 0) noteBackoff(this.estimate(o.peerKey), o.fsm.rtoMs);
    else observeRtt(this.estimate(o.peerKey), this.clock.now() - o.startedAt);
  }

  private estimate(key: string): RttEstimate {
    let est = this.rtt.get(key);
    if (!est) {
      if (this.rtt.size >= 4096) this.rtt.shift();
      est = newEstimate();
      this.rtt.set(key, est);
    }
    return est;
  }

  private forget(key: string): void {
    const entry = this.answers.get(key);
    if (!entry) return;
    this.clock.clearTimeout(entry.timer);
    this.answers.delete(key);
  }

  private onCommand(c: MgcpCommand, from: Peer): void {
    const verdict = this.opts.admit ? this.opts.admit(from, c) : 'accept';
    if (verdict === 'drop') return;
    if (verdict !== 'accept') {
      this.opts.send(encode({ ...verdict, transactionId: c.transactionId }), from);
      return;
    }
    const pk = peerKey(from);
    const k = paramValue(c, PARAM.ResponseAck);
    if (k) for (const [lo, hi] of parseResponseAck(k)) for (let id = lo; id <= hi; id++) this.forget(`${pk}|${id}`);
    const key = `${pk}|${c.transactionId}`;
    const cached = this.answers.get(key);
    if (cached) {
      // RFC 3435 §3.5.1: a duplicate gets the same answer; §3.5.6: 100 while the first is still running.
      this.m.mgcpIncoming.inc({ verb: c.verb, duplicate: 'yes' });
      if (!cached.bytes) cached.provisionalSent = true;
      this.opts.send(cached.bytes ?? encode(response(RC.PROVISIONAL, c.transactionId, 'Pending')), from);
      return;
    }
    this.m.mgcpIncoming.inc({ verb: c.verb, duplicate: 'no' });
    const entry: CachedAnswer = { expiresAt: this.clock.now() + this.cacheMs, gateway: gatewayLabel(c.endpoint) };
    if (this.answers.size >= this.maxAnswers) this.forget(this.answers.oldestKey() as string);
    this.answers.set(key, entry);
    this.scheduleSweep();
    const answer = (r: MgcpResponse): void => {
      if (this.closed) return;
      let stamped: MgcpResponse = { ...r, transactionId: c.transactionId };
      // RFC 3435 §3.5.6: a final answer after a provisional one carries an empty ResponseAck and is
      // repeated until the 000 arrives, since the gateway stopped retransmitting its command.
      if (entry.provisionalSent && !isProvisional(stamped.code))
        stamped = { ...stamped, params: [...stamped.params.filter((x) => x.name !== PARAM.ResponseAck), { name: PARAM.ResponseAck, value: '' }] };
      const bytes = checkEncodable(stamped) ? encode(response(400, c.transactionId, 'Internal error')) : encode(stamped);
      entry.bytes = bytes;
      entry.expiresAt = this.clock.now() + this.cacheMs;
      this.opts.send(bytes, from);
      if (entry.provisionalSent && this.answers.get(key) === entry) {
        entry.retransmits = 0;
        entry.rtoMs = this.rtoFor(from);
        this.repeatAnswer(entry, from);
      }
    };
    let result: MgcpResponse | Promise<MgcpResponse>;
    try {
      result = this.opts.onCommand(c, from);
    } catch (e) {
      this.log.error({ err: e, verb: c.verb }, 'mgcp command handler threw');
      answer(response(400, c.transactionId, 'Internal error'));
      return;
    }
    if (result instanceof Promise) {
      result.then(answer, (e: unknown) => {
        this.log.error({ err: e, verb: c.verb }, 'mgcp command handler failed');
        answer(response(400, c.transactionId, 'Internal error'));
      });
    } else answer(result);
  }

  private repeatAnswer(entry: CachedAnswer, to: Peer): void {
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      if (this.closed || !entry.bytes || (entry.retransmits ?? 0) >= this.policy.maxRetransmits) return;
      entry.retransmits = (entry.retransmits ?? 0) + 1;
      entry.rtoMs = Math.min((entry.rtoMs ?? this.policy.initialRtoMs) * 2, this.policy.maxRtoMs);
      this.m.mgcpRetransmissions.inc({ gateway: entry.gateway });
      this.opts.send(entry.bytes, to);
      this.repeatAnswer(entry, to);
    }, entry.rtoMs ?? this.policy.initialRtoMs);
  }

  private scheduleSweep(): void {
    if (this.sweepTimer || this.closed) return;
    this.sweepTimer = this.clock.setTimeout(() => this.sweep(), 1000);
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.clock.now();
    for (const [k, v] of this.answers) if (v.bytes && v.expiresAt <= now) this.forget(k);
    for (const [k, a] of this.acked) if (a.expiresAt <= now) this.acked.delete(k);
    if (this.answers.size > 0 || this.acked.size > 0) this.scheduleSweep();
  }

  /** Answers held for duplicate detection (for tests and metrics). */
  get cachedAnswers(): number {
    return this.answers.size;
  }

  /** Rejects every outstanding transaction and stops all timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.sweepTimer);
    for (const o of this.outgoing.values()) {
      this.clock.clearTimeout(o.timer);
      o.reject(new MgcpError('closed', undefined, 'transaction layer closed', o.txid));
    }
    this.outgoing.clear();
    for (const a of this.answers.values()) this.clock.clearTimeout(a.timer);
    this.answers.clear();
    this.acked.clear();
  }
}
