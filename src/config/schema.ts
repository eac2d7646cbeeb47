import { z } from 'zod';
import { routingConfigSchema } from '../class4/routing/config.js';
import { DEFAULT_CALL_AGENT_PORT, DEFAULT_GATEWAY_PORT } from '../mgcp/mgcp/constants.js';

/**
 * The switch's configuration: one YAML/JSON file validated here, every value defaulted so the
 * embedded lab profile runs on a fresh machine. Sections mirror the product's areas.
 */
const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);
const variant = z.enum(['ansi', 'itu']);

export const trunkCustomerSchema = z.object({
  id: z.string().min(1),
  /** Source addresses (IPv4 / IPv4 CIDR) the customer's SIP trunk sends from. */
  sources: z.array(z.string().min(1)).min(1),
  /** Routing customer id (routing.customers: route table, normalisation); routing.defaultCustomer when absent. */
  routingCustomer: z.string().optional(),
  maxCalls: z.number().int().positive().default(100),
});

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
  /** Our local UDP (udp) or SCTP (raw) port for this association (0: any). */
  localPort: port.default(0),
});

export const trunkGroupSchema = z.object({
  id: z.string().min(1),
  variant: variant.default('ansi'),
  /** Point code of the far end (access tandem): ANSI "n-c-m" or ITU decimal / "z-a-i". */
  dpc: z.string().min(1),
  cics: z.object({ first: z.number().int().min(0).max(16383), count: z.number().int().min(1).max(4096) }),
  /** Media gateway (name in mgcp.gateways) whose endpoints carry these circuits. */
  gateway: z.string().optional(),
  /**
   * Endpoint name template per circuit: `{n}` the circuit's index in the group from 1 in hex,
   * `{cic}`/`{cichex}` its CIC in decimal/hex, `{span}`/`{chan}` T1 span and DS0 from 1.
   * The default suits osmo-mgw's rtpbridge endpoints.
   */
  endpoint: z.string().default('rtpbridge/{cichex}@mgw'),
});

export const mediaGatewaySchema = z.object({
  name: z.string().min(1),
  address: host,
  port: port.default(DEFAULT_GATEWAY_PORT),
  domain: z.string().default('mgw'),
});

export const tandemSimSchema = z.object({
  /** Where the simulated SG listens (SCTP over UDP). 0: pick a free port. */
  port: port.default(0),
  pointCode: z.string().default('2-2-2'),
  answerDelayMs: z.number().int().min(0).default(500),
  alertDelayMs: z.number().int().min(0).default(100),
  /** Release from the tandem side after this long in the answered state (0: never). */
  releaseAfterMs: z.number().int().min(0).default(0),
  /** Called-number patterns (regular expressions over digits) and what to do with them. */
  rules: z
    .array(
      z.object({
        match: z.string(),
        /** Only calls arriving on this trunk group (the switch's id); any when absent. */
        trunkGroup: z.string().optional(),
        action: z.enum(['answer', 'reject', 'no-answer', 'release-after-answer']),
        cause: z.number().int().min(1).max(127).default(16),
        delayMs: z.number().int().min(0).optional(),
      }),
    )
    .default([]),
});

export const configSchema = z.object({
  node: z.object({ name: z.string().default('ssw-lab-1') }).default({}),
  dataDir: z.string().default('./data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  lab: z
    .object({
      /** The lab profile runs the tandem simulator beside the switch and points ss7.sg at it. */
      enabled: z.boolean().default(true),
      /** Start osmo-mgw (if installed) as the lab's TDM gateway. */
      startOsmoMgw: z.boolean().default(true),
      tandemSim: tandemSimSchema.default({}),
    })
    .default({}),
  api: z.object({ host: host.default('127.0.0.1'), port: port.default(8080) }).default({}),
  sip: z
    .object({
      adapter: z.enum(['embedded', 'drachtio']).default('embedded'),
      address: host.default('127.0.0.1'),
      port: port.default(5060),
      drachtio: z
        .object({ host: host.default('127.0.0.1'), port: port.default(9022), secret: z.string().default('cymru') })
        .default({}),
      /** Flood bounds of the embedded stack: beyond them new INVITEs get 503 + Retry-After (RFC 3261 §21.5.4). */
      maxServerTransactions: z.number().int().min(1).default(20_000),
      maxDialogs: z.number().int().min(1).default(50_000),
      overloadRetryAfterS: z.number().int().min(1).default(10),
    })
    .default({}),
  calls: z
    .object({
      /** Answered calls are released by the switch after this many seconds (0: no limit). */
      maxDurationS: z.number().int().min(0).default(14_400),
    })
    .default({}),
  trunkCustomers: z
    .array(trunkCustomerSchema)
    .default([{ id: 'lab-trunk', sources: ['127.0.0.1/32'], maxCalls: 100 }]),
  ss7: z
    .object({
      variant: variant.default('ansi'),
      localPointCode: z.string().default('1-1-1'),
      networkIndicator: z.number().int().min(0).max(3).default(2),
      sgs: z.array(signallingGatewaySchema).default([]),
      m3ua: z
        .object({
          routingContext: z.number().int().min(0).optional(),
          networkAppearance: z.number().int().min(0).optional(),
          trafficMode: z.enum(['override', 'loadshare', 'broadcast']).default('override'),
          beatIntervalMs: z.number().int().min(0).default(10_000),
          localAddress: host.default('127.0.0.1'),
        })
        .default({}),
    })
    .default({}),
  trunkGroups: z
    .array(trunkGroupSchema)
    .default([
      { id: 'tg-ilec', variant: 'ansi', dpc: '2-2-2', cics: { first: 1, count: 24 }, gateway: 'mgw-lab', endpoint: 'rtpbridge/{cichex}@mgw' },
      { id: 'tg-ixc-b', variant: 'ansi', dpc: '2-2-2', cics: { first: 25, count: 24 }, gateway: 'mgw-lab', endpoint: 'rtpbridge/{cichex}@mgw' },
    ]),
  mgcp: z
    .object({
      localAddress: host.default('127.0.0.1'),
      localPort: port.default(DEFAULT_CALL_AGENT_PORT),
      gateways: z.array(mediaGatewaySchema).default([{ name: 'mgw-lab', address: '127.0.0.1', port: DEFAULT_GATEWAY_PORT, domain: 'mgw' }]),
      /** Command retransmission (RFC 3435 §3.5.3, §4.3): first timer, ceiling, retransmissions before the gateway counts as unreachable. */
      retransmit: z
        .object({
          initialRtoMs: z.number().int().min(10).default(200),
          maxRtoMs: z.number().int().min(10).default(4000),
          maxRetransmits: z.number().int().min(0).max(20).default(7),
        })
        .default({}),
      /** While a gateway is down, how often it is audited (AUEP) to learn it is back. */
      healthProbeMs: z.number().int().min(100).default(5000),
    })
    .default({}),
  routing: routingConfigSchema.default({}),
  shutdown: z.object({ drainMs: z.number().int().min(0).default(5000) }).default({}),
});

export type Config = z.infer<typeof configSchema>;
export type TrunkGroupConfig = z.infer<typeof trunkGroupSchema>;
export type TrunkCustomerConfig = z.infer<typeof trunkCustomerSchema>;
export type TandemSimConfig = z.infer<typeof tandemSimSchema>;
