/** The `sip.dns` section as a {@link ServerLocator}. */
import type { Registry } from 'prom-client';
import type { Clock } from '../../util/clock.js';
import type { SipConfig } from '../config.js';
import { ServerLocator } from './locator.js';

export type SipDnsConfig = SipConfig['dns'];

export function locatorFromConfig(c: SipDnsConfig, deps: { clock: Clock; registry: Registry; ipv6Socket: boolean; random?: () => number }): ServerLocator {
  return new ServerLocator({
    clock: deps.clock,
    registry: deps.registry,
    servers: c.servers,
    timeoutMs: c.timeoutMs,
    tries: c.tries,
    recordTtlS: c.recordTtlS,
    negativeTtlS: c.negativeTtlS,
    maxCacheEntries: c.maxCacheEntries,
    failedHoldMs: c.failedTargetHoldS * 1000,
    noResponseFailoverMs: c.noResponseFailoverMs,
    // A udp4 socket cannot send to IPv6, nor udp6 (not dual-stack here) to IPv4-mapped forms reliably.
    families: deps.ipv6Socket ? [6] : c.ipv6 ? [4, 6] : [4],
    random: deps.random,
  });
}
