/**
 * H.248 datagrams to a message tap (the call trail), keyed like MGCP by the bearer's call id
 * (tapKey.mgcp): an H.248 message carries no call id, so the key comes from the side that knows
 * it. A request the bearer sends for a call is tagged with the call's key; its retransmissions
 * and its reply carry the same key; the context ids in that reply are remembered (bounded) so a
 * Notify the gateway later sends in that context, and our reply to it, go to the same call.
 * Datagrams that belong to no call (ServiceChange, audits of idle terminations) are not tapped.
 */
import type { MessageTap } from '../../util/message-tap.js';
import type { Peer } from '../udp-transport.js';
import type { TransactionReply, TransactionRequest } from './messages.js';

/** Contexts remembered per layer (most recent kept): one per active call is plenty. */
const MAX_CONTEXTS = 8192;

export interface H248Tap {
  /** A datagram carrying our request (or its retransmission) for the call `key`. */
  sent(key: string | undefined, datagram: Buffer, to: Peer): void;
  /** The reply to a request tagged `key`: delivered, and its context ids remembered for the call. */
  replyReceived(key: string | undefined, reply: TransactionReply, datagram: Buffer, from: Peer): void;
  /** A request from the gateway: the key of the call whose context it names, if any (tapped as received). */
  requestReceived(request: TransactionRequest, datagram: Buffer, from: Peer): string | undefined;
}

export function h248Tap(tap: MessageTap, local: () => Peer): H248Tap {
  const contexts = new Map<string, string>();
  const ctxKey = (peer: Peer, ctx: number): string => `${peer.address}:${peer.port}/${ctx}`;
  // A datagram holding several transactions of one call is tapped once.
  let last: { bytes: Buffer; key: string } | undefined;
  const deliver = (dir: 'in' | 'out', key: string, bytes: Buffer, peer: Peer): void => {
    if (last && last.bytes === bytes && last.key === key) return;
    last = { bytes, key };
    tap({ key, protocol: 'megaco', dir, bytes, local: local(), remote: { address: peer.address, port: peer.port } });
  };
  return {
    sent(key, datagram, to) {
      if (key !== undefined) deliver('out', key, datagram, to);
    },
    replyReceived(key, reply, datagram, from) {
      if (key === undefined) return;
      for (const a of reply.actions) {
        if (typeof a.contextId !== 'number') continue;
        const k = ctxKey(from, a.contextId);
        contexts.delete(k);
        contexts.set(k, key);
        if (contexts.size > MAX_CONTEXTS) contexts.delete(contexts.keys().next().value as string);
      }
      deliver('in', key, datagram, from);
    },
    requestReceived(request, datagram, from) {
      for (const a of request.actions) {
        if (typeof a.contextId !== 'number') continue;
        const key = contexts.get(ctxKey(from, a.contextId));
        if (key !== undefined) {
          deliver('in', key, datagram, from);
          return key;
        }
      }
      return undefined;
    },
  };
}
