/**
 * `class5.lines`: analogue lines on residential (line) gateways, each an MGCP endpoint such as
 * `aaln/1@rgw1` (RFC 3435 §2.1.1) bound to one extension of a tenant: off-hook and dial on the line
 * calls as that extension; calls to the extension ring the line.
 */
import { z } from 'zod';
import { parseDigitMap } from '../../mgcp/mgcp/digit-map.js';

const digitMap = z.string().superRefine((s, ctx) => {
  const r = parseDigitMap(s);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `digit map: ${r.error}` });
});

/** Emergency and star codes, NANP 1+10 digits, international on the timer, anything else (an extension) on the timer. */
export const DEFAULT_LINE_DIGIT_MAP = '(911|933|*xx|1[2-9]xxxxxxxxx|011x.T|x.T)';

export const lineSchema = z.object({
  /** The line's endpoint, local name and the gateway's domain (one of mgcp.gateways). */
  endpoint: z.string().regex(/^[A-Za-z0-9/_.$*-]+@[A-Za-z0-9._-]+$/),
  tenant: z.string(),
  extension: z.string(),
  /** The digit map the gateway collects by (RFC 3435 §2.1.5); `linesDefaults.digitMap` when absent. */
  digitMap: digitMap.optional(),
});

export const linesDefaultsSchema = z
  .object({
    digitMap: digitMap.default(DEFAULT_LINE_DIGIT_MAP),
    /** Off hook this long without a complete number: reorder tone until on-hook. */
    permanentSignalS: z.number().int().min(5).max(300).default(30),
    /** How long an incoming call rings the line before no-answer treatment (Q.850 19). */
    ringS: z.number().int().min(5).max(300).default(30),
    /** A line whose gateway did not take its first notification request is tried again after this long. */
    retryS: z.number().int().min(1).max(3600).default(10),
  })
  .default({});

export type LineConfig = z.infer<typeof lineSchema>;
export type LinesDefaults = z.infer<typeof linesDefaultsSchema>;
