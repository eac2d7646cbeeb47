/**
 * Holds transactions and matches incoming messages to them (RFC 3261 §17.1.3, §17.2.3). Live
 * server transactions are counted apart from finished ones: a finished transaction only has to
 * repeat its final response (or absorb) until its timer would end it, so it is kept as a few
 * hundred bytes in a bounded store instead of a full transaction with timers.
 */
import { BRANCH_COOKIE, T1, T4 } from '../constants.js';
import { parseCSeq, parseNameAddr, parseVia } from '../header-values.js';
import type { Endpoint, SipMessage, SipRequest, SipResponse } from '../message.js';
import { detachedString } from '../../util/detached-string.js';
import { FifoMap } from '../../util/fifo-map.js';
import { ExpiringFifo } from './expiring-fifo.js';
import { cookieServerKey, sentByKey } from './keys.js';
import type { TransactionKind, TxEvent } from './fsm.js';
import { Transaction, type TransactionDeps, type TransactionUser } from './transaction.js';

/** §17.1.3: top Via branch plus CSeq method. */
export function clientKey(msg: SipRequest | SipResponse): string | undefined {
  const via = parseVia(msg.headers.get('via') ?? '');
  const cseq = parseCSeq(msg.headers.get('cseq') ?? '');
  if (!via?.branch || !cseq) return undefined;
  return `${via.branch}|${cseq.method === 'ACK' ? 'INVITE' : cseq.method}`;
}

/**
 * What a server key takes from a top Via (sent-by, branch), for the last Via text seen: a request's
 * key is asked for several times while it is handled (matching, the transaction, the dialog), and
 * the Via's parse was a share of every one (strings only, so nothing a caller holds can change it).
 */
const lastVia: { text: string; parts: { sentBy: string; branch?: string } | undefined } = { text: '', parts: undefined };
export function topViaOf(text: string): { sentBy: string; branch?: string } | undefined {
  if (text === lastVia.text) return lastVia.parts;
  const via = parseVia(text);
  lastVia.text = text;
  lastVia.parts = via && { sentBy: sentByKey(via.host, via.port), branch: via.branch };
  return lastVia.parts;
}

/**
 * §17.2.3: branch, sent-by and method (ACK matches its INVITE). Without the RFC 3261 cookie,
 * the RFC 2543 fallback of Call-ID, From tag, CSeq number and top Via.
 */
export function serverKey(req: SipRequest, methodOverride?: string): string | undefined {
  const via = topViaOf(req.headers.get('via') ?? '');
  if (!via) return undefined;
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const sentBy = via.sentBy;
  if (via.branch?.startsWith(BRANCH_COOKIE)) return cookieServerKey(via.branch, sentBy, method);
  const cseq = parseCSeq(req.headers.get('cseq') ?? '');
  const fromTag = parseNameAddr(req.headers.get('from') ?? '')?.tag ?? '';
  return `2543|${req.headers.get('call-id') ?? ''}|${fromTag}|${cseq?.seq ?? ''}|${sentBy}|${via.branch ?? ''}|${method}`;
}

export function responseEvent(kind: TransactionKind, status: number): TxEvent {
  if (status < 200) return 'RECV_1XX';
  if (kind === 'ict' && status < 300) return 'RECV_2XX';
  return 'RECV_FINAL';
}

export function tuResponseEvent(kind: TransactionKind, status: number): TxEvent {
  if (status < 200) return 'TU_1XX';
  if (kind === 'ist' && status < 300) return 'TU_2XX';
  return 'TU_FINAL';
}

/**
 * What a finished server transaction leaves behind: the final response to repeat, or nothing
 * (absorb silently). Encoded bytes are kept as a latin1 string, one flat object on the JS heap:
 * as a Buffer each held a share of an 8 KiB pool slab alive (measured 9,470 slabs, 78 MB
 * outside the heap, for 39,000 payloads of ~300 bytes).
 */
interface Finished {
  payload: string | SipMessage | undefined;
  dest: Endpoint;
}

export interface TransactionLayerLimits {
  /** Finished server transactions remembered for their retransmissions (default 200,000). */
  maxCompleted?: number;
  /** Bytes those may hold, roughly (default 64 MiB). */
  maxCompletedBytes?: number;
  /**
   * INVITE server transactions holding a non-2xx final and retransmitting it until the ACK
   * (Completed, §17.2.1) kept as full transactions (default 5,000). Beyond it the oldest goes
   * to the compact store: it stops Timer G but still answers a retransmitted INVITE and absorbs the ACK.
   */
  maxUnacknowledged?: number;
  /** Told when a finished transaction is forgotten before its timer (the store was full). */
  onEvicted?: () => void;
}

/** Distinct peers the finished store shares Endpoint objects for (then it starts again). */
const MAX_INTERNED_PEERS = 4096;

