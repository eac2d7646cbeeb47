/** Holds live transactions and matches incoming messages to them (RFC 3261 §17.1.3, §17.2.3). */
import { BRANCH_COOKIE } from '../constants.js';
import { parseCSeq, parseNameAddr, parseVia } from '../header-values.js';
import type { Endpoint, SipRequest, SipResponse } from '../message.js';
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
 * §17.2.3: branch, sent-by and method (ACK matches its INVITE). Without the RFC 3261 cookie,
 * the RFC 2543 fallback of Call-ID, From tag, CSeq number and top Via.
 */
export function serverKey(req: SipRequest, methodOverride?: string): string | undefined {
  const via = parseVia(req.headers.get('via') ?? '');
  if (!via) return undefined;
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? 5060}`;
  if (via.branch?.startsWith(BRANCH_COOKIE)) return `${via.branch}|${sentBy}|${method}`;
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

export class TransactionLayer {
  private readonly clients = new Map<string, Transaction>();
  private readonly servers = new Map<string, Transaction>();

  constructor(private readonly deps: TransactionDeps) {}

  get size(): { clients: number; servers: number } {
    return { clients: this.clients.size, servers: this.servers.size };
  }

  /** Starts a client transaction for req (its top Via must carry a branch) and sends it. */
  startClient(req: SipRequest, dest: Endpoint, tu: TransactionUser): Transaction {
    const key = clientKey(req) ?? `nokey|${Math.random()}`;
    const kind: TransactionKind = req.method === 'INVITE' ? 'ict' : 'nict';
    const tx = new Transaction(kind, key, req, dest, this.deps, this.wrap(tu, this.clients, key));
    this.clients.set(key, tx);
    tx.handle('START');
    return tx;
  }

  /** Creates the server transaction for a new request and passes it up. */
  startServer(req: SipRequest, responseDest: Endpoint, tu: TransactionUser): Transaction | undefined {
    const key = serverKey(req);
    if (!key) return undefined;
    const kind: TransactionKind = req.method === 'INVITE' ? 'ist' : 'nist';
    const tx = new Transaction(kind, key, req, responseDest, this.deps, this.wrap(tu, this.servers, key));
    this.servers.set(key, tx);
    tx.handle('START', req);
    return tx;
  }

  /** Sends a TU response through its server transaction. */
  respond(tx: Transaction, res: SipResponse): boolean {
    return tx.handle(tuResponseEvent(tx.kind, res.status), res);
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
    const tx = key ? this.servers.get(key) : undefined;
    if (!tx) return false;
    // An ACK to a 2xx has its own branch (§17.1.1.3), so a matching ACK here is for a non-2xx.
    tx.handle(req.method === 'ACK' ? 'RECV_ACK' : 'RECV_REQUEST', req);
    return true;
  }

  /** §9.2: the INVITE server transaction a CANCEL refers to. */
  findInviteFor(cancel: SipRequest): Transaction | undefined {
    const key = serverKey(cancel, 'INVITE');
    return key ? this.servers.get(key) : undefined;
  }

  closeAll(): void {
    for (const tx of [...this.clients.values(), ...this.servers.values()]) tx.abort();
    this.clients.clear();
    this.servers.clear();
  }

  private wrap(tu: TransactionUser, map: Map<string, Transaction>, key: string): TransactionUser {
    return {
      passUp: (msg, tx) => tu.passUp?.(msg, tx),
      timeout: (tx) => tu.timeout?.(tx),
      transportError: (tx) => tu.transportError?.(tx),
      terminated: (tx) => {
        if (map.get(key) === tx) map.delete(key);
        tu.terminated?.(tx);
      },
    };
  }
}
