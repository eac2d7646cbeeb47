/** The `calls:` section: limits the call engine applies to every call whatever its legs. */
import { z } from 'zod';

export const callsConfigSchema = z.object({
  /** Answered calls are released by the switch after this many seconds (0: no limit). */
  maxDurationS: z.number().int().min(0).default(14_400),
  /** A SIP destination that rings this long without answering is canceled: cause 19, no answer (ms). */
  sipAnswerTimeoutMs: z.number().int().min(500).default(120_000),
  /** A SIP target that sends no provisional response in this long is treated as down (ms; RFC 3261 Timer B is 32 s). */
  sipTargetNoResponseMs: z.number().int().min(200).default(4_000),
  /**
   * Each call's signalling kept in memory for its ladder and pcap (admin API, console): the raw
   * SIP, ISUP and MGCP messages of the last `maxCalls` calls (0: off), at most `maxEventsPerCall`
   * each and `maxBytes` in all.
   */
  trail: z
    .object({
      maxCalls: z.number().int().min(0).max(100_000).default(500),
      maxEventsPerCall: z.number().int().min(1).max(10_000).default(64),
      maxBytes: z.number().int().min(64 * 1024).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
    })
    .default({}),
});

export type CallsConfig = z.infer<typeof callsConfigSchema>;