/** Rough bytes of a compact entry beyond its payload: the Map slot, the entry objects, the key as UTF-16. */
const ENTRY_OVERHEAD = 160;

export class TransactionLayer {
  private readonly clients = new Map<string, Transaction>();
  /** Server transactions in Trying/Proceeding: what the flood bound counts. */
  private readonly live = new Map<string, Transaction>();
  /**
   * INVITE server transactions in Completed (non-2xx sent, Timer G until the ACK), oldest first:
   * the oldest is retired when over the cap (a FifoMap reads it without walking deleted entries).
   */
  private readonly unacknowledged = new FifoMap<string, Transaction>();
  /** Finished server transactions, compact: §17.2.1 Confirmed (Timer I), §17.2.2 Completed (Timer J). */
  private readonly finished: ExpiringFifo<Finished>;
  private readonly maxUnacknowledged: number;
  private readonly peers = new Map<string, Endpoint>();

  constructor(
    private readonly deps: TransactionDeps,
    limits: TransactionLayerLimits = {},
  ) {
    this.maxUnacknowledged = Math.max(0, limits.maxUnacknowledged ?? 5_000);
    this.finished = new ExpiringFifo<Finished>({
      clock: deps.clock,
      maxEntries: Math.max(1, limits.maxCompleted ?? 200_000),
      maxBytes: limits.maxCompletedBytes ?? 64 * 1024 * 1024,
      cost: (key, f) => ENTRY_OVERHEAD + 2 * key.length + (typeof f.payload === 'string' ? f.payload.length : f.payload ? 1024 : 0),
      onRemove: (_k, _v, cause) => {
        if (cause === 'evicted') limits.onEvicted?.();
      },
    });
  }

  /**
   * clients: client transactions; servers: live server transactions (Trying/Proceeding), the
   * count a flood bound applies to; unacknowledged: INVITE servers retransmitting a non-2xx final;
   * completed/completedBytes: the compact store of finished ones.
   */
  get size(): { clients: number; servers: number; unacknowledged: number; completed: number; completedBytes: number } {
    return { clients: this.clients.size, servers: this.live.size, unacknowledged: this.unacknowledged.size, completed: this.finished.size, completedBytes: this.finished.bytes };
  }

  /** Starts a client transaction for req (its top Via must carry a branch) and sends it. */
  startClient(req: SipRequest, dest: Endpoint, tu: TransactionUser): Transaction {
    const key = clientKey(req) ?? `nokey|${Math.random()}`;
    const kind: TransactionKind = req.method === 'INVITE' ? 'ict' : 'nict';
    const tx = new Transaction(kind, key, req, dest, this.deps, this.wrap(tu, key, this.clients));
    this.clients.set(key, tx);
    tx.handle('START');
    return tx;
  }

  /** Creates the server transaction for a new request and passes it up. */
  startServer(req: SipRequest, responseDest: Endpoint, tu: TransactionUser): Transaction | undefined {
    const key = serverKey(req);
    if (!key) return undefined;
    const kind: TransactionKind = req.method === 'INVITE' ? 'ist' : 'nist';
    this.finished.delete(key);
    const tx = new Transaction(kind, key, req, responseDest, this.deps, this.wrap(tu, key, this.live, this.unacknowledged));
    this.live.set(key, tx);
    tx.handle('START', req);
    return tx;
  }

  /** Sends a TU response through its server transaction. */
  respond(tx: Transaction, res: SipResponse): boolean {
    const handled = tx.handle(tuResponseEvent(tx.kind, res.status), res);
    if (handled) this.settle(tx);
    return handled;
  }

  /** Delivers a response to its client transaction; false when none matches (e.g. a 2xx retransmission). */
  receiveResponse(res: SipResponse): boolean {
    const key = clientKey(res);
    const tx = key ? this.clients.get(key) : undefined;
    if (!tx) return false;
    tx.handle(responseEvent(tx.kind, res.status), res);
    return true;
  }

  /** Absorbs a retransmitted request or an ACK for a non-2xx final; false when no transaction matches. */
  receiveRequest(req: SipRequest): boolean {
    const key = serverKey(req);
    if (!key) return false;
    const tx = this.live.get(key) ?? this.unacknowledged.get(key);
    if (tx) {
      // An ACK to a 2xx has its own branch (§17.1.1.3), so a matching ACK here is for a non-2xx.
      tx.handle(req.method === 'ACK' ? 'RECV_ACK' : 'RECV_REQUEST', req);
      this.settle(tx);
      return true;
    }
    const done = this.finished.get(key);
    if (!done) return false;
    // Completed NIST / an unacknowledged IST moved here: repeat the final; Confirmed IST and any ACK: absorb.
    if (req.method !== 'ACK' && done.payload) this.resend(done);
    return true;
  }

  /** Whether a server transaction with this key (serverKey) is live, awaiting its ACK or finished and remembered. */
  holdsServer(key: string): boolean {
    return this.live.has(key) || this.unacknowledged.has(key) || this.finished.has(key);
  }

