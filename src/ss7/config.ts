/** The `ss7:` section: our signalling point and the SIGTRAN associations toward the SGs. */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

export const signallingGatewaySchema = z.object({
  name: z.string().min(1),
  address: host,
  /**
   * `udp`: SCTP over UDP encapsulation (RFC 6951), `port` is the SG's UDP port (labs, peers that
   * support it). `raw`: SCTP directly over IPv4 in our own stack (hosts without kernel SCTP; needs
   * root or CAP_NET_RAW), `port` is the SG's SCTP port (M3UA: 2905).
   */
  transport: z.enum(['udp', 'raw']).default('udp'),
  port: port,
  /**
   * `udp` only: the SG's SCTP port inside the UDP encapsulation, when it differs from its UDP
   * port (RFC 6951 §5.1 keeps them independent; e.g. the SG sits behind a UDP relay or NAT).
   * Default: the UDP port.
   */
  sctpPort: port.optional(),
  /** Our local UDP (udp) or SCTP (raw) port for this association (0: any). */
  localPort: port.default(0),
});

export const ss7ConfigSchema = z.object({
  variant: z.enum(['ansi', 'itu']).default('ansi'),
  localPointCode: z.string().default('1-1-1'),
  networkIndicator: z.number().int().min(0).max(3).default(2),
  sgs: z.array(signallingGatewaySchema).default([]),
  /**
   * `udp` transport: each association's UDP socket on an I/O thread of its own, so the event loop
   * does not pay the system call of every SCTP packet (ss7/sctp/relayed-socket.ts). Off: the
   * socket is on the event loop.
   */
  sctpIoThread: z.boolean().default(true),
  m3ua: z
    .object({
      routingContext: z.number().int().min(0).optional(),
      networkAppearance: z.number().int().min(0).optional(),
      trafficMode: z.enum(['override', 'loadshare', 'broadcast']).default('override'),
      beatIntervalMs: z.number().int().min(0).default(10_000),
      localAddress: host.default('127.0.0.1'),
    })
    .default({}),
});

export type Ss7Config = z.infer<typeof ss7ConfigSchema>;
export type SignallingGatewayConfig = z.infer<typeof signallingGatewaySchema>;
