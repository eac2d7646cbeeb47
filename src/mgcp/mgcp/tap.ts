/**
 * MGCP datagrams to a message tap (the call trail), keyed by call id: a command carries it in its
 * CallId parameter (C:, RFC 3435 §3.2.2.2); a response carries only the transaction id (§3.5.3),
 * so the call id of each command sent is remembered by transaction id (a bounded FIFO) until its
 * response names it. Reads the first message of a datagram only (piggy-backed ones, §3.5.5, are
 * not split). Never throws.
 */
import type { Peer } from '../udp-transport.js';
import { tapKey, type MessageTap } from '../../util/message-tap.js';

const LF = 0x0a;
const CR = 0x0d;
/** Commands whose responses are still awaited, most recent kept. */
const MAX_OUTSTANDING = 4096;

interface FirstLine {
  command: boolean;
  /** A provisional response (1xx, §2.4): the transaction goes on. */
  provisional: boolean;
  txid: string;
}

function firstLine(buf: Buffer): { line: FirstLine; end: number } | undefined {
  let end = buf.indexOf(LF);
  if (end < 0) end = buf.length;
  const text = buf.toString('latin1', 0, Math.min(end, 200)).replace(/\r$/, '');
  const words = text.split(/[ \t]+/);
  if (words.length < 2) return undefined;
  // §3.2.1 command line: verb txid endpoint version; §3.3 response line: code txid [package] [comment].
  const command = /^[A-Za-z]{4}$/.test(words[0]);
  if (!command && !/^\d{3}$/.test(words[0])) return undefined;
  return { line: { command, provisional: !command && words[0].startsWith('1'), txid: words[1] }, end };
}

/** The value of the C: parameter line of a command, lower-cased; stops at the SDP's empty line. */
function callIdParam(buf: Buffer, from: number): string | undefined {
  let at = from;
  while (at >= 0 && at + 1 < buf.length) {
    const start = at + 1;
    let end = buf.indexOf(LF, start);
    if (end < 0) end = buf.length;
    const stop = end > start && buf[end - 1] === CR ? end - 1 : end;
    if (stop === start) return undefined;
    if ((buf[start] | 0x20) === 0x63 && buf[start + 1] === 0x3a) {
      const v = buf.toString('latin1', start + 2, Math.min(stop, start + 2 + 64)).trim();
      return v ? v.toLowerCase() : undefined;
    }
    at = end < buf.length ? end : -1;
  }
  return undefined;
}

export interface MgcpTap {
  sent(datagram: Buffer, to: Peer): void;
  received(datagram: Buffer, from: Peer): void;
}

export function mgcpTap(tap: MessageTap, local: () => Peer): MgcpTap {
  const outstanding = new Map<string, string>();
  const deliver = (dir: 'in' | 'out', bytes: Buffer, peer: Peer): void => {
    const first = firstLine(bytes);
    if (!first) return;
    let callId: string | undefined;
    const txKey = `${peer.address}:${peer.port}/${first.line.txid}`;
    if (first.line.command) {
      callId = callIdParam(bytes, first.end);
      if (callId !== undefined && dir === 'out') {
        outstanding.delete(txKey);
        outstanding.set(txKey, callId);
        if (outstanding.size > MAX_OUTSTANDING) outstanding.delete(outstanding.keys().next().value as string);
      }
    } else {
      callId = outstanding.get(txKey);
      // A final response ends the transaction (§3.5.3); a provisional one (1xx) does not.
      if (dir === 'in' && callId !== undefined && !first.line.provisional) outstanding.delete(txKey);
    }
    if (callId === undefined) return;
    tap({ key: tapKey.mgcp(callId), protocol: 'mgcp', dir, bytes, local: local(), remote: { address: peer.address, port: peer.port } });
  };
  return {
    sent: (d, to) => deliver('out', d, to),
    received: (d, from) => deliver('in', d, from),
  };
}
