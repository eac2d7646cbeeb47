/** Blocked-destination patterns over normalised digits: X any digit, N 2-9 (NANP dialling-plan notation). */
import type { BlockedConfig } from './config.js';

export function patternMatches(pattern: string, digits: string): boolean {
  if (digits.length < pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    const c = digits.charCodeAt(i);
    if (p === 'X') continue;
    if (p === 'N') {
      if (c < 50 || c > 57) return false;
      continue;
    }
    if (p.charCodeAt(0) !== c) return false;
  }
  return true;
}

/** The first blocking reason that applies, or undefined. */
export function blockedReason(digits: string, patterns: readonly BlockedConfig[], blockInternational: boolean, countryCode: string): string | undefined {
  for (const b of patterns) if (patternMatches(b.pattern, digits)) return b.reason;
  if (blockInternational && !digits.startsWith(countryCode)) return 'international calls are blocked for this customer';
  return undefined;
}
