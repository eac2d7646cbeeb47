/** The `calls:` section: limits the call engine applies to every call whatever its legs. */
import { z } from 'zod';

export const callsConfigSchema = z.object({
  /** Answered calls are released by the switch after this many seconds (0: no limit). */
  maxDurationS: z.number().int().min(0).default(14_400),
  /** A SIP destination that rings this long without answering is canceled: cause 19, no answer (ms). */
  sipAnswerTimeoutMs: z.number().int().min(500).default(120_000),
  /** A SIP target that sends no provisional response in this long is treated as down (ms; RFC 3261 Timer B is 32 s). */
  sipTargetNoResponseMs: z.number().int().min(200).default(4_000),
});

export type CallsConfig = z.infer<typeof callsConfigSchema>;
