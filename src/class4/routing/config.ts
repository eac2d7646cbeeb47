/**
 * The `routing:` section of the switch configuration. Defaults route a fresh clone's lab calls
 * with the bundled sample data (config/rate-decks, config/lnp); relative paths resolve against
 * the repository root unless the loader is given another base directory.
 */
import { z } from 'zod';

const digits = z.string().regex(/^\d*$/, 'digits only');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM');
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const carrierSchema = z.object({
  id: z.string().min(1),
  trunkGroups: z.array(z.string().min(1)).min(1),
  deck: z.string().min(1),
  /** Lower is preferred when prefix length and rate tie. */
  priority: z.number().int().min(0).default(10),
  /** Load-sharing weight among otherwise equal candidates. */
  weight: z.number().positive().default(1),
});

export const timeOfDaySchema = z.object({
  name: z.string().min(1),
  days: z.array(z.enum(DAYS)).min(1).default([...DAYS]),
  from: hhmm.default('00:00'),
  to: hhmm.default('24:00'),
  /** IANA time zone the window is written in. */
  tz: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'unknown IANA time zone'),
  /** Carriers eligible while the window is open (others are skipped with reason "time-of-day"). */
  carriers: z.array(z.string()).min(1),
});

export const routeTableSchema = z.object({
  /** Carriers this table may use; all configured carriers when omitted. */
  carriers: z.array(z.string()).optional(),
  /** Per-carrier priority overriding the carrier's own. */
  priority: z.record(z.number().int().min(0)).default({}),
  /** First matching window wins; no match leaves the table's carriers as they are. */
  timeOfDay: z.array(timeOfDaySchema).default([]),
});

export const ingressSchema = z.object({
  /** Digits removed from the front before anything else (e.g. a trunk's steering digits). */
  stripDigits: z.number().int().min(0).max(15).default(0),
  /** A literal prefix removed when present (e.g. "9" for an outside line). */
  stripPrefix: digits.default(''),
  /** Digits put in front after stripping. */
  addPrefix: digits.default(''),
  countryCode: digits.min(1).default('1'),
  internationalPrefix: digits.default('011'),
  /** NPA added to 7-digit local numbers; none means 7-digit numbers are invalid. */
  defaultNpa: z.string().regex(/^[2-9]\d\d$/).optional(),
});

export const blockedSchema = z.object({
  /** Digits of the normalised number (E.164 without "+"); X any digit, N 2-9. */
  pattern: z.string().regex(/^[0-9XN]+$/),
  reason: z.string().min(1),
});

export const customerSchema = z.object({
  id: z.string().min(1),
  routeTable: z.string().optional(),
  ingress: ingressSchema.default({}),
  blockInternational: z.boolean().default(false),
  blocked: z.array(blockedSchema).default([]),
  /** Candidates dearer than this (currency units per minute) are skipped. */
  maxRate: z.number().nonnegative().optional(),
});

const routingObject = z.object({
  carriers: z.array(carrierSchema).default([
    { id: 'ilec-tandem', trunkGroups: ['tg-ilec'], deck: 'config/rate-decks/ilec-tandem.csv', priority: 10, weight: 1 },
    { id: 'ixc-b', trunkGroups: ['tg-ixc-b'], deck: 'config/rate-decks/ixc-b.csv', priority: 20, weight: 1 },
  ]),
  customers: z.array(customerSchema).default([{ id: 'default' }]),
  /** Customer used when a lookup names none. */
  defaultCustomer: z.string().default('default'),
  routeTables: z.record(routeTableSchema).default({}),
  advance: z
    .object({
      /** Q.850 causes that move a call to the next candidate (ITU-T Q.850 Table 1). */
      q850: z.array(z.number().int().min(1).max(127)).default([3, 27, 34, 38, 41, 42, 44, 47, 63]),
      /** SIP final responses that do the same (RFC 3398 §8.2.6.1 maps them to the causes above). */
      sip: z.array(z.number().int().min(300).max(699)).default([408, 500, 502, 503, 504]),
    })
    .default({}),
  blocked: z.array(blockedSchema).default([
    { pattern: '1900', reason: 'premium (NANP 900)' },
    { pattern: '1NXX976', reason: 'premium (NANP 976)' },
    { pattern: '1NXX5551212', reason: 'directory assistance' },
  ]),
  lnp: z.object({ file: z.string().optional() }).default({ file: 'config/lnp/ported.csv' }),
  jurisdiction: z.object({ stateTable: z.string().optional() }).default({ stateTable: 'config/lnp/npanxx-state.csv' }),
  snapshot: z
    .object({
      enabled: z.boolean().default(true),
      /** Relative to the data directory given at runtime. */
      file: z.string().default('lcr/route-table.snapshot'),
    })
    .default({}),
});

/** Cross-references: route tables name configured carriers; customers name configured route tables. */
export const routingConfigSchema = routingObject.superRefine((cfg, ctx) => {
  const carriers = new Set(cfg.carriers.map((c) => c.id));
  if (carriers.size !== cfg.carriers.length) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['carriers'], message: 'carrier ids must be unique' });
  for (const [name, rt] of Object.entries(cfg.routeTables)) {
    for (const c of rt.carriers ?? []) if (!carriers.has(c)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['routeTables', name, 'carriers'], message: `unknown carrier "${c}"` });
    rt.timeOfDay.forEach((w, i) => {
      for (const c of w.carriers) if (!carriers.has(c)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['routeTables', name, 'timeOfDay', i, 'carriers'], message: `unknown carrier "${c}"` });
    });
  }
  cfg.customers.forEach((c, i) => {
    if (c.routeTable && !cfg.routeTables[c.routeTable]) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['customers', i, 'routeTable'], message: `unknown route table "${c.routeTable}"` });
  });
  if (!cfg.customers.some((c) => c.id === cfg.defaultCustomer)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['defaultCustomer'], message: `no customer "${cfg.defaultCustomer}"` });
});

export type RoutingConfig = z.infer<typeof routingConfigSchema>;
export type CarrierConfig = z.infer<typeof carrierSchema>;
export type CustomerConfig = z.infer<typeof customerSchema>;
export type RouteTableConfig = z.infer<typeof routeTableSchema>;
export type TimeOfDayConfig = z.infer<typeof timeOfDaySchema>;
export type IngressConfig = z.infer<typeof ingressSchema>;
export type BlockedConfig = z.infer<typeof blockedSchema>;
