/** The `sip:` section: which adapter carries SIP, where it listens, and the embedded stack's bounds. */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

export const sipConfigSchema = z.object({
  adapter: z.enum(['embedded', 'drachtio']).default('embedded'),
  address: host.default('127.0.0.1'),
  port: port.default(5060),
  /**
   * Transports of the embedded stack (RFC 3261 §18): UDP and TCP on `port`, TLS on `tls.port`.
   * Default udp and tcp; 'tls' needs the `tls` section.
   */
  transports: z
    .array(z.enum(['udp', 'tcp', 'tls']))
    .min(1)
    .default(['udp', 'tcp'])
    .refine((t) => new Set(t).size === t.length, { message: 'a transport is listed twice' }),
  /** TLS (node:tls): PEM files; port defaults to `port` + 1 (5061), or OS-chosen when `port` is 0. */
  tls: z
    .object({
      port: port.optional(),
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
      /** CAs trusted for peers' certificates (ours to clients that must present one; to servers we connect to). */
      caFile: z.string().min(1).optional(),
      requireClientCert: z.boolean().default(false),
    })
    .optional(),
  /** TCP/TLS connections: closed after idleTimeoutMs without traffic; at most maxConnectionsPerSource inbound from one address. */
  stream: z
    .object({
      idleTimeoutMs: z.number().int().min(1000).default(600_000),
      maxConnectionsPerSource: z.number().int().min(1).default(64),
      /** Largest message on a connection; beyond it 413 and the connection is closed. */
      maxMessageBytes: z.number().int().min(1024).max(65_535).default(65_535),
      connectTimeoutMs: z.number().int().min(100).default(5_000),
    })
    .default({}),
  /**
   * The UDP socket's reads and sends on an I/O thread of its own, handing datagrams to the main
   * thread through shared memory (src/sip/udp-thread/): the system calls leave the thread that runs
   * calls. false: the socket on the main thread.
   */
  udpIoThread: z.boolean().default(true),
  /** RFC 3261 §18.1.1: a request bigger than this goes over TCP instead of UDP (path MTU unknown: 1300). */
  udpMaxRequestBytes: z.number().int().min(200).max(65_000).default(1300),
  drachtio: z
    .object({
      host: host.default('127.0.0.1'),
      port: port.default(9022),
      secret: z.string().default('cymru'),
      /** At start, how long to keep trying a drachtio-server that is not up yet before giving up (0: one try). */
      startupWaitMs: z.number().int().min(0).default(60_000),
      /**
       * Where the switch takes drachtio-server's HEP3 SIP captures for the call trail (start
       * drachtio-server with `--homer <address>:<port> --homer-id <n>`); absent: no SIP in the trail.
       */
      capture: z.object({ address: host.default('127.0.0.1'), port }).strict().optional(),
    })
    .default({}),
  /**
   * Flood bounds of the embedded stack: beyond them new INVITEs get 503 + Retry-After (RFC 3261 §21.5.4).
   * maxServerTransactions counts live transactions only (a request not yet finally answered).
   */
  maxServerTransactions: z.number().int().min(1).default(20_000),
  /** Finished transactions kept (compactly) to absorb retransmissions; oldest forgotten first beyond either cap. */
  maxCompletedTransactions: z.number().int().min(1).default(200_000),
  maxCompletedBytes: z.number().int().min(65_536).default(64 * 1024 * 1024),
  /** INVITEs refused and retransmitting the refusal until their ACK, kept whole (beyond it: compact, no Timer G). */
  maxUnacknowledgedFinals: z.number().int().min(0).default(5_000),
  maxDialogs: z.number().int().min(1).default(50_000),
  overloadRetryAfterS: z.number().int().min(1).default(10),
  /**
   * What the embedded stack does with a new request from a source the assembly does not know
   * (not a trunk customer or carrier): 'reject' = stateless 403, 'drop' = nothing, 'accept' = handle it.
   * The assembly turns this and its list of known peers into `EmbeddedSipConfig.admit`.
   */
  unknownSources: z.enum(['accept', 'reject', 'drop']).default('reject'),
  /**
   * Session timers (RFC 4028) on the embedded stack: a Session-Expires below minSeS gets 422 with
   * Min-SE (RFC 4028 §5: never below 90 s); a larger one than maxSeS is granted as maxSeS.
   */
  sessionTimer: z
    .object({ minSeS: z.number().int().min(90).default(90), maxSeS: z.number().int().min(90).default(1800) })
    .refine((t) => t.maxSeS >= t.minSeS, { message: 'maxSeS must be at least minSeS' })
    .default({}),
  /**
   * RFC 3263 server location for requests the embedded stack sends to a host name (trunk and DID
   * targets, forwarding, voicemail, OPTIONS pings): NAPTR → SRV → A/AAAA through these DNS servers
   * (`host` or `host:port`; empty: the system's), failing over between the targets found.
   */
  dns: z
    .object({
      servers: z.array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+|[0-9a-fA-F:]+)(:\d{1,5})?$/, 'an IP address, optionally :port')).default([]),
      timeoutMs: z.number().int().min(50).max(30_000).default(2_000),
      tries: z.number().int().min(1).max(10).default(2),
      /** NAPTR/SRV answers are kept this long (node:dns does not report their TTL); A/AAAA by their TTL. */
      recordTtlS: z.number().int().min(0).max(86_400).default(60),
      /** NXDOMAIN / no records kept this long. */
      negativeTtlS: z.number().int().min(0).max(86_400).default(30),
      maxCacheEntries: z.number().int().min(1).default(10_000),
      /** A target that failed (transport error, 503, timeout) is tried last for this long (RFC 3263 §4.3). */
      failedTargetHoldS: z.number().int().min(0).default(30),
      /**
       * No response at all from a target this long moves the request to the next target (when
       * there is one); absent: only Timer B/F (32 s). Keep it under calls.sipTargetNoResponseMs.
       */
      noResponseFailoverMs: z.number().int().min(100).optional(),
      /** IPv6 too (AAAA after A); default IPv4 only, as the UDP socket is IPv4 unless bound to an IPv6 address. */
      ipv6: z.boolean().default(false),
    })
    .strict()
    .default({}),
  /** Per-source token bucket for new requests (RFC 3261 §21.5.4 503 + Retry-After beyond it); off when absent. */
  rateLimit: z
    .object({
      ratePerS: z.number().positive(),
      burst: z.number().int().min(1),
      overLimit: z.enum(['reject', 'drop']).default('reject'),
      retryAfterS: z.number().int().min(1).default(5),
      maxSources: z.number().int().min(1).default(65_536),
      keyBy: z.enum(['address', 'address-port']).default('address'),
    })
    .optional(),
}).refine((s) => !s.transports.includes('tls') || s.tls !== undefined, { message: "sip.transports has 'tls': give sip.tls.certFile and sip.tls.keyFile", path: ['tls'] });

export type SipConfig = z.infer<typeof sipConfigSchema>;
