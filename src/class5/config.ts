/** The `class5` section: tenants, their extensions and DIDs, registration and authentication limits. */
import { z } from 'zod';
import { lineSchema, linesDefaultsSchema } from './lines/config.js';

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${n}}$`)).transform((s) => s.toLowerCase());

export const featuresSchema = z
  .object({
    /** Call forwarding unconditional, busy, no answer (after noAnswerS), not reachable: a number or SIP URI. */
    cfu: z.string().optional(),
    cfb: z.string().optional(),
    cfna: z.string().optional(),
    cfnr: z.string().optional(),
    noAnswerS: z.number().int().min(5).max(120).default(20),
    dnd: z.boolean().default(false),
    /** Busy, no answer, not reachable and DND go to the tenant's voicemail when no forwarding applies. */
    voicemail: z.boolean().default(false),
    /** Anonymous callers get 433 Anonymity Disallowed (RFC 5079). */
    rejectAnonymous: z.boolean().default(false),
    /** Caller ID withheld on every call of this line (per-call: the block star code). */
    blockCallerId: z.boolean().default(false),
    /** Speed dial slots (1–2 digits) → number or extension, dialled as the speed-dial code + slot. */
    speedDial: z.record(z.string().regex(/^\d{1,2}$/), z.string().regex(/^\+?\d{2,15}$/)).default({}),
    /**
     * Find-me-follow-me: after (or with) the extension's own phones, these numbers (extensions or
     * PSTN numbers through the LCR), one after another or all at once, each ringing ringS.
     */
    followMe: z
      .object({
        mode: z.enum(['sequential', 'simultaneous']).default('sequential'),
        /** Ring the extension's registered phones first (sequential) or with the others (simultaneous). */
        ringPhones: z.boolean().default(true),
        phonesRingS: z.number().int().min(3).max(120).default(15),
        targets: z.array(z.object({ number: z.string().regex(/^\+?\d{2,15}$/), ringS: z.number().int().min(3).max(120).default(20) })).min(1),
      })
      .optional(),
  })
  .default({});

/** Star codes (vertical service codes); each one a `*` or `#` code of 2–4 digits. */
const code = z.string().regex(/^[*#]\d{1,3}$/);
export const starCodesSchema = z
  .object({
    cfuOn: code.default('*72'),
    cfuOff: code.default('*73'),
    cfbOn: code.default('*90'),
    cfbOff: code.default('*91'),
    cfnaOn: code.default('*92'),
    cfnaOff: code.default('*93'),
    dndOn: code.default('*78'),
    dndOff: code.default('*79'),
    blockCallerId: code.default('*67'),
    voicemail: code.default('*98'),
    speedDial: code.default('*0'),
  })
  .default({})
  .superRefine((c, ctx) => {
    const seen = new Map<string, string>();
    for (const [k, v] of Object.entries(c)) {
      if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [k], message: `star code ${v} is also ${seen.get(v)}` });
      seen.set(v, k);
    }
  });

export const extensionSchema = z
  .object({
    number: z.string().regex(/^\d{2,8}$/),
    /** Plain password (lab), or the digest HA1s (RFC 7616 §3.4.2) computed over `number:domain:password`. */
    password: z.string().min(1).optional(),
    ha1: z.object({ md5: hex(32).optional(), sha256: hex(64).optional() }).optional(),
    displayName: z.string().optional(),
    /** E.164 number presented on calls to the PSTN (the tenant's main number when absent). */
    callerId: z.string().regex(/^\+?\d{4,15}$/).optional(),
    cos: z.enum(['local', 'national', 'international', 'blocked']).default('national'),
    /** Devices (contacts) the extension may register at once; the registrar's maxContactsPerAor when absent. */
    maxDevices: z.number().int().min(1).max(32).optional(),
    features: featuresSchema,
  })
  .refine((e) => e.password !== undefined || e.ha1 !== undefined, { message: 'an extension needs a password or ha1' });

export const tenantSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
  /** SIP domain: the Request-URI / To host of its users' requests, and the digest realm. */
  domain: z.string().min(1).transform((d) => d.toLowerCase()),
  mainNumber: z.string().regex(/^\+?\d{4,15}$/).optional(),
  /** Where busy/no-answer/DND calls go, e.g. `sip:vm@10.0.0.9:5080`. */
  voicemail: z.string().regex(/^sips?:/).optional(),
  extensions: z.array(extensionSchema).default([]),
  /** Numbers that ring several extensions (features/hunt.ts). */
  huntGroups: z
    .array(
      z.object({
        number: z.string().regex(/^\d{2,8}$/),
        strategy: z.enum(['linear', 'circular', 'simultaneous']).default('linear'),
        members: z.array(z.string()).min(1),
        ringS: z.number().int().min(3).max(120).default(15),
      }),
    )
    .default([]),
  /** National numbers delivered from the PSTN to an extension. */
  dids: z.array(z.object({ did: z.string().regex(/^\d{4,15}$/), extension: z.string() })).default([]),
});

