import { z } from 'zod';
import { routingConfigSchema } from '../class4/routing/config.js';
import { didHealthSchema, trunkCustomerSchema, trunkGroupSchema } from '../class4/trunks/config.js';
import { ss7ConfigSchema } from '../ss7/config.js';
import { mgcpConfigSchema } from '../mgcp/config.js';
import { sipConfigSchema } from '../sip/config.js';
import { callsConfigSchema } from '../calls/config.js';
import { labConfigSchema } from '../app/lab/config.js';
import { overloadConfigSchema } from '../class4/admission/overload.js';
import { fraudConfigSchema } from '../class4/admission/fraud.js';
import { apiConfigSchema } from '../api/config.js';
import { h248ConfigSchema } from '../mgcp/h248/config.js';
import { class5ConfigSchema } from '../class5/config.js';
import { storeConfigSchema } from '../store/config.js';
import { clusterConfigSchema } from '../cluster/config.js';

/**
 * The switch's configuration: one YAML/JSON file validated here. Each area owns its section's
 * schema and option types; this file only assembles them, with the defaults that let the
 * embedded lab profile run on a fresh machine. `lab.enabled` defaults to true only when no
 * file is given: a configuration file is production unless it says `lab: { enabled: true }`
 * (src/config/load.ts).
 */
export const configSchema = z.object({
  node: z.object({ name: z.string().default('ssw-lab-1') }).default({}),
  dataDir: z.string().default('./data'),
  /** CDRs and the open-calls journal: embedded SQLite (one node) or a shared PostgreSQL (src/store/config.ts). */
  store: storeConfigSchema.default({ kind: 'sqlite' }),
  /** State shared by several nodes through Redis: call counts, rate-limit shares, registrations (src/cluster/config.ts). */
  cluster: clusterConfigSchema.default({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  lab: labConfigSchema.default({}),
  /** Admin API: address, tokens, TLS, body limits, audit log (src/api/config.ts). */
  api: apiConfigSchema.default({}),
  sip: sipConfigSchema.default({}),
  calls: callsConfigSchema.default({}),
  overload: overloadConfigSchema.default({}),
  fraud: fraudConfigSchema.default({}),
  trunkCustomers: z.array(trunkCustomerSchema).default([
    {
      id: 'lab-trunk',
      sources: ['127.0.0.1/32'],
      maxCalls: 100,
      // The lab customer's PBX: `sipp -sn uas -p 5090` receives calls the tandem originates to these DIDs.
      dids: [{ range: { from: '2125550100', to: '2125550199' }, targets: [{ host: '127.0.0.1', port: 5090 }] }],
    },
  ]),
  didHealth: didHealthSchema.default({}),
  ss7: ss7ConfigSchema.default({}),
  trunkGroups: z
    .array(trunkGroupSchema)
    .default([
      { id: 'tg-ilec', variant: 'ansi', dpc: '2-2-2', cics: { first: 1, count: 24 }, gateway: 'mgw-lab', endpoint: 'rtpbridge/{cichex}@mgw' },
      { id: 'tg-ixc-b', variant: 'ansi', dpc: '2-2-2', cics: { first: 25, count: 24 }, gateway: 'mgw-lab', endpoint: 'rtpbridge/{cichex}@mgw' },
    ]),
  mgcp: mgcpConfigSchema.default({}),
  /** H.248/MEGACO gateways (src/mgcp/h248/config.ts); a trunk group names an MGCP or an H.248 gateway. */
  h248: h248ConfigSchema.default({}),
  routing: routingConfigSchema.default({}),
  /** Class 5: tenants, extensions, registrar and digest authentication (src/class5/config.ts). */
  class5: class5ConfigSchema.default({}),
  shutdown: z.object({ drainMs: z.number().int().min(0).default(5000) }).default({}),
  /**
   * Process placement (src/app/cpu-placement.ts). eventLoopCpu: the CPU the event loop gets to
   * itself (Linux, util-linux taskset); every other thread and child process runs on the rest.
   * Absent: the kernel places threads as it likes.
   */
  runtime: z.object({ eventLoopCpu: z.number().int().min(0).optional() }).strict().default({}),
});

export type Config = z.infer<typeof configSchema>;
