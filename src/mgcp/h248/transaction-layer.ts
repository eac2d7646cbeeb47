/**
 * H.248 transaction layer over UDP (H.248.1 §8, Annex D.1): transaction ids, retransmission
 * with exponential backoff, TransactionPending (LONG-TIMER on receipt, sent for requests still
 * executing), at-most-once execution of incoming requests with cached replies, and
 * TransactionResponseAck both ways (immediate when ImmAckRequired, else piggy-backed on the
 * next message or after a short delay). Transactions for one peer share a datagram when they
 * fit the MTU and go in separate datagrams when they do not. Version 3 segmented replies to our
 * requests are acknowledged segment by segment and reassembled (H.248.1 §8.1.1); replies we
 * send are never segmented (an MGC's replies, to Notify and ServiceChange, are small).
 * It holds no socket: datagrams go out through the injected `send`, time through the Clock.
 */
import { Registry } from 'prom-client';
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { checkEncodable, decode, detectEncoding, encode, type TextEncoding } from './codec.js';
import { ERR, H248_VERSION, MAX_UINT32 } from './constants.js';
import { H248Error } from './errors.js';
import type { H248Tap } from './tap.js';
import {
  errorDescriptor,
  midKey,
  type ActionReply,
  type ActionRequest,
  type AckRange,
  type ErrorDescriptor,
  type Message,
  type Mid,
  type SegmentInfo,
  type Transaction,
  type TransactionReply,
  type TransactionRequest,
} from './messages.js';
import { h248Metrics, type H248Metrics } from './metrics.js';
import { DEFAULT_RETRANSMIT_POLICY, handleTx, newTx, type RetransmitPolicy, type TxEvent, type TxFsm } from './transaction-fsm.js';
import { DEFAULT_REASSEMBLY_LIMITS, SegmentedReply, type ReassemblyLimits } from './segment-reassembly.js';
import type { Peer } from './transport.js';

export interface IncomingRequest {
  readonly request: TransactionRequest;
  readonly from: Peer;
  readonly mid: Mid;
  readonly version: number;
}

/** What a request is answered with: its action replies, or an error for the whole transaction. */
export type RequestAnswer = { readonly actions: readonly ActionReply[] } | { readonly error: ErrorDescriptor };

export type RequestHandler = (req: IncomingRequest) => RequestAnswer | Promise<RequestAnswer>;

export interface TransactionLayerOptions {
  /** Our own message identifier, in the header of everything we send. */
  mid: Mid;
  send(datagram: Buffer, to: Peer): void;
  onRequest: RequestHandler;
  /** Every message decoded (before its transactions are handled): liveness, who sent what. */
  onMessage?(msg: Message, from: Peer): void;
  /** Encoding towards a peer; by default the one the peer last used, else `encoding`. */
  encodingFor?(peer: Peer): TextEncoding | undefined;
  encoding?: TextEncoding;
  clock?: Clock;
  log?: Logger;
  /** Where the layer counts (default: a registry of its own, which nothing serves). */
  metrics?: H248Metrics;
  /** The gateway's name for metric labels (default: the peer's address and port). */
  gatewayName?(peer: Peer): string | undefined;
  policy?: Partial<RetransmitPolicy>;
  /** How long replies are kept for duplicate requests when no TransactionResponseAck comes (D.1.3 LONG-TIMER). */
  replyCacheMs?: number;
  /** A request still executing after this long is answered TransactionPending (§8.2.3). */
  pendingAfterMs?: number;
  /** Acks of replies without ImmAckRequired wait at most this long for a message to ride on. */
  ackDelayMs?: number;
  /** Ask for a TransactionResponseAck on every reply we send (ImmAckRequired, §7.1.1). */
  requestAcks?: boolean;
  /** Transactions for one peer share a datagram up to this size; beyond it each goes alone. */
  mtuBytes?: number;
  firstTransactionId?: number;
  /** Protocol version in the header of what we send (default 1; 3 when the peer negotiated it, for segmentation). */
  version?: number;
  /** Protocol version negotiated with a peer (by ServiceChange), when not `version`. */
  versionFor?(peer: Peer): number | undefined;
  /**
   * v3 segmented replies (H.248.1 §8.1.1): how long to wait for the next segment before the
   * reply is given up as error 459 "Segments not received" (the MGC segmentation timer).
   */
  segmentTimerMs?: number;
  /** Bounds on one reply's reassembly. */
  reassembly?: Partial<ReassemblyLimits>;
  /** The call trail's tap: requests tagged with a call's key, their replies, and the gateway's requests in that call's contexts. */
  tap?: H248Tap;
  /** Called once per request given up for lack of any reply. */
  onGiveUp?(peer: Peer, transactionId: number): void;
}