export const class5ConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** HMAC key for digest nonces (hex or text); a random one per process when absent. */
    nonceSecret: z.string().min(16).optional(),
    nonceLifetimeS: z.number().int().min(10).max(3600).default(300),
    auth: z
      .object({
        maxFailures: z.number().int().min(1).default(10),
        failureWindowS: z.number().int().min(1).default(60),
        blockS: z.number().int().min(1).default(300),
        /**
         * Challenge order, most preferred first (RFC 8760 §2.4). Some UAs read only the first challenge
         * and know only MD5 (SIPp 3.6.1 among them): put MD5 first for them.
         */
        algorithms: z.array(z.enum(['SHA-256', 'MD5'])).min(1).default(['SHA-256', 'MD5']),
      })
      .default({}),
    registration: z
      .object({
        /** RFC 3261 §10.3 step 7: shorter requests get 423 with Min-Expires. */
        minExpiresS: z.number().int().min(1).default(60),
        maxExpiresS: z.number().int().min(60).default(3600),
        defaultExpiresS: z.number().int().min(60).default(3600),
        maxContactsPerAor: z.number().int().min(1).max(32).default(5),
      })
      .default({}),
    /** Message waiting (RFC 3842): subscriptions of devices, relay of the voicemail servers' NOTIFYs (mwi/). */
    mwi: z
      .object({
        /** Also NOTIFY registered contacts without a subscription (out of dialog). */
        unsolicited: z.boolean().default(false),
        minExpiresS: z.number().int().min(1).default(60),
        maxExpiresS: z.number().int().min(60).default(3600),
        defaultExpiresS: z.number().int().min(60).default(3600),
        maxPerMailbox: z.number().int().min(1).max(64).default(10),
        maxSubscriptions: z.number().int().min(1).default(100_000),
      })
      .default({}),
    starCodes: starCodesSchema,
    /**
     * Emergency numbers: never forwarded, barred or caller-ID blocked; out with the caller's callback
     * number (its callerId, else the tenant's main number) on these trunk groups, else through the LCR.
     */
    emergency: z
      .object({
        numbers: z.array(z.string().regex(/^\d{2,6}$/)).default(['911', '933']),
        trunkGroups: z.array(z.string()).default([]),
      })
      .default({}),
    tenants: z.array(tenantSchema).default([]),
    /** Analogue lines on residential MGCP gateways, each bound to an extension (lines/config.ts). */
    lines: z.array(lineSchema).default([]),
    linesDefaults: linesDefaultsSchema,
  })
  .superRefine((c, ctx) => {
    const domains = new Set<string>();
    for (const [i, t] of c.tenants.entries()) {
      if (domains.has(t.domain)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'domain'], message: `domain ${t.domain} used by two tenants` });
      domains.add(t.domain);
      const numbers = new Set(t.extensions.map((e) => e.number));
      if (numbers.size !== t.extensions.length) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'extensions'], message: 'duplicate extension number' });
      for (const [j, h] of t.huntGroups.entries()) {
        if (numbers.has(h.number)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'huntGroups', j, 'number'], message: `hunt group ${h.number} is also an extension` });
        for (const m of h.members) if (!numbers.has(m)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'huntGroups', j, 'members'], message: `no extension ${m} in tenant ${t.id}` });
      }
      for (const [j, l] of c.lines.entries()) {
        if (l.tenant === t.id && !numbers.has(l.extension)) ctx.addIssue({ code: 'custom', path: ['lines', j, 'extension'], message: `no extension ${l.extension} in tenant ${t.id}` });
      }
      for (const [j, d] of t.dids.entries()) {
        if (!numbers.has(d.extension)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'dids', j, 'extension'], message: `no extension ${d.extension} in tenant ${t.id}` });
      }
    }
    const endpoints = new Set<string>();
    const bound = new Set<string>();
    for (const [j, l] of c.lines.entries()) {
      if (!c.tenants.some((t) => t.id === l.tenant)) ctx.addIssue({ code: 'custom', path: ['lines', j, 'tenant'], message: `no tenant ${l.tenant}` });
      if (endpoints.has(l.endpoint.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['lines', j, 'endpoint'], message: `endpoint ${l.endpoint} bound twice` });
      if (bound.has(`${l.tenant}/${l.extension}`)) ctx.addIssue({ code: 'custom', path: ['lines', j, 'extension'], message: `extension ${l.extension} of ${l.tenant} has two lines` });
      endpoints.add(l.endpoint.toLowerCase());
      bound.add(`${l.tenant}/${l.extension}`);
    }
  });

export type Class5Config = z.infer<typeof class5ConfigSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;
export type ExtensionConfig = z.infer<typeof extensionSchema>;
export type Features = z.infer<typeof featuresSchema>;
export type StarCodes = z.infer<typeof starCodesSchema>;
