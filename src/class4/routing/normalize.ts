/**
 * Per-ingress number normalisation to E.164 digits without "+" (ITU-T E.164 §6; NANP numbering
 * per ATIS-0300055: NPA and NXX begin 2-9).
 */
import type { IngressConfig } from './config.js';

export type Normalized = { ok: true; digits: string } | { ok: false; reason: string };

const NANP_10 = /^[2-9]\d{2}[2-9]\d{6}$/;
const LOCAL_7 = /^[2-9]\d{6}$/;

export function normalizeNumber(input: string, ingress: IngressConfig): Normalized {
  const raw = input.trim();
  const plus = raw.startsWith('+');
  let d = raw.replace(/^\+/, '').replace(/[\s().-]/g, '');
  if (!/^\d+$/.test(d)) return { ok: false, reason: `"${input}" has characters other than digits` };
  if (plus) return checkLength(d);
  if (ingress.stripDigits) d = d.slice(ingress.stripDigits);
  if (ingress.stripPrefix && d.startsWith(ingress.stripPrefix)) d = d.slice(ingress.stripPrefix.length);
  d = ingress.addPrefix + d;
  if (ingress.internationalPrefix && d.startsWith(ingress.internationalPrefix)) return checkLength(d.slice(ingress.internationalPrefix.length));
  if (ingress.countryCode === '1') {
    if (d.length === 11 && d[0] === '1' && NANP_10.test(d.slice(1))) return { ok: true, digits: d };
    if (NANP_10.test(d)) return { ok: true, digits: '1' + d };
    if (LOCAL_7.test(d) && ingress.defaultNpa) return { ok: true, digits: '1' + ingress.defaultNpa + d };
    return { ok: false, reason: `"${input}" is not a 7-, 10- or 11-digit NANP number` };
  }
  if (d.startsWith('0')) return checkLength(ingress.countryCode + d.slice(1));
  return checkLength(d.startsWith(ingress.countryCode) ? d : ingress.countryCode + d);
}

function checkLength(d: string): Normalized {
  if (d.length < 3 || d.length > 15 || d[0] === '0') return { ok: false, reason: `"${d}" is not an E.164 number (3-15 digits, no leading 0)` };
  if (d[0] === '1' && !NANP_10.test(d.slice(1))) return { ok: false, reason: `"+${d}" is not a valid NANP number` };
  return { ok: true, digits: d };
}

/** True for NANP numbers (country code 1, 11 digits). */
export function isNanp(digits: string): boolean {
  return digits.length === 11 && digits[0] === '1';
}
