/**
 * Loaders for the LNP table (ported TN -> LRN, as in an NPAC subscription-version export) and
 * the NPA-NXX -> state table (LERG-like). Both are all-or-nothing and report bad lines.
 */
import { splitCsvLine } from '../lcr/csv.js';
import type { DeckRowError } from '../lcr/deck.js';

export type TableLoad<T> = { ok: true; value: T } | { ok: false; errors: DeckRowError[] };

const TN_RE = /^[2-9]\d{2}[2-9]\d{6}$/;
const STATE_RE = /^[A-Z]{2}$/;

function rows(text: string, onHeader: (h: string[]) => string | undefined, onRow: (cells: string[], line: number) => string | undefined): DeckRowError[] {
  const errors: DeckRowError[] = [];
  let header = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw || raw.startsWith('#')) continue;
    const cells = splitCsvLine(raw).map((c) => c.trim());
    const err = header ? onRow(cells, i + 1) : onHeader(cells.map((c) => c.toLowerCase()));
    if (!header && err) return [{ line: i + 1, message: err }];
    header = true;
    if (err && errors.length < 1000) errors.push({ line: i + 1, message: err });
  }
  return errors;
}

/** Columns: tn (or ported_tn), lrn; further NPAC columns (spid, activation, ...) are ignored. */
export function parseLnp(text: string): TableLoad<Map<string, string>> {
  const map = new Map<string, string>();
  let tnCol = -1;
  let lrnCol = -1;
  const errors = rows(
    text,
    (h) => {
      tnCol = h.findIndex((c) => c === 'tn' || c === 'ported_tn' || c === 'portedtn' || c === 'number');
      lrnCol = h.indexOf('lrn');
      return tnCol < 0 || lrnCol < 0 ? 'header needs "tn" and "lrn" columns' : undefined;
    },
    (c) => {
      const tn = (c[tnCol] ?? '').replace(/^\+?1(?=\d{10}$)/, '').replace(/-/g, '');
      const lrn = (c[lrnCol] ?? '').replace(/^\+?1(?=\d{10}$)/, '').replace(/-/g, '');
      if (!TN_RE.test(tn)) return `tn "${c[tnCol] ?? ''}" is not a 10-digit NANP number`;
      if (!TN_RE.test(lrn)) return `lrn "${c[lrnCol] ?? ''}" is not a 10-digit NANP number`;
      if (map.has(tn)) return `tn ${tn} appears twice`;
      map.set(tn, lrn);
      return undefined;
    },
  );
  return errors.length ? { ok: false, errors } : { ok: true, value: map };
}

/** Columns: npanxx (6 digits) or npa [+ nxx], and state (two letters). A 3-digit row covers a whole NPA. */
export function parseStateTable(text: string): TableLoad<Map<string, string>> {
  const map = new Map<string, string>();
  let key = -1;
  let npa = -1;
  let nxx = -1;
  let st = -1;
  const errors = rows(
    text,
    (h) => {
      key = h.findIndex((c) => c === 'npanxx' || c === 'npa-nxx' || c === 'npa_nxx');
      npa = h.indexOf('npa');
      nxx = h.indexOf('nxx');
      st = h.indexOf('state');
      return (key < 0 && npa < 0) || st < 0 ? 'header needs "npanxx" (or "npa"[, "nxx"]) and "state" columns' : undefined;
    },
    (c) => {
      const k = key >= 0 ? (c[key] ?? '').replace(/-/g, '') : (c[npa] ?? '') + (nxx >= 0 ? (c[nxx] ?? '') : '');
      const state = (c[st] ?? '').toUpperCase();
      if (!/^[2-9]\d\d([2-9]\d\d)?$/.test(k)) return `"${k}" is not an NPA or NPA-NXX`;
      if (!STATE_RE.test(state)) return `state "${c[st] ?? ''}" is not a two-letter code`;
      if (map.has(k)) return `${k} appears twice`;
      map.set(k, state);
      return undefined;
    },
  );
  return errors.length ? { ok: false, errors } : { ok: true, value: map };
}
