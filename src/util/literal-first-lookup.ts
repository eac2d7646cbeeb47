/**
 * A dgram socket's name lookup (createSocket's `lookup` option) for sockets that send to address
 * literals: a literal is its own answer at once, where dns.lookup defers every send to the next
 * tick (a closure, a nextTick and a trip through the tick queue per datagram; on the SIP fast path
 * that was a third of a 503's cost). Names still go to dns.lookup.
 */
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

export function literalFirstLookup(hostname: string, options: LookupOneOptions | number, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}