interface Outgoing {
  readonly id: number;
  readonly peer: Peer;
  readonly request: TransactionRequest;
  readonly bytes: Buffer;
  readonly fsm: TxFsm;
  readonly startedAt: number;
  /** The call trail key of the call this request is for. */
  readonly tapKey?: string;
  timer?: TimerHandle;
  reply?: TransactionReply;
  /** v3: segments of the reply received so far, and the segmentation timer. */
  segments?: SegmentedReply;
  segmentTimer?: TimerHandle;
  resolve(r: TransactionReply): void;
  reject(e: H248Error): void;
}

interface Answer {
  readonly peer: Peer;
  readonly id: number;
  /** The request as received, to tell a retransmission from a new request reusing the id. */
  readonly request?: string;
  /** The reply message, once the handler answered. */
  bytes?: Buffer;
  expiresAt: number;
  /** The call trail key, when the request named a context of a tapped call. */
  tapKey?: string;
  pendingTimer?: TimerHandle;
  pendingsSent: number;
}

const peerKey = (p: Peer): string => `${p.address}|${p.port}`;

/** The largest UDP payload over IPv4. */
const MAX_UDP_PAYLOAD = 65_507;

/** Text an error descriptor's quoted string can carry (no DQUOTE, no control characters), bounded. */
function quotable(text: string): string {
  return text.slice(0, 200).replace(/"/g, "'").replace(/[^\t\x20-\x7e]/g, '?');
}

/** Ids → TransactionResponseAck ranges ("3-5, 7"), ascending. */
export function ackRanges(ids: readonly number[]): AckRange[] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: AckRange[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? { first: sorted[i] } : { first: sorted[i], last: sorted[j] });
    i = j + 1;
  }
  return out;
}

export class TransactionLayer {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly m: H248Metrics;
  private readonly policy: RetransmitPolicy;
  private readonly replyCacheMs: number;
  private readonly pendingAfterMs: number;
  private readonly ackDelayMs: number;
  private readonly mtu: number;
  private readonly version: number;
  private readonly segmentTimerMs: number;
  private readonly reassembly: ReassemblyLimits;
  private nextId: number;
  private readonly outgoing = new Map<number, Outgoing>();
  /** Incoming requests by sender mId and transaction id: executing, or answered and cached. */
  private readonly answers = new Map<string, Answer>();
  /** Replies we completed on, to acknowledge their retransmissions again. */
  private readonly completed = new Map<number, number>();
  /** Reply ids to acknowledge, per peer, with the timer that flushes them. */
  private readonly acks = new Map<string, { peer: Peer; ids: number[]; timer?: TimerHandle }>();
  private readonly peerEncoding = new Map<string, TextEncoding>();
  private sweepTimer?: TimerHandle;
  private closed = false;

  constructor(private readonly opts: TransactionLayerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.m = opts.metrics ?? h248Metrics(new Registry());
    this.policy = { ...DEFAULT_RETRANSMIT_POLICY, ...opts.policy };
    this.replyCacheMs = opts.replyCacheMs ?? 30_000;
    this.pendingAfterMs = opts.pendingAfterMs ?? 200;
    this.ackDelayMs = opts.ackDelayMs ?? 100;
    this.mtu = opts.mtuBytes ?? 1400;
    this.version = opts.version ?? H248_VERSION;
    this.segmentTimerMs = opts.segmentTimerMs ?? 5000;
    this.reassembly = { ...DEFAULT_REASSEMBLY_LIMITS, ...opts.reassembly };
    this.nextId = opts.firstTransactionId ?? 1 + Math.floor(Math.random() * 1_000_000_000);
  }

  /** Outgoing requests not yet answered. */
  get pending(): number {
    return this.outgoing.size;
  }

  /** Incoming requests executing or with a reply kept for duplicates. */
  get cachedAnswers(): number {
    return this.answers.size;
  }

