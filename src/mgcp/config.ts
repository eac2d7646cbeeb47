/** The `mgcp:` section: the call agent's socket and the media gateways it controls. */
import { z } from 'zod';
import { DEFAULT_CALL_AGENT_PORT, DEFAULT_GATEWAY_PORT } from './mgcp/constants.js';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

export const mediaGatewaySchema = z.object({
  name: z.string().min(1),
  address: host,
  /**
   * Addresses the gateway sends commands (RSIP, NTFY) from, when more than `address` (a
   * multi-homed gateway); commands from any other source are dropped. Default: [address].
   */
  addresses: z.array(host).min(1).optional(),
  port: port.default(DEFAULT_GATEWAY_PORT),
  domain: z.string().default('mgw'),
});

export const mgcpConfigSchema = z.object({
  localAddress: host.default('127.0.0.1'),
  localPort: port.default(DEFAULT_CALL_AGENT_PORT),
  gateways: z.array(mediaGatewaySchema).default([{ name: 'mgw-lab', address: '127.0.0.1', port: DEFAULT_GATEWAY_PORT, domain: 'mgw' }]),
  /** Command retransmission (RFC 3435 §3.5.3, §4.3): first timer, ceiling, retransmissions before the gateway counts as unreachable. */
  retransmit: z
    .object({
      initialRtoMs: z.number().int().min(10).default(200),
      /** Floor of the first timer once a gateway's round trips are measured (RFC 3435 §3.5.3). */
      minRtoMs: z.number().int().min(10).default(100),
      maxRtoMs: z.number().int().min(10).default(4000),
      maxRetransmits: z.number().int().min(0).max(20).default(7),
    })
    .default({}),
  /** While a gateway is down, how often it is audited (AUEP) to learn it is back. */
  healthProbeMs: z.number().int().min(100).default(5000),
  /** Audit (AUEP) period of a gateway that is up, so one that dies or stalls between calls is found down (and its calls released); 0: off. */
  keepaliveMs: z.number().int().min(0).default(10_000),
});

export type MgcpConfig = z.infer<typeof mgcpConfigSchema>;
export type MediaGatewayConfig = z.infer<typeof mediaGatewaySchema>;
