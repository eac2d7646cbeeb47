/**
 * Assembly of the analogue lines: the configured `class5.lines` on the MGCP call agent of the
 * switch, or nothing when there are none. A line whose endpoint is in no MGCP gateway's domain is a
 * configuration error.
 */
import type { Registry } from 'prom-client';
import { SoftswitchError } from '../../errors.js';
import type { BearerPort } from '../../mgcp/bearer-port.js';
import type { MgcpBearerPort } from '../../mgcp/bearer.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Class5Config } from '../config.js';
import { LineService, type PlaceLineCall } from './line-service.js';

export { LineService } from './line-service.js';

export function openLines(
  cfg: Pick<Class5Config, 'lines' | 'linesDefaults'>,
  d: { mgcp?: MgcpBearerPort; bearer?: BearerPort; clock: Clock; logger: Logger; registry: Registry; placeCall: PlaceLineCall },
): LineService | undefined {
  if (cfg.lines.length === 0) return undefined;
  const { mgcp, bearer } = d;
  cfg.lines.forEach((l, i) => {
    if (!mgcp?.peerOf(l.endpoint)) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `class5.lines.${i}.endpoint: "${l.endpoint}" is in the domain of no gateway in mgcp.gateways`);
  });
  return new LineService({
    agent: mgcp!.agent,
    peerOf: (endpoint) => mgcp!.peerOf(endpoint),
    bearer: bearer ?? mgcp!,
    clock: d.clock,
    logger: d.logger,
    registry: d.registry,
    lines: cfg.lines,
    defaults: cfg.linesDefaults,
    placeCall: d.placeCall,
  });
}
