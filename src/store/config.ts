/** The `store:` section: where CDRs and the open-calls journal live (embedded SQLite, or a shared PostgreSQL). */
import { z } from 'zod';

/** What the switch does while the embedded store cannot be written (src/store/store-guard.ts). */
const writeFailure = {
  /** While the store cannot be written: keep taking calls (CDRs spooled) or refuse new calls. */
  onWriteFailure: z.enum(['keep-calls', 'refuse-calls']).default('keep-calls'),
  /** Spool file for CDRs the store refused; default `<dataDir>/cdr-spool.jsonl`. Put it on another volume than dataDir. */
  spoolPath: z.string().optional(),
  /** How often a degraded store is tried again (ms). */
  retryMs: z.number().int().min(50).default(5000),
};

const storeVariants = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('sqlite'),
    ...writeFailure,
    /** The SQLite file; default `<dataDir>/softswitch.sqlite`. */
    path: z.string().optional(),
    /**
     * CDRs and the open-calls journal written by a thread of their own, off the event loop (about
     * a tenth of a trunk call's work at capacity); false writes them on the event loop.
     */
    writerThread: z.boolean().default(true),
  }),
  z.object({
    kind: z.literal('postgres'),
    /** libpq-style URL, e.g. postgres://ssw:secret@db.example.net:5432/softswitch */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
    /** Connections the node keeps open. */
    poolSize: z.number().int().min(1).max(100).default(5),
    /**
     * Provisioning changes of other nodes arrive by LISTEN/NOTIFY at once; as a safety net (a
     * dropped LISTEN connection) the provisioned tenants and trunk customers are also re-read this often (ms; 0: never).
     */
    provisioningPollMs: z.number().int().min(0).default(60_000),
    ...writeFailure,
  }),
]);

/** `kind` may be left out: the embedded SQLite store. */
export const storeConfigSchema = z.preprocess((v) => (v !== null && typeof v === 'object' && !('kind' in v) ? { ...v, kind: 'sqlite' } : v), storeVariants);

export type StoreConfig = z.infer<typeof storeVariants>;
