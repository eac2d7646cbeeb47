/**
 * Class 4 trunk configuration: SIP trunk customers (who may send us calls, and the DIDs they own)
 * and ISUP trunk groups (circuits toward an adjacent exchange and the gateway carrying them).
 */
import { z } from 'zod';
import { customerLimitsSchema } from '../admission/fraud.js';

const variant = z.enum(['ansi', 'itu']);
const digits = z.string().regex(/^\d{1,20}$/, 'digits only (1–20)');

/** A SIP destination of a DID: a customer's PBX or SBC. */
export const didTargetSchema = z.object({
  /** An address, or a DNS name located by RFC 3263 (NAPTR/SRV when port is not given; `sip.dns`). */
  host: z.string().min(1),
  /** Default 5060 for an address; for a name, absent means SRV decides (RFC 3263 §4.2). */
  port: z.number().int().min(1).max(65535).optional(),
  /** Default udp for an address; for a name, absent means NAPTR/SRV decide (RFC 3263 §4.1). */
  transport: z.enum(['udp', 'tcp', 'tls']).optional(),
  /** Share of calls among targets of equal priority when `selection` is `weighted`. */
  weight: z.number().positive().default(1),
});

/** Numbers a trunk customer owns and where calls to them go. */
export const didSchema = z
  .object({
    /** One number, 10-digit NANP (`2125550100`) or E.164 digits. */
    number: digits.optional(),
    /** A range of numbers, inclusive, same length: `{from: "2125550100", to: "2125550199"}`. */
    range: z.object({ from: digits, to: digits }).optional(),
    targets: z.array(didTargetSchema).min(1),
    /** `ordered`: the first healthy target, then the next on failure; `weighted`: by weight, then the rest. */
    selection: z.enum(['ordered', 'weighted']).default('ordered'),
    /** How the called number appears in the Request-URI: 10-digit national or E.164 (`+1…`). */
    deliverAs: z.enum(['national', 'e164']).default('national'),
  })
  .refine((d) => (d.number === undefined) !== (d.range === undefined), { message: 'give either number or range' })
  .refine((d) => !d.range || (d.range.from.length === d.range.to.length && d.range.from <= d.range.to), {
    message: 'range.from and range.to must have the same length and from ≤ to',
  });

export const trunkCustomerSchema = z.object({
  id: z.string().min(1),
  /** What people call the customer (shown by the admin API and CLI). */
  name: z.string().optional(),
  /** Source addresses (IPv4 / IPv4 CIDR) the customer's SIP trunk sends from. */
  sources: z.array(z.string().min(1)).min(1),
  /** Routing customer id (routing.customers: route table, normalisation); routing.defaultCustomer when absent. */
  routingCustomer: z.string().optional(),
  maxCalls: z.number().int().positive().default(100),
  /** DIDs the customer owns: incoming PSTN calls to them are delivered to its targets. */
  dids: z.array(didSchema).default([]),
  /**
   * Q.850 cause for a call to one of its DIDs when every target is down or refuses
   * (34 no circuit/channel available, or 20 subscriber absent).
   */
  unreachableCause: z.union([z.literal(34), z.literal(20)]).default(34),
  /** Toll-fraud limits on the customer's outgoing calls (calls/s, high-risk destinations, spend). */
  limits: customerLimitsSchema.default({}),
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
  /** Which idle circuit a new outgoing call takes (glare avoidance: `odd`/`even` from opposite ends). */
  circuitSelection: z.enum(['lru', 'ascending', 'descending', 'odd', 'even']).default('lru'),
  /**
   * Which circuits this switch controls in a dual seizure (the far end's IAM is then ignored):
   * default by variant — ITU: the higher point code controls the even CICs (Q.764 §2.9.1.3);
   * ANSI: the higher point code controls all. Set it to what was agreed with the far end.
   */
  glareControl: z.enum(['even', 'odd', 'all', 'none']).optional(),
  /**
   * Tandem function: an IAM on this trunk group for a number that is not one of our DIDs is
   * routed by the LCR out another trunk group (ISUP→ISUP) instead of refused with cause 1.
   */
  transit: z.boolean().default(false),
  /**
   * Outgoing continuity checks (Q.764 §2.1.8): every Nth IAM on this trunk group asks for a check
   * of the circuit, and the switch's gateway sends and detects the check tone (RFC 3660 T/co1);
   * 0 or absent: never, 1: every call.
   */
  continuityCheckEvery: z.number().int().min(0).max(1000).optional(),
});

/** How DID delivery targets are watched (OPTIONS probes). */
export const didHealthSchema = z.object({
  /** OPTIONS to every target this often (0: no probes; only failed calls mark a target down). */
  probeIntervalMs: z.number().int().min(0).default(10_000),
  /** Unanswered probes in a row before a target counts as down. */
  downAfter: z.number().int().min(1).default(2),
});

export type TrunkGroupConfig = z.infer<typeof trunkGroupSchema>;
export type TrunkCustomerConfig = z.infer<typeof trunkCustomerSchema>;
export type DidConfig = z.infer<typeof didSchema>;
export type DidTargetConfig = z.infer<typeof didTargetSchema>;