  encodingFor(peer: Peer): TextEncoding {
    return this.opts.encodingFor?.(peer) ?? this.peerEncoding.get(peerKey(peer)) ?? this.opts.encoding ?? 'pretty';
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_UINT32 ? 1 : id + 1;
      if (!this.outgoing.has(id)) return id;
    }
  }

  private message(transactions: Transaction[], to: Peer): Message {
    return { type: 'message', version: this.opts.versionFor?.(to) ?? this.version, mid: this.opts.mid, transactions };
  }

  /**
   * Sends a transaction request and resolves with its reply, whatever it holds (errors in the
   * reply are the caller's to judge); rejects with H248Error `timeout` when the peer never
   * answers, `invalid` when the request cannot be encoded, `closed` when the layer closes first.
   */
  request(to: Peer, actions: readonly ActionRequest[], tapKey?: string): Promise<TransactionReply> {
    if (this.closed) return Promise.reject(new H248Error('closed', undefined, 'transaction layer closed'));
    const id = this.allocateId();
    const request: TransactionRequest = { type: 'request', id, actions };
    const msg = this.message([request], to);
    const why = checkEncodable(msg);
    if (why) return Promise.reject(new H248Error('invalid', undefined, why, id));
    const bytes = encode(msg, { encoding: this.encodingFor(to) });
    if (bytes.length > MAX_UDP_PAYLOAD) return Promise.reject(new H248Error('invalid', undefined, `request of ${bytes.length} bytes does not fit a UDP datagram`, id));
    return new Promise<TransactionReply>((resolve, reject) => {
      const o: Outgoing = {
        id,
        peer: to,
        request,
        bytes,
        fsm: newTx(this.policy),
        startedAt: this.clock.now(),
        ...(tapKey !== undefined ? { tapKey } : {}),
        resolve,
        reject,
      };
      this.outgoing.set(id, o);
      this.run(o, { type: 'SEND_REQ' });
    });
  }

  private gatewayLabel(peer: Peer): string {
    return this.opts.gatewayName?.(peer) ?? `${peer.address}:${peer.port}`;
  }

  private run(o: Outgoing, event: TxEvent): void {
    for (const a of handleTx(o.fsm, event, this.policy)) {
      switch (a.kind) {
        case 'send':
          if (a.retransmission) {
            this.m.retransmissions.inc({ gateway: this.gatewayLabel(o.peer) });
            this.log.debug({ transactionId: o.id, peer: o.peer }, 'h248 retransmit');
            this.opts.send(o.bytes, o.peer);
            this.opts.tap?.sent(o.tapKey, o.bytes, o.peer);
          } else this.transmit(o.peer, o.request, o.bytes, o.tapKey);
          break;
        case 'start-timer':
          o.timer = this.clock.setTimeout(() => this.run(o, { type: 'TIMER_EXPIRY' }), a.ms);
          break;
        case 'stop-timer':
          this.clock.clearTimeout(o.timer);
          o.timer = undefined;
          break;
        case 'ack':
          this.completed.set(o.id, this.clock.now() + this.replyCacheMs);
          this.scheduleSweep();
          this.queueAck(o.peer, o.id, a.immediate);
          break;
        case 'complete': {
          this.outgoing.delete(o.id);
          const reply = o.reply as TransactionReply;
          this.m.transactions.inc({ outcome: reply.error || reply.actions.some((x) => x.error) ? 'rejected' : 'ok', gateway: this.gatewayLabel(o.peer) });
          this.m.transactionSeconds.observe((this.clock.now() - o.startedAt) / 1000);
          o.resolve(reply);
          break;
        }
        case 'fail':
          this.outgoing.delete(o.id);
          this.m.transactions.inc({ outcome: 'timeout', gateway: this.gatewayLabel(o.peer) });
          this.log.warn({ transactionId: o.id, peer: o.peer, reason: a.reason }, 'h248 transaction gave up');
          o.reject(new H248Error('timeout', a.reason === 'pending-limit' ? ERR.PENDING_EXCEEDED : undefined, a.reason, o.id));
          if (a.reason === 'no-reply') this.opts.onGiveUp?.(o.peer, o.id);
          break;
      }
    }
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends one transaction (already encoded alone as `bytes`) to `peer`, with the
   * acknowledgements waiting for that peer in the same datagram when both fit the MTU.
   */
  private transmit(peer: Peer, t: Transaction, bytes: Buffer, tapKey?: string): void {
    const pending = this.takeAcks(peer);
    if (!pending) {
      this.opts.send(bytes, peer);
      this.opts.tap?.sent(tapKey, bytes, peer);
      return;
    }
    this.m.acks.inc({ direction: 'sent' });
    const ack: Transaction = { type: 'ack', ranges: ackRanges(pending) };
    const combined = encode(this.message([ack, t], peer), { encoding: this.encodingFor(peer) });
    if (combined.length <= this.mtu) {
      this.opts.send(combined, peer);
      this.opts.tap?.sent(tapKey, combined, peer);
      return;
    }
    this.opts.send(encode(this.message([ack], peer), { encoding: this.encodingFor(peer) }), peer);
    this.opts.send(bytes, peer);
    this.opts.tap?.sent(tapKey, bytes, peer);
  }

  private queueAck(peer: Peer, id: number, immediate: boolean): void {
    const key = peerKey(peer);
    let q = this.acks.get(key);
    if (!q) this.acks.set(key, (q = { peer, ids: [] }));
    if (q.ids.length < 1000) q.ids.push(id);
    if (immediate) this.flushAcks(key);
    else q.timer ??= this.clock.setTimeout(() => this.flushAcks(key), this.ackDelayMs);
  }

  private takeAcks(peer: Peer): number[] | undefined {
    const key = peerKey(peer);
    const q = this.acks.get(key);
    if (!q || q.ids.length === 0) return undefined;
    this.clock.clearTimeout(q.timer);
    this.acks.delete(key);
    return q.ids;
  }

  private flushAcks(key: string): void {
    const q = this.acks.get(key);
    if (!q || this.closed) return;
    const ids = this.takeAcks(q.peer);
    if (!ids) return;
    this.m.acks.inc({ direction: 'sent' });
    this.opts.send(encode(this.message([{ type: 'ack', ranges: ackRanges(ids) }], q.peer), { encoding: this.encodingFor(q.peer) }), q.peer);
  }

  // ---------------------------------------------------------------- receiving

  /** Feeds one received datagram (one message, Annex D.1). */
  receive(datagram: Buffer, from: Peer): void {
    if (this.closed) return;
    const d = decode(datagram);
    if (d.type === 'error') {
      this.m.decodeErrors.inc({ code: String(d.code) });
      this.log.debug({ from, code: d.code, reason: d.reason, offset: d.offset }, 'h248 decode error');
      for (const t of d.transactions ?? []) this.onTransaction(t, from, d.mid as Mid, d.version ?? H248_VERSION, datagram);
      if (d.mid && d.transactionId !== undefined && d.inRequest) {
        // §8.2.2: a request that cannot be parsed is answered with error 403 for its transaction.
        this.answerError(from, d.mid, d.transactionId, errorDescriptor(ERR.SYNTAX_IN_TRANSACTION, quotable(d.reason)));
      } else if (d.mid && d.transactionId === undefined && !d.transactions) {
        // §8.2.2: nothing could be read past the header; answer at message level.
        this.opts.send(encode({ type: 'message', version: this.opts.versionFor?.(from) ?? this.version, mid: this.opts.mid, error: errorDescriptor(ERR.SYNTAX_IN_MESSAGE, quotable(d.reason)), transactions: [] }, { encoding: this.encodingFor(from) }), from);
      }
      return;
    }
    this.peerEncoding.set(peerKey(from), detectEncoding(datagram));
    this.opts.onMessage?.(d, from);
    if (d.error) {
      this.log.warn({ from, mid: d.mid, code: d.error.code, text: d.error.text }, 'h248 peer reports a message error');
      return;
    }
    for (const t of d.transactions) this.onTransaction(t, from, d.mid, d.version, datagram);
  }

  private onTransaction(t: Transaction, from: Peer, mid: Mid, version: number, datagram: Buffer): void {
    switch (t.type) {
      case 'request':
        this.onRequest(t, from, mid, version, datagram);
        break;
      case 'reply':
        if (t.segment) this.onSegment(t, t.segment, from, version, datagram);
        else this.onReply(t, from, datagram);
        break;
      case 'segmentReply':
        // We never segment what we send, so nobody should acknowledge segments of ours.
        this.log.debug({ from, transactionId: t.id, segment: t.segment.number }, 'h248 SegmentReply for a reply we did not segment; dropped');
        break;
      case 'pending': {
        this.m.pendings.inc({ direction: 'received' });
        const o = this.outgoing.get(t.id);
        if (o && o.peer.address === from.address) this.run(o, { type: 'RX_PENDING' });
        break;
      }
      case 'ack':
        this.m.acks.inc({ direction: 'received' });
        this.onAck(t.ranges, mid);
        break;
    }
  }

  private onReply(r: TransactionReply, from: Peer, datagram: Buffer): void {
    const found = this.outgoing.get(r.id);
    // A reply counts only from the address its request went to.
    const o = found && found.peer.address === from.address ? found : undefined;
    if (!o) {
      // Our ack was lost and the peer sent its reply again: acknowledge it again.
      if (this.completed.has(r.id)) {
        this.queueAck(from, r.id, r.immAckRequired === true);
        return;
      }
      this.m.unmatchedReplies.inc();
      this.log.debug({ from, transactionId: r.id, outstandingTo: found?.peer }, 'h248 reply matches no transaction; dropped');
      return;
    }
    o.reply = r;
    this.opts.tap?.replyReceived(o.tapKey, r, datagram, from);
    this.run(o, { type: 'RX_REPLY', immAckRequired: r.immAckRequired === true });
  }

  /**
   * One segment of a v3 segmented reply (H.248.1 §8.1.1): acknowledged at once with a
   * SegmentReply (END on the last), held until every segment is here, then delivered as one
   * reply. A segment stops the request's retransmission (the peer has it); the segmentation
   * timer restarts with each new segment and, when it runs out, the request fails with 459.
   */
  private onSegment(r: TransactionReply, seg: SegmentInfo, from: Peer, version: number, datagram: Buffer): void {
    const size = datagram.length;
    const found = this.outgoing.get(r.id);
    const o = found && found.peer.address === from.address ? found : undefined;
    if (!o) {
      if (this.completed.has(r.id)) {
        // A segment sent again after the reply was complete: our SegmentReply or ack was lost.
        this.m.segments.inc({ outcome: 'duplicate' });
        this.sendSegmentReply(from, r.id, seg, version);
        if (seg.complete) this.queueAck(from, r.id, r.immAckRequired === true);
        return;
      }
      this.m.unmatchedReplies.inc();
      this.log.debug({ from, transactionId: r.id, segment: seg.number }, 'h248 reply segment matches no transaction; dropped');
      return;
    }
    this.opts.tap?.replyReceived(o.tapKey, r, datagram, from);
    o.segments ??= new SegmentedReply(o.id, this.reassembly);
    const out = o.segments.add(r, size);
    if (out.kind === 'refused') {
      this.m.segments.inc({ outcome: 'refused' });
      this.log.warn({ transactionId: o.id, peer: o.peer, segment: seg.number, reason: out.reason }, 'h248 segmented reply refused; the request fails');
      this.finishSegmented(o);
      this.m.transactions.inc({ outcome: 'rejected' });
      o.reject(new H248Error('invalid', undefined, `segmented reply refused: ${out.reason}`, o.id));
      return;
    }
    this.m.segments.inc({ outcome: out.kind === 'duplicate' ? 'duplicate' : 'new' });
    this.sendSegmentReply(from, r.id, seg, version);
    if (out.kind === 'duplicate') return;
    this.clock.clearTimeout(o.timer);
    o.timer = undefined;
    this.clock.clearTimeout(o.segmentTimer);
    o.segmentTimer = undefined;
    if (out.kind === 'complete') {
      o.reply = out.reply;
      this.run(o, { type: 'RX_REPLY', immAckRequired: out.reply.immAckRequired === true });
      return;
    }
    o.segmentTimer = this.clock.setTimeout(() => this.segmentsLost(o), this.segmentTimerMs);
  }

  private segmentsLost(o: Outgoing): void {
    o.segmentTimer = undefined;
    if (this.outgoing.get(o.id) !== o) return;
    const missing = o.segments?.missing() ?? [];
    this.m.segments.inc({ outcome: 'lost' });
    this.m.transactions.inc({ outcome: 'timeout' });
    this.log.warn(
      { transactionId: o.id, peer: o.peer, received: o.segments?.received, missing },
      'h248 segmented reply incomplete when the segmentation timer ran out (459); check the path MTU and the MG segmentation settings',
    );
    this.finishSegmented(o);
    o.reject(new H248Error('timeout', ERR.SEGMENTS_NOT_RECEIVED, `segments not received (missing ${missing.join(',') || 'the last'})`, o.id));
  }

  private finishSegmented(o: Outgoing): void {
    this.clock.clearTimeout(o.timer);
    this.clock.clearTimeout(o.segmentTimer);
    o.timer = o.segmentTimer = undefined;
    this.outgoing.delete(o.id);
  }

  private sendSegmentReply(to: Peer, id: number, seg: SegmentInfo, version: number): void {
    const segment: SegmentInfo = seg.complete ? { number: seg.number, complete: true } : { number: seg.number };
    const msg: Message = { type: 'message', version: Math.max(version, 3), mid: this.opts.mid, transactions: [{ type: 'segmentReply', id, segment }] };
    this.opts.send(encode(msg, { encoding: this.encodingFor(to) }), to);
  }

  private onAck(ranges: readonly AckRange[], mid: Mid): void {
    const mk = midKey(mid);
    for (const r of ranges) {
      const last = Math.min(r.last ?? r.first, r.first + 1000);
      for (let id = r.first; id <= last; id++) {
        const a = this.answers.get(`${mk}|${id}`);
        // D.1.x: the acknowledged reply need not be kept for duplicates any longer.
        if (a?.bytes) this.answers.delete(`${mk}|${id}`);
      }
    }
  }

  private onRequest(t: TransactionRequest, from: Peer, mid: Mid, version: number, datagram: Buffer): void {
    const key = `${midKey(mid)}|${t.id}`;
    const request = JSON.stringify(t);
    const known = this.answers.get(key);
    if (known && known.peer.address === from.address && known.peer.port === from.port && known.request === request) {
      // §8.2.3 / D.1.3: a duplicate gets the cached reply, or TransactionPending while executing.
      this.m.incoming.inc({ duplicate: 'yes' });
      this.opts.tap?.requestReceived(t, datagram, from);
      if (known.bytes) {
        this.opts.send(known.bytes, from);
        this.opts.tap?.sent(known.tapKey, known.bytes, from);
      } else this.sendPending(known, from);
      return;
    }
    if (known) {
      // Same mId and id but another socket or other content: a peer that restarted and counts its ids from the start again.
      this.log.info({ transactionId: t.id, from }, 'h248 transaction id reused by a new request; executing it');
      this.clock.clearTimeout(known.pendingTimer);
    }
    this.m.incoming.inc({ duplicate: 'no' });
    const tapKey = this.opts.tap?.requestReceived(t, datagram, from);
    const entry: Answer = { peer: from, id: t.id, request, expiresAt: Infinity, pendingsSent: 0, ...(tapKey !== undefined ? { tapKey } : {}) };
    this.answers.set(key, entry);
    this.schedulePending(entry);
    const answer = (a: RequestAnswer): void => {
      this.clock.clearTimeout(entry.pendingTimer);
      entry.pendingTimer = undefined;
      let reply: TransactionReply =
        'error' in a
          ? { type: 'reply', id: t.id, ...(this.opts.requestAcks ? { immAckRequired: true } : {}), error: a.error, actions: [] }
          : { type: 'reply', id: t.id, ...(this.opts.requestAcks ? { immAckRequired: true } : {}), actions: a.actions };
      if (checkEncodable(this.message([reply], from))) {
        this.log.error({ transactionId: t.id, why: checkEncodable(this.message([reply], from)) }, 'h248 reply cannot be encoded');
        reply = { type: 'reply', id: t.id, error: errorDescriptor(ERR.INTERNAL, 'Internal software failure'), actions: [] };
      }
      entry.bytes = encode(this.message([reply], from), { encoding: this.encodingFor(from) });
      if (entry.bytes.length > MAX_UDP_PAYLOAD) {
        // v1 has no segmentation: a reply no datagram can carry becomes error 533 (H.248.1 §14.2).
        this.log.error({ transactionId: t.id, bytes: entry.bytes.length }, 'h248 reply larger than a UDP datagram');
        reply = { type: 'reply', id: t.id, error: errorDescriptor(ERR.RESPONSE_TOO_LARGE, 'Response exceeds maximum transport PDU size'), actions: [] };
        entry.bytes = encode(this.message([reply], from), { encoding: this.encodingFor(from) });
      }
      entry.expiresAt = this.clock.now() + this.replyCacheMs;
      this.scheduleSweep();
      if (!this.closed) this.transmit(from, reply, entry.bytes, entry.tapKey);
    };
    const fail = (e: unknown): void => {
      this.log.error({ err: e, transactionId: t.id }, 'h248 request handler failed');
      answer({ error: errorDescriptor(ERR.INTERNAL, 'Internal software failure') });
    };
    try {
      const result = this.opts.onRequest({ request: t, from, mid, version });
      if (result instanceof Promise) result.then(answer, fail);
      else answer(result);
    } catch (e) {
      fail(e);
    }
  }

  /** A request that could not be parsed: its error reply, cached like any other. */
  private answerError(from: Peer, mid: Mid, id: number, error: ErrorDescriptor): void {
    const key = `${midKey(mid)}|${id}`;
    const known = this.answers.get(key);
    if (known?.bytes) {
      this.opts.send(known.bytes, from);
      return;
    }
    const bytes = encode(this.message([{ type: 'reply', id, error, actions: [] }], from), { encoding: this.encodingFor(from) });
    this.answers.set(key, { peer: from, id, bytes, expiresAt: this.clock.now() + this.replyCacheMs, pendingsSent: 0 });
    this.scheduleSweep();
    this.opts.send(bytes, from);
  }

  private schedulePending(entry: Answer): void {
    entry.pendingTimer = this.clock.setTimeout(() => {
      entry.pendingTimer = undefined;
      if (entry.bytes || this.closed) return;
      this.sendPending(entry, entry.peer);
      // Keep the peer's LONG-TIMER from running out while we still work, within its pending limit.
      if (entry.pendingsSent < this.policy.maxPendings) {
        entry.pendingTimer = this.clock.setTimeout(() => {
          entry.pendingTimer = undefined;
          if (!entry.bytes && !this.closed) this.schedulePending(entry);
        }, Math.max(0, this.policy.longTimerMs / 2 - this.pendingAfterMs));
      }
    }, this.pendingAfterMs);
  }

  private sendPending(entry: Answer, to: Peer): void {
    entry.pendingsSent++;
    this.m.pendings.inc({ direction: 'sent' });
    const pending: Transaction = { type: 'pending', id: entry.id };
    this.transmit(to, pending, encode(this.message([pending], to), { encoding: this.encodingFor(to) }), entry.tapKey);
  }

  private scheduleSweep(): void {
    if (this.sweepTimer || this.closed) return;
    this.sweepTimer = this.clock.setTimeout(() => this.sweep(), 1000);
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.clock.now();
    for (const [k, v] of this.answers) if (v.bytes && v.expiresAt <= now) this.answers.delete(k);
    for (const [k, exp] of this.completed) if (exp <= now) this.completed.delete(k);
    if (this.answers.size > 0 || this.completed.size > 0) this.scheduleSweep();
  }

  /**
   * Gives up every request outstanding towards `peer` (it restarted: they will never be answered),
   * rejecting them with H248Error `timeout` without counting the peer unreachable.
   */
  abandon(peer: Peer, why: string): number {
    let n = 0;
    for (const o of [...this.outgoing.values()]) {
      if (o.peer.address !== peer.address || o.peer.port !== peer.port) continue;
      this.clock.clearTimeout(o.timer);
      this.clock.clearTimeout(o.segmentTimer);
      this.outgoing.delete(o.id);
      this.m.transactions.inc({ outcome: 'timeout', gateway: this.gatewayLabel(o.peer) });
      o.reject(new H248Error('timeout', undefined, why, o.id));
      n++;
    }
    return n;
  }

  /** Rejects every outstanding request and stops all timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.sweepTimer);
    for (const q of this.acks.values()) this.clock.clearTimeout(q.timer);
    this.acks.clear();
    for (const a of this.answers.values()) this.clock.clearTimeout(a.pendingTimer);
    for (const o of this.outgoing.values()) {
      this.clock.clearTimeout(o.timer);
      this.clock.clearTimeout(o.segmentTimer);
      o.reject(new H248Error('closed', undefined, 'transaction layer closed', o.id));
    }
    this.outgoing.clear();
    this.answers.clear();
    this.completed.clear();
  }
}
