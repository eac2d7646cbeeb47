/**
 * SCTP directly over IPv4 (protocol 132) through the package's raw socket. Needs root or
 * CAP_NET_RAW and a host whose kernel does not itself run SCTP; one process-wide raw socket
 * serves every endpoint, and two userspace stacks on one host see each other's packets, so
 * peers belong in separate network namespaces.
 */
import type { EventEmitter } from 'node:events';
import { systemClock } from '../../util/clock.js';
import { silentLogger } from '../../util/log.js';
import { createPkgEndpoint } from './node-sctp.js';
import { PackageAssociation, type SctpTransportAssociation } from './package-association.js';
import { TUNING_DEFAULTS, resolveTuning, type SctpTuning } from './options.js';
import { guardListeners } from './guard.js';
import { screenRawIpv4 } from './packet-screen.js';
import { Registry } from 'prom-client';
import { sctpMetrics } from './metrics.js';

export interface SctpRawOptions extends SctpTuning {
  /** Local IPv4 address (placed in INIT as the IPv4 Address parameter, RFC 4960 §3.3.2.1). */
  localAddress: string;
  /** Local SCTP port; 0 lets the package pick one from 49152-65535. */
  localPort: number;
  remoteAddress: string;
  /** Remote SCTP port; on the passive side 0 accepts any port of remoteAddress. */
  remotePort: number;
}

function open(opts: SctpRawOptions, passive: boolean): SctpTransportAssociation {
  const streams = opts.streams ?? TUNING_DEFAULTS.streams;
  const metrics = sctpMetrics(opts.registry ?? new Registry());
  const endpoint = createPkgEndpoint({ localPort: opts.localPort, localAddress: [opts.localAddress], MIS: streams, OS: streams }, {});
  const transport = (endpoint as unknown as { transport?: { countChecksumErrors?: number; rawsocket?: EventEmitter & { guarded?: boolean } } }).transport;
  const raw = transport?.rawsocket;
  if (raw && !raw.guarded) {
    raw.guarded = true;
    guardListeners(raw, 'message', () => metrics.malformedPackets.inc(), screenRawIpv4);
  }
  const description = `${opts.localAddress}:${endpoint.localPort} ${passive ? '<-' : '->'} ${opts.remoteAddress}:${opts.remotePort} (sctp/ip)`;
  const assoc = new PackageAssociation({
    endpoint,
    passive,
    remoteSctpPort: opts.remotePort,
    remoteAddress: opts.remoteAddress,
    streams,
    ...resolveTuning(opts),
    description,
    localPort: endpoint.localPort,
    logger: (opts.logger ?? silentLogger).child({ sctp: description }),
    clock: opts.clock ?? systemClock,
    release: () => undefined,
    checksumErrors: () => transport?.countChecksumErrors ?? 0,
    metrics,
  });
  assoc.start();
  return assoc;
}

/** Active side over raw IP. Throws if the raw socket cannot be opened (not root / no CAP_NET_RAW). */
export function connectSctpRaw(opts: SctpRawOptions): SctpTransportAssociation {
  return open(opts, false);
}

/** Passive side over raw IP. */
export function acceptSctpRaw(opts: SctpRawOptions): SctpTransportAssociation {
  return open(opts, true);
}
