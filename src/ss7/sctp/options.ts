import type { Registry } from 'prom-client';
import type { Logger } from '../../util/log.js';
import type { Clock } from '../../util/clock.js';

/** Tunables shared by the UDP and raw transports; every one has a default. */
export interface SctpTuning {
  /** Inbound and outbound streams asked for in INIT (RFC 4960 §3.3.2). Default 16. */
  streams?: number;
  /** Wait for COMMUNICATION UP per attempt before a fresh INIT. Default 1000 ms. */
  setupTimeoutMs?: number;
  /** INIT attempts before 'down' + SSW_ERR_SCTP_ASSOC_FAILED. Default 5. */
  maxAttempts?: number;
  /** close(): SHUTDOWN, then ABORT after this long. Default 3000 ms. */
  closeTimeoutMs?: number;
  /** RFC 4960 §8.3 HB.interval. Default 30000 ms. */
  heartbeatIntervalMs?: number;
  /** RFC 4960 §8.3 Path.Max.Retrans (unanswered heartbeats). Default 5. */
  pathMaxRetrans?: number;
  /** Messages that may wait for window; beyond, send() drops and emits 'error'. Default 1,000,000. */
  maxQueued?: number;
  logger?: Logger;
  clock?: Clock;
  /** Where set-ups, messages and aborts are counted (the switch's registry; default: one of the association's own). */
  registry?: Registry;
}

export const TUNING_DEFAULTS = {
  streams: 16,
  setupTimeoutMs: 1000,
  maxAttempts: 5,
  closeTimeoutMs: 3000,
  heartbeatIntervalMs: 30_000,
  pathMaxRetrans: 5,
  maxQueued: 1_000_000,
} as const;

/** Every tunable with its default filled in, as the association takes them. */
export function resolveTuning(opts: SctpTuning) {
  return {
    maxAttempts: opts.maxAttempts ?? TUNING_DEFAULTS.maxAttempts,
    setupTimeoutMs: opts.setupTimeoutMs ?? TUNING_DEFAULTS.setupTimeoutMs,
    closeTimeoutMs: opts.closeTimeoutMs ?? TUNING_DEFAULTS.closeTimeoutMs,
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? TUNING_DEFAULTS.heartbeatIntervalMs,
    pathMaxRetrans: opts.pathMaxRetrans ?? TUNING_DEFAULTS.pathMaxRetrans,
    maxQueued: opts.maxQueued ?? TUNING_DEFAULTS.maxQueued,
  };
}
