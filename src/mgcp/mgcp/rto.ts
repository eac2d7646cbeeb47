/**
 * Per-gateway retransmission timer (RFC 3435 §3.5.3): the first timer of a command follows the
 * measured acknowledgement delay of that gateway, as TCP's does (the average delay AAD plus four
 * times its average deviation ADEV, RFC 6298 §2), bounded by the policy; each retransmission then
 * doubles it (transaction-fsm.ts). Karn's algorithm: a transaction that was retransmitted gives no
 * sample, since its answer cannot be matched to one of the copies, and its backed-off timer is
 * kept for the next commands until one is answered without retransmission. Pure: no clock, no I/O.
 */
import type { RetransmitPolicy } from './transaction-fsm.js';

export interface RttEstimate {
  /** Smoothed delay from send to first response, ms (undefined before the first sample). */
  aadMs?: number;
  /** Smoothed mean deviation, ms. */
  adevMs: number;
  samples: number;
  /** The backed-off timer of the last retransmitted transaction, until the next valid sample. */
  backoffMs?: number;
}

export function newEstimate(): RttEstimate {
  return { adevMs: 0, samples: 0 };
}

/** Adds one round-trip sample (gains 1/8 and 1/4, RFC 6298 §2.3). */
export function observeRtt(est: RttEstimate, sampleMs: number): void {
  const r = Math.max(0, sampleMs);
  if (est.aadMs === undefined) {
    est.aadMs = r;
    est.adevMs = r / 2;
  } else {
    const err = r - est.aadMs;
    est.aadMs += err / 8;
    est.adevMs += (Math.abs(err) - est.adevMs) / 4;
  }
  est.samples++;
  est.backoffMs = undefined;
}

/** A transaction needed retransmissions and ended with this timer (answered late, or given up). */
export function noteBackoff(est: RttEstimate, rtoMs: number): void {
  est.backoffMs = Math.max(est.backoffMs ?? 0, rtoMs);
}

/** First retransmission timer for the next command to the gateway. */
export function rtoOf(est: RttEstimate | undefined, policy: RetransmitPolicy): number {
  if (!est) return policy.initialRtoMs;
  const measured = est.aadMs === undefined ? policy.initialRtoMs : Math.max(Math.ceil(est.aadMs + 4 * est.adevMs), policy.minRtoMs);
  return Math.min(Math.max(measured, est.backoffMs ?? 0), policy.maxRtoMs);
}
