/**
 * RFC 3435 §4.4.6 (and H.248 ServiceChange Restart/Forced): a gateway that restarts endpoints
 * forcibly, or comes back after being disconnected, has lost the connections on them. Calls
 * carried there can no longer pass voice and are released on both sides with Q.850 cause 41
 * (temporary failure); their CDRs say so. A graceful restart lets calls finish.
 */
import type { Logger } from '../util/log.js';
import type { BearerPort, RestartNotice } from '../mgcp/bearer-port.js';
import { endpointMatches } from '../mgcp/endpoint-name.js';
import type { CallManager } from './manager.js';

const CAUSE_TEMPORARY_FAILURE = 41;

export function releaseCallsOnGatewayRestart(bearer: BearerPort, calls: CallManager, logger: Logger): () => void {
  const onRestart = (n: RestartNotice) => {
    if (n.method === 'graceful' || n.method === 'cancel-graceful' || n.connectionsLost === false) return;
    const released = calls.releaseOnEndpoints((ep) => endpointMatches(n.endpoint, ep), CAUSE_TEMPORARY_FAILURE);
    if (released > 0) logger.warn({ gateway: n.gateway, endpoint: n.endpoint, method: n.method, released }, 'media gateway restarted endpoints with calls on them; those calls were released');
  };
  bearer.on('restart', onRestart);
  return () => bearer.off('restart', onRestart);
}
