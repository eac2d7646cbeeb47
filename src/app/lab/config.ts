/** The `lab:` section: the tandem simulator and osmo-mgw started beside the switch in the lab profile. */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const tandemSimSchema = z.object({
  /** Where the simulated SG listens (SCTP over UDP). 0: pick a free port. */
  port: port.default(0),
  pointCode: z.string().default('2-2-2'),
  answerDelayMs: z.number().int().min(0).default(500),
  alertDelayMs: z.number().int().min(0).default(100),
  /** Release from the tandem side after this long in the answered state (0: never). */
  releaseAfterMs: z.number().int().min(0).default(0),
  /**
   * A cluster of switch nodes (cluster.nodes): one SCTP/UDP port per node's ASP, all of one AS in
   * loadshare; each ISUP message goes to the node owning its CIC, and a node whose ASP goes down
   * has only its own circuits cleared. Empty: one switch on `port`.
   */
  asps: z.array(z.object({ node: z.string().min(1), port })).default([]),
  /** An ASP silent (no DATA, no BEAT) this long is taken as down; 0: only when its association fails. */
  aspSilenceMs: z.number().int().min(0).default(0),
  /** Called-number patterns (regular expressions over digits) and what to do with them. */
  rules: z
    .array(
      z.object({
        match: z.string(),
        /** Only calls arriving on this trunk group (the switch's id); any when absent. */
        trunkGroup: z.string().optional(),
        action: z.enum(['answer', 'reject', 'no-answer', 'release-after-answer']),
        cause: z.number().int().min(1).max(127).default(16),
        delayMs: z.number().int().min(0).optional(),
      }),
    )
    .default([]),
});

export const labConfigSchema = z.object({
  /** The lab profile runs the tandem simulator beside the switch and points ss7.sg at it. */
  enabled: z.boolean().default(true),
  /** Start osmo-mgw (if installed) as the lab's TDM gateway. */
  startOsmoMgw: z.boolean().default(true),
  tandemSim: tandemSimSchema.default({}),
});

export type TandemSimConfig = z.infer<typeof tandemSimSchema>;
export type LabConfig = z.infer<typeof labConfigSchema>;