  /** §9.2: the INVITE server transaction a CANCEL refers to. */
  findInviteFor(cancel: SipRequest): Transaction | undefined {
    const key = serverKey(cancel, 'INVITE');
    return key ? (this.live.get(key) ?? this.unacknowledged.get(key)) : undefined;
  }

  closeAll(): void {
    for (const tx of [...this.clients.values(), ...this.live.values(), ...this.unacknowledged.values()]) tx.abort();
    this.clients.clear();
    this.live.clear();
    this.unacknowledged.clear();
    this.finished.clear();
  }

  /**
   * Moves a server transaction to where its state says it belongs: a Completed INVITE server to
   * the retransmitting set; a Completed non-INVITE or Confirmed INVITE server to the compact store
   * for the rest of Timer J (64*T1) or Timer I (T4), its timers stopped.
   */
  private settle(tx: Transaction): void {
    if (tx.kind === 'nist' && tx.state === 'completed') return this.retire(tx, this.payloadOf(tx), 64 * T1);
    if (tx.kind !== 'ist') return;
    if (tx.state === 'confirmed') return this.retire(tx, undefined, T4);
    if (tx.state === 'completed' && this.live.get(tx.key) === tx) {
      this.live.delete(tx.key);
      this.unacknowledged.set(tx.key, tx);
      while (this.unacknowledged.size > this.maxUnacknowledged) {
        const oldest = this.unacknowledged.oldestValue() as Transaction;
        // What is left of Timer H: the peer may still retransmit the INVITE that long.
        this.retire(oldest, this.payloadOf(oldest), 64 * T1);
      }
    }
  }

  /**
   * One Endpoint object per distinct peer for the finished store: its entries live 64*T1, and a
   * trunk's calls come from a handful of addresses (an object and an address string per entry
   * were two more of the ~200,000 things each mark-compact traced at 3,000 calls/s). Bounded: a
   * spray of sources only refills it.
   */
  private peerOf(e: Endpoint): Endpoint {
    const key = `${e.transport ?? ''} ${e.port} ${e.address}`;
    let peer = this.peers.get(key);
    if (!peer) {
      if (this.peers.size >= MAX_INTERNED_PEERS) this.peers.clear();
      peer = e.transport === undefined ? { address: detachedString(e.address), port: e.port } : { address: detachedString(e.address), port: e.port, transport: e.transport };
      this.peers.set(key, peer);
    }
    return peer;
  }

  private retire(tx: Transaction, payload: Finished['payload'], ttlMs: number): void {
    if (this.live.get(tx.key) === tx) this.live.delete(tx.key);
    if (this.unacknowledged.get(tx.key) === tx) this.unacknowledged.delete(tx.key);
    // §17.2.1, §17.2.2: over TCP/TLS Timers I and J are zero, nothing is kept to absorb retransmissions.
    // The key is kept 64*T1: a copy that does not hold the request's text (util/detached-string.ts).
    if (!tx.reliable) this.finished.set(detachedString(tx.key), { payload, dest: this.peerOf(tx.peer) }, ttlMs);
    tx.abort();
  }

  /**
   * §17.1.4, §17.2.4: the transport could not deliver to `peer` (a TCP/TLS connection failed):
   * every transaction sending there gets TRANSPORT_ERROR (a client's TU hears 503, §8.1.3.1).
   */
  failPeer(peer: Endpoint): number {
    const same = (e: Endpoint) => e.address === peer.address && e.port === peer.port && (e.transport ?? 'udp') === (peer.transport ?? 'udp');
    let n = 0;
    for (const tx of [...this.clients.values(), ...this.live.values(), ...this.unacknowledged.values()]) {
      if (!same(tx.peer)) continue;
      if (tx.handle('TRANSPORT_ERROR')) n++;
      if (!tx.terminated) this.settle(tx);
    }
    return n;
  }

  private payloadOf(tx: Transaction): Finished['payload'] {
    const last = tx.lastResponse;
    if (!last) return undefined;
    return this.deps.encode ? this.deps.encode(last).toString('latin1') : last;
  }

  private resend(f: Finished): void {
    if (typeof f.payload === 'string') this.deps.sendEncoded?.(Buffer.from(f.payload, 'latin1'), f.dest);
    else if (f.payload) this.deps.send(f.payload, f.dest);
  }

  private wrap(tu: TransactionUser, key: string, ...maps: Array<Pick<Map<string, Transaction>, 'get' | 'delete'>>): TransactionUser {
    return {
      passUp: (msg, tx) => tu.passUp?.(msg, tx),
      timeout: (tx) => tu.timeout?.(tx),
      transportError: (tx) => tu.transportError?.(tx),
      terminated: (tx) => {
        for (const map of maps) if (map.get(key) === tx) map.delete(key);
        tu.terminated?.(tx);
      },
    };
  }
}
