/** Opens the H.248 controller and its bearer port from a parsed `h248:` section (for src/app). */
import type { Registry } from 'prom-client';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { MessageTap } from '../../util/message-tap.js';
import { H248BearerPort } from './bearer.js';
import { parseMid } from './codec.js';
import type { H248Config } from './config.js';
import { H248Controller } from './controller.js';
import type { Mid } from './messages.js';
import { h248Metrics } from './metrics.js';

function midOf(text: string): Mid {
  const m = parseMid(text);
  if (!m) throw new TypeError(`not an H.248 mId: ${text}`);
  return m;
}

/** Binds the socket (SSW_ERR_PORT_IN_USE when taken) and returns the bearer port; close() closes both. */
export async function openH248Bearer(config: H248Config, deps: { log?: Logger; clock?: Clock; registry?: Registry; tap?: MessageTap } = {}): Promise<H248BearerPort> {
  const controller = await H248Controller.open(
    config.gateways.map((g) => ({
      name: g.name,
      mid: midOf(g.mid),
      ...(g.address ? { address: g.address } : {}),
      ...(g.encoding ? { encoding: g.encoding } : {}),
      ...(g.maxVersion ? { maxVersion: g.maxVersion } : {}),
    })),
    { port: config.localPort, address: config.localAddress },
    {
      mid: midOf(config.mid),
      encoding: config.encoding,
      acceptUnknownGateways: config.acceptUnknownGateways,
      policy: config.retransmit,
      replyCacheMs: config.replyCacheMs,
      pendingAfterMs: config.pendingAfterMs,
      segmentTimerMs: config.segmentation.timerMs,
      reassembly: { maxSegments: config.segmentation.maxSegments, maxBytes: config.segmentation.maxBytes },
      ackDelayMs: config.ackDelayMs,
      requestAcks: config.requestAcks,
      mtuBytes: config.mtuBytes,
      inactivityAuditMs: config.inactivityAuditMs,
      ...(deps.log ? { log: deps.log.child({ component: 'h248' }) } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      ...(deps.registry ? { metrics: h248Metrics(deps.registry) } : {}),
      ...(deps.tap ? { tap: deps.tap } : {}),
    },
  );
  return new H248BearerPort(
    controller,
    config.gateways.map((g) => ({ name: g.name, domain: g.domain })),
    { localTemplate: config.localTemplate, ...(deps.log ? { log: deps.log.child({ component: 'h248-bearer' }) } : {}) },
  );
}
