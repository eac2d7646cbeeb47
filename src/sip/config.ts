/** The `sip:` section: which adapter carries SIP, where it listens, and the embedded stack's bounds. */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

export const sipConfigSchema = z.object({
  adapter: z.enum(['embedded', 'drachtio']).default('embedded'),
  address: host.default('127.0.0.1'),
  port: port.default(5060),
  drachtio: z.object({ host: host.default('127.0.0.1'), port: port.default(9022), secret: z.string().default('cymru') }).default({}),
  /** Flood bounds of the embedded stack: beyond them new INVITEs get 503 + Retry-After (RFC 3261 §21.5.4). */
  maxServerTransactions: z.number().int().min(1).default(20_000),
  maxDialogs: z.number().int().min(1).default(50_000),
  overloadRetryAfterS: z.number().int().min(1).default(10),
});

export type SipConfig = z.infer<typeof sipConfigSchema>;
