/**
 * RFC 3435 §4.4.6 (and H.248 ServiceChange Restart/Forced): a gateway that restarts endpoints
 * forcibly, or comes back after being disconnected, has lost the connections on them. Calls
 * carried there can no longer pass voice and are released on both sides with Q.850 cause 41
 * (temporary failure); their CDRs say so. A graceful restart lets calls finish.
 */
import type { Logger } from '../util/log.js';
import type { BearerConnection, BearerPort, RestartNotice } from '../mgcp/bearer-port.js';
import { endpointMatches } from '../mgcp/endpoint-name.js';
import type { CallManager } from './manager.js';

const CAUSE_TEMPORARY_FAILURE = 41;

export function releaseCallsOnGatewayRestart(bearer: BearerPort, calls: CallManager, logger: Logger): () => void {
  const onRestart = (n: RestartNotice & { connections?: readonly BearerConnection[] }) => {
    if (n.method === 'graceful' || n.method === 'cancel-graceful' || n.method === 'failover' || n.method === 'handoff' || n.connectionsLost === false) return;
    // H.248 names the connections it lost; MGCP names endpoints (possibly wildcarded).
    const lost = n.connections ? new Set(n.connections.map((c) => c.endpoint.toLowerCase())) : undefined;
    if (lost && lost.size === 0) return;
    const released = calls.releaseOnEndpoints((ep) => (lost ? lost.has(ep.toLowerCase()) : endpointMatches(n.endpoint, ep)), CAUSE_TEMPORARY_FAILURE);
    if (released > 0) logger.warn({ gateway: n.gateway, endpoint: n.endpoint, method: n.method, released }, 'media gateway restarted endpoints with calls on them; those calls were released');
  };
  bearer.on('restart', onRestart);
  return () => bearer.off('restart', onRestart);
}

/**
 * A gateway found down (no answer to commands or keepalive audits, or RSIP forced): the calls
 * through its endpoints cannot be trusted to pass voice, and nothing would end them; they are
 * released on both sides with cause 41 and their CDRs written.
 */
export function releaseCallsOnGatewayDown(
  health: { onDown(fn: (gateway: string, why: string) => void): void },
  domainOf: (gateway: string) => string | undefined,
  calls: CallManager,
  logger: Logger,
): void {
  health.onDown((gateway, why) => {
    const domain = domainOf(gateway)?.toLowerCase();
    if (!domain) return;
    const released = calls.releaseOnEndpoints((ep) => ep.toLowerCase().endsWith(`@${domain}`), CAUSE_TEMPORARY_FAILURE);
    if (released > 0) logger.warn({ gateway, why, released }, 'media gateway down with calls on it; those calls were released');
  });
}
