import { SoftswitchError } from '../../errors.js';
import type { Variant } from '../variant.js';

export type PointCodeStyle = 'structured' | 'decimal';

export interface PointCodeError {
  error: string;
}

/** T1.111.4 §3.2: 24-bit network-cluster-member; Q.708 §3: 14-bit zone(3)-area(8)-id(3). */
export function formatPointCode(pc: number, variant: Variant, style: PointCodeStyle = 'structured'): string {
  if (style === 'decimal') return String(pc);
  if (variant === 'ansi') return `${(pc >>> 16) & 0xff}-${(pc >>> 8) & 0xff}-${pc & 0xff}`;
  return `${(pc >>> 11) & 0x7}-${(pc >>> 3) & 0xff}-${pc & 0x7}`;
}

const FIELD_WIDTHS: Record<Variant, readonly [number, number, number]> = {
  ansi: [8, 8, 8],
  itu: [3, 8, 3],
};

/** Accepts structured text (`-` or `.` separated) or a plain decimal number. */
export function parsePointCode(text: string, variant: Variant): number | PointCodeError {
  const t = text.trim();
  const max = variant === 'ansi' ? 0xffffff : 0x3fff;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n <= max ? n : { error: `point code ${t} exceeds ${max}` };
  }
  const parts = t.split(/[-.]/);
  if (parts.length !== 3 || parts.some((p) => !/^\d{1,3}$/.test(p))) {
    return { error: `point code "${text}" is neither decimal nor a-b-c` };
  }
  const widths = FIELD_WIDTHS[variant];
  let pc = 0;
  for (let i = 0; i < 3; i++) {
    const v = Number(parts[i]);
    if (v >= 1 << widths[i]) return { error: `point code field ${parts[i]} too large in "${text}"` };
    pc = pc * (1 << widths[i]) + v;
  }
  return pc;
}

export function isPointCodeError(v: number | PointCodeError): v is PointCodeError {
  return typeof v !== 'number';
}

/** A configured point code, or SSW_ERR_CONFIG_INVALID naming the configuration key. */
export function pointCodeOf(text: string, variant: 'ansi' | 'itu', key: string): number {
  const pc = parsePointCode(text, variant);
  if (isPointCodeError(pc)) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `${key}: ${pc.error} ("${text}")`);
  return pc;
}
