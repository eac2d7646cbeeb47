/** The `store:` section: where CDRs and the open-calls journal live (embedded SQLite, or a shared PostgreSQL). */
import { z } from 'zod';

export const storeConfigSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('sqlite'),
    /** The SQLite file; default `<dataDir>/softswitch.sqlite`. */
    path: z.string().optional(),
  }),
  z.object({
    kind: z.literal('postgres'),
    /** libpq-style URL, e.g. postgres://ssw:secret@db.example.net:5432/softswitch */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
    /** Connections the node keeps open. */
    poolSize: z.number().int().min(1).max(100).default(5),
  }),
]);

export type StoreConfig = z.infer<typeof storeConfigSchema>;
