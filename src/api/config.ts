/**
 * The `api:` section: where the admin API listens, who may use it (bearer tokens with roles),
 * TLS, body limits and the audit log. The API owns this schema; src/config assembles it.
 */
import { z } from 'zod';
import { ROLES, TOKEN_HASH_RE } from './tokens.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Largest JSON body on any route: every JSON request here is a few hundred bytes. */
export const DEFAULT_JSON_BODY_BYTES = 64 * KiB;
/** Largest rate deck upload: a 1M-row deck is about 35 MiB. */
export const DEFAULT_DECK_BODY_BYTES = 64 * MiB;

const port = z.number().int().min(0).max(65535);

const tokenSchema = z.object({
  /** Who holds the token: recorded as the actor of every change in the audit log. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'letters, digits and _ . @ - (at most 64)'),
  role: z.enum(ROLES),
  /** From `softswitch api token create`; the token itself is never stored. */
  hash: z.string().regex(TOKEN_HASH_RE, 'expected "sha256$<salt>$<digest>" as printed by `softswitch api token create`'),
});

export const apiConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8080),
  tokens: z
    .array(tokenSchema)
    .default([])
    .superRefine((tokens, ctx) => {
      const seen = new Set<string>();
      tokens.forEach((t, i) => {
        if (seen.has(t.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `token name "${t.name}" is used twice` });
        seen.add(t.name);
      });
    }),
  /** PEM files; required when `host` is beyond loopback. */
  tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
  limits: z
    .object({
      jsonBytes: z.number().int().min(KiB).max(16 * MiB).default(DEFAULT_JSON_BODY_BYTES),
      deckBytes: z.number().int().min(KiB).max(1024 * MiB).default(DEFAULT_DECK_BODY_BYTES),
    })
    .default({}),
  audit: z
    .object({
      /** JSON lines, relative to dataDir (or absolute); rotated to FILE.1 at maxBytes (so at most twice that on disk). */
      file: z.string().min(1).default('audit.log'),
      maxBytes: z.number().int().min(4 * KiB).default(16 * MiB),
      /** Entries kept in memory for GET /api/v1/audit. */
      recent: z.number().int().min(0).max(100_000).default(1000),
    })
    .default({}),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;
export type ApiTokenConfig = z.infer<typeof tokenSchema>;
