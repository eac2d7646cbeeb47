/**
 * The transports the embedded stack listens on (RFC 3261 §18): UDP, TCP on the same port number
 * (§18.2.1: a server listening on UDP listens on TCP at the same port), TLS on its own port.
 * Sends pick the transport the destination names; receives are tagged with the one they came over.
 */
import { Counter, type Registry } from 'prom-client';
import { SoftswitchError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { Endpoint, SipTransportName } from './message.js';
import { StreamTransport, type FramingErrorHandler, type TlsFiles } from './transport-stream.js';
import { UdpTransport, type SipUdpTransport } from './transport-udp.js';
import { ThreadedUdpTransport } from './udp-thread/transport.js';

export interface StreamLimits {
  idleTimeoutMs?: number;
  maxConnectionsPerSource?: number;
  maxMessageBytes?: number;
  connectTimeoutMs?: number;
}

export interface TransportSetOptions {
  address: string;
  /** UDP and TCP port; 0 lets the OS choose (the TCP listener then takes the same number). */
  port: number;
  /** Which to open (default udp and tcp). */
  transports?: readonly SipTransportName[];
  /** TLS port (default: port + 1, so 5061 beside 5060; OS-chosen when port is 0). */
  tlsPort?: number;
  tls?: TlsFiles;
  stream?: StreamLimits;
  logger: Logger;
  registry: Registry;
  /** UDP socket on an I/O thread of its own (udp-thread/; default true), or on the main thread. */
  udpIoThread?: boolean;
  /** Overload refusals on the UDP I/O thread with these 503 header lines (udp-thread/edge-shed.ts); absent: none there. */
  edgeShedHeaders?: Array<[string, string]>;
}

export class TransportSet {
  private constructor(
    readonly udp: SipUdpTransport | undefined,
    readonly tcp: StreamTransport | undefined,
    readonly tls: StreamTransport | undefined,
    private readonly logger: Logger,
    private readonly boundAddress: string,
  ) {}

  static async open(opts: TransportSetOptions): Promise<TransportSet> {
    const wanted = new Set(opts.transports ?? ['udp', 'tcp']);
    if (wanted.has('tls') && !opts.tls) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', 'sip.transports has tls but sip.tls (certFile, keyFile) is missing');
    const stream = (kind: 'tcp' | 'tls', port: number) =>
      StreamTransport.open({ kind, address: opts.address, port, logger: opts.logger, registry: opts.registry, tls: kind === 'tls' ? opts.tls : undefined, ...opts.stream });
    // With an OS-chosen port, the number UDP got may be taken for TCP: try a few.
    let udp: SipUdpTransport | undefined;
    const openUdp = opts.udpIoThread === false ? UdpTransport.open : ThreadedUdpTransport.open;
    let tcp: StreamTransport | undefined;
    for (let attempt = 0; ; attempt++) {
      udp = wanted.has('udp') ? await openUdp({ address: opts.address, port: opts.port, logger: opts.logger, edgeShedHeaders: opts.edgeShedHeaders }) : undefined;
      if (!wanted.has('tcp')) break;
      try {
        tcp = await stream('tcp', udp?.port ?? opts.port);
        break;
      } catch (err) {
        await udp?.close();
        if (opts.port !== 0 || attempt >= 4 || !(err instanceof SoftswitchError)) throw err;
      }
    }
    let tls: StreamTransport | undefined;
    try {
      const base = udp?.port ?? tcp?.port ?? 0;
      if (wanted.has('tls')) tls = await stream('tls', opts.tlsPort ?? (opts.port === 0 ? 0 : base + 1));
    } catch (err) {
      await udp?.close();
      await tcp?.close();
      throw err;
    }
    if (udp instanceof ThreadedUdpTransport) countRingDrops(opts.registry, udp);
    return new TransportSet(udp, tcp, tls, opts.logger, opts.address);
  }

  /** The UDP/TCP port number (TCP's when UDP is off). */
  get port(): number {
    return this.udp?.port ?? this.tcp?.port ?? this.tls?.port ?? 0;
  }

  get address(): string {
    return this.udp?.address ?? this.boundAddress;
  }

  /** The port a transport listens on, or undefined when it is not open. */
  portOf(t: SipTransportName): number | undefined {
    return t === 'udp' ? this.udp?.port : t === 'tcp' ? this.tcp?.port : this.tls?.port;
  }

  has(t: SipTransportName): boolean {
    return this.portOf(t) !== undefined;
  }

  /** True when a stream connection to that peer is open (always false for UDP). */
  connected(to: Endpoint): boolean {
    const s = to.transport === 'tcp' ? this.tcp : to.transport === 'tls' ? this.tls : undefined;
    return s?.has(to) ?? false;
  }

  onMessage(handler: (buf: Buffer, from: Endpoint) => void): void {
    this.udp?.onMessage((buf, from) => handler(buf, { ...from, transport: 'udp' }));
    this.tcp?.onMessage(handler);
    this.tls?.onMessage(handler);
  }

  onFramingError(handler: FramingErrorHandler): void {
    this.tcp?.onFramingError(handler);
    this.tls?.onFramingError(handler);
  }

  onSendFailure(handler: (to: Endpoint) => void): void {
    this.tcp?.onSendFailure(handler);
    this.tls?.onSendFailure(handler);
  }

  send(buf: Buffer, to: Endpoint): void {
    const t = to.transport ?? 'udp';
    const s = t === 'udp' ? this.udp : t === 'tcp' ? this.tcp : this.tls;
    if (!s) {
      this.logger.warn({ to }, 'sip send over a transport that is not open');
      return;
    }
    s.send(buf, to);
  }

  async close(): Promise<void> {
    await Promise.all([this.udp?.close(), this.tcp?.close(), this.tls?.close()]);
  }
}

/** Datagrams the I/O thread's rings dropped (full: the main thread that far behind, or sends piling up). */
function countRingDrops(registry: Registry, udp: ThreadedUdpTransport): void {
  const name = 'softswitch_sip_udp_ring_dropped_total';
  if (registry.getSingleMetric(name)) return;
  new Counter({
    name,
    help: 'SIP UDP datagrams dropped because the ring between the I/O thread and the main thread was full (received and not yet taken, or queued to send): the main thread is behind; check CPU and offered load',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(udp.dropped);
    },
  });
}
