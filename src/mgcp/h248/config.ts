/**
 * The `h248:` section: the controller's socket and mId, the media gateways it accepts, and the
 * transaction timers. The assembly (src/app) parses it and opens the port with openH248Bearer
 * (./open.ts); nothing here depends on the controller.
 */
import { z } from 'zod';
import { parseMid } from './codec.js';
import { DEFAULT_H248_PORT } from './constants.js';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);
const mid = z.string().refine((s) => parseMid(s) !== undefined, {
  message: 'not an H.248 mId: write "<domain.name>:port", "[ip-address]:port" or a device name (RFC 3525 §B.2 mId)',
});
const encoding = z.enum(['pretty', 'compact']);

export const h248GatewaySchema = z.object({
  name: z.string().min(1),
  /** The mId the gateway writes in its messages, e.g. "<mg1.example.net>:2944" or "[10.0.0.5]:2944". */
  mid,
  /** Domain of its endpoint names: "tdm/1/17@<domain>" (trunk groups' endpoints use it). */
  domain: z.string().min(1),
  /** When set, the gateway's messages are accepted only from this IP address. */
  address: host.optional(),
  /** Encoding towards the gateway; by default the one it uses. */
  encoding: encoding.optional(),
  /** Highest H.248 version agreed with it: 1, or 3 to let it segment large replies (H.248.1 v3 §8.1.1). */
  maxVersion: z.union([z.literal(1), z.literal(3)]).optional(),
});

export const h248ConfigSchema = z.object({
  localAddress: host.default('0.0.0.0'),
  /** Annex D.1: 2944 for the text encoding. */
  localPort: port.default(DEFAULT_H248_PORT),
  /** Our mId in every message header. */
  mid: mid.default('<softswitch>'),
  /** Encoding towards gateways that have not written yet. */
  encoding: encoding.default('pretty'),
  gateways: z.array(h248GatewaySchema).default([]),
  /** Register gateways whose mId is not configured (they get no endpoint domain, so no calls). */
  acceptUnknownGateways: z.boolean().default(false),
  /** Annex D.1.2–D.1.4 timers. */
  retransmit: z
    .object({
      initialRtoMs: z.number().int().min(10).default(500),
      maxRtoMs: z.number().int().min(10).default(4000),
      maxRetransmits: z.number().int().min(0).max(20).default(5),
      /** LONG-TIMER after a TransactionPending. */
      longTimerMs: z.number().int().min(100).default(30_000),
      maxPendings: z.number().int().min(1).max(1000).default(20),
    })
    .default({}),
  /** Replies kept for duplicate requests when no TransactionResponseAck comes. */
  replyCacheMs: z.number().int().min(100).default(30_000),
  /** A request from a gateway still executing after this long is answered TransactionPending. */
  pendingAfterMs: z.number().int().min(10).default(200),
  /** Acknowledgements of replies ride on the next message or go alone after this delay. */
  ackDelayMs: z.number().int().min(0).default(100),
  /** Ask gateways to acknowledge our replies (ImmAckRequired). */
  requestAcks: z.boolean().default(false),
  /** Transactions for one gateway share a datagram up to this size. */
  mtuBytes: z.number().int().min(200).max(65507).default(1400),
  /** H.248 v3 segmented replies from gateways with maxVersion 3 (H.248.1 §8.1.1). */
  segmentation: z
    .object({
      /** A reply still missing segments this long after the last one arrived fails with 459. */
      timerMs: z.number().int().min(100).default(5000),
      maxSegments: z.number().int().min(1).max(65535).default(256),
      maxBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
    })
    .default({}),
  /** A gateway silent this long is audited (AuditValue ROOT); 0 turns it off. */
  inactivityAuditMs: z.number().int().min(0).default(60_000),
  /** Local descriptor offered in the Add of the RTP termination ($ = the gateway's choice). */
  localTemplate: z.string().default('v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 8 0'),
});

export type H248Config = z.infer<typeof h248ConfigSchema>;
export type H248GatewayConfig = z.infer<typeof h248GatewaySchema>;
