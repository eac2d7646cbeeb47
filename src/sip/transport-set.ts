/**
 * The transports the embedded stack listens on (RFC 3261 §18): UDP, TCP on the same port number
 * (§18.2.1: a server listening on UDP listens on TCP at the same port), TLS on its own port.
 * Sends pick the transport the destination names; receives are tagged with the one they came over.
 */
import type { Registry } from 'prom-client';
import { SoftswitchError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { Endpoint, SipTransportName } from './message.js';
import { StreamTransport, type FramingErrorHandler, type TlsFiles } from './transport-stream.js';
import { UdpTransport } from './transport-udp.js';

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
}

export class TransportSet {
  private constructor(
    readonly udp: UdpTransport | undefined,
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
    let udp: UdpTransport | undefined;
    let tcp: StreamTransport | undefined;
    for (let attempt = 0; ; attempt++) {
      udp = wanted.has('udp') ? await UdpTransport.open({ address: opts.address, port: opts.port, logger: opts.logger }) : undefined;
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
