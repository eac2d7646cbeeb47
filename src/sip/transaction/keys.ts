/**
 * How server transactions are keyed (RFC 3261 §17.2.3), in one place for everything that matches
 * a request to one: the transaction layer (layer.ts serverKey) and the overload fast paths that
 * look at raw INVITE bytes before it (shed-fast-path.ts, udp-thread/edge-shed.ts).
 */

/** sent-by as a key part: the host in lower case and the port, 5060 when absent. */
export function sentByKey(host: string, port: number | undefined): string {
  return `${host.toLowerCase()}:${port ?? 5060}`;
}

/** The key of a request whose top Via branch carries the RFC 3261 magic cookie: branch, sent-by and method (an ACK's is INVITE). */
export function cookieServerKey(branch: string, sentBy: string, method: string): string {
  return `${branch}|${sentBy}|${method}`;
}
