/**
 * Carrier rate deck CSV (format documented in config/rate-decks/README.md).
 * Parsing is all-or-nothing: any bad row makes the result an error value carrying every bad
 * line number; nothing is partially returned. Never throws on any input.
 */
import { splitCsvLine } from './csv.js';
import { TrieBuilder } from './trie.js';

/** One carrier's rows, column-wise. Rates are integer millionths of the currency unit per minute. */
export interface DeckRows {
  carrier: string;
  count: number;
  prefixes: string[];
  interstate: Int32Array;
  intrastate: Int32Array;
  indeterminate: Int32Array;
  /** Epoch milliseconds (UTC) from which the row applies. */
  effective: Float64Array;
}

export interface DeckRowError {
  line: number;
  message: string;
}

export type DeckParseResult =
  | { ok: true; deck: DeckRows }
  | { ok: false; errors: DeckRowError[]; errorCount: number; rowCount: number };

/** E.164 §6.1: at most 15 digits. */
export const MAX_PREFIX_DIGITS = 15;
const MAX_REPORTED_ERRORS = 1000;
const RATE_RE = /^\d{1,4}(\.\d{1,6})?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?)?$/;
const DIGITS_RE = /^\d+$/;
/** NANP: NPA and NXX both begin 2-9 (ATIS-0300055). */
const NPANXX_RE = /^[2-9]\d{2}[2-9]\d{2}$/;

const COLUMN_ALIASES: Record<string, string> = {
  prefix: 'prefix',
  dialcode: 'prefix',
  npanxx: 'npanxx',
  'npa-nxx': 'npanxx',
  npa_nxx: 'npanxx',
  interstate: 'interstate',
  inter: 'interstate',
  intrastate: 'intrastate',
  intra: 'intrastate',
  indeterminate: 'indeterminate',
  indet: 'indeterminate',
  effective: 'effective',
  effective_date: 'effective',
};

/** Rate text ("0.0123") to integer micro-units, or -1 if malformed. */
export function parseRate(text: string): number {
  if (!RATE_RE.test(text)) return -1;
  const dot = text.indexOf('.');
  if (dot < 0) return Number(text) * 1_000_000;
  const frac = text.slice(dot + 1).padEnd(6, '0');
  return Number(text.slice(0, dot)) * 1_000_000 + Number(frac);
}

export function formatRate(micro: number): string {
  const whole = Math.floor(micro / 1_000_000);
  const frac = String(micro % 1_000_000).padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" (UTC) to epoch ms, or NaN. */
export function parseDate(text: string): number {
  const m = DATE_RE.exec(text);
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return NaN;
  return ms;
}

export function formatDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19) + 'Z';
}

/** The rate in an optional column, `fallback` when the column is absent or blank, -1 when it is not a rate. */
function optionalRate(cells: string[], at: number | undefined, fallback: number): number {
  return at === undefined || cells[at] === '' ? fallback : parseRate(cells[at]);
}

function badRate(column: string, text: string): string {
  return `${column} rate "${text}" is not a non-negative decimal with at most 6 places`;
}

export function parseDeck(carrier: string, text: string): DeckParseResult {
  const errors: DeckRowError[] = [];
  let errorCount = 0;
  const fail = (line: number, message: string) => {
    errorCount++;
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line, message });
  };
  const lines = text.split('\n');
  let header: string[] | undefined;
  let col: Record<string, number> = {};
  const cap = lines.length;
  const prefixes: string[] = [];
  const inter = new Int32Array(cap);
  const intra = new Int32Array(cap);
  const indet = new Int32Array(cap);
  const eff = new Float64Array(cap);
  const lineOf: number[] = [];
  const dates = new Map<string, number>();
  let n = 0;
  let rowCount = 0;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const cells = splitCsvLine(raw);
    for (let k = 0; k < cells.length; k++) {
      const c = cells[k];
      if (c.length && (c.charCodeAt(0) <= 32 || c.charCodeAt(c.length - 1) <= 32)) cells[k] = c.trim();
    }
    if (!header) {
      header = cells.map((c) => COLUMN_ALIASES[c.toLowerCase()] ?? c.toLowerCase());
      col = {};
      header.forEach((h, k) => (col[h] = k));
      if (col.prefix === undefined && col.npanxx === undefined) fail(lineNo, 'header needs a "prefix" or "npanxx" column');
      if (col.interstate === undefined) fail(lineNo, 'header needs an "interstate" column');
      if (errorCount) return { ok: false, errors, errorCount, rowCount: 0 };
      continue;
    }
    rowCount++;
    if (cells.length !== header.length) {
      fail(lineNo, `expected ${header.length} fields, found ${cells.length}`);
      continue;
    }
    let prefix: string;
    if (col.prefix !== undefined && cells[col.prefix] !== '') {
      prefix = cells[col.prefix].replace(/^\+/, '');
      if (!DIGITS_RE.test(prefix) || prefix.length > MAX_PREFIX_DIGITS) {
        fail(lineNo, `prefix "${cells[col.prefix]}" is not 1-${MAX_PREFIX_DIGITS} digits`);
        continue;
      }
    } else if (col.npanxx !== undefined) {
      const v = cells[col.npanxx].replace(/[-\s]/g, '');
      if (!NPANXX_RE.test(v)) {
        fail(lineNo, `NPA-NXX "${cells[col.npanxx]}" is not NXX-NXX with N in 2-9`);
        continue;
      }
      prefix = '1' + v;
    } else {
      fail(lineNo, 'no prefix');
      continue;
    }
    const rInter = parseRate(cells[col.interstate]);
    if (rInter < 0) {
      fail(lineNo, badRate('interstate', cells[col.interstate]));
      continue;
    }
    const rIntra = optionalRate(cells, col.intrastate, rInter);
    if (rIntra < 0) {
      fail(lineNo, badRate('intrastate', cells[col.intrastate]));
      continue;
    }
    const rIndet = optionalRate(cells, col.indeterminate, rInter);
    if (rIndet < 0) {
      fail(lineNo, badRate('indeterminate', cells[col.indeterminate]));
      continue;
    }
    let when = 0;
    if (col.effective !== undefined && cells[col.effective] !== '') {
      const text = cells[col.effective];
      const cached = dates.get(text);
      when = cached ?? parseDate(text);
      if (cached === undefined && dates.size < 10_000) dates.set(text, when);
      if (Number.isNaN(when)) {
        fail(lineNo, `effective date "${cells[col.effective]}" is not YYYY-MM-DD[THH:MM[:SS]]`);
        continue;
      }
    }
    prefixes.push(prefix);
    lineOf.push(lineNo);
    inter[n] = rInter;
    intra[n] = rIntra;
    indet[n] = rIndet;
    eff[n] = when;
    n++;
  }
  if (!header) return { ok: false, errors: [{ line: 1, message: 'empty deck: no header row' }], errorCount: 1, rowCount: 0 };
  for (const [i, j] of duplicates(prefixes, eff)) fail(lineOf[j], `duplicate prefix ${prefixes[j]} with the same effective date as line ${lineOf[i]}`);
  if (errorCount) {
    errors.sort((a, b) => a.line - b.line);
    return { ok: false, errors, errorCount, rowCount };
  }
  return {
    ok: true,
    deck: {
      carrier,
      count: n,
      prefixes,
      interstate: inter.slice(0, n),
      intrastate: intra.slice(0, n),
      indeterminate: indet.slice(0, n),
      effective: eff.slice(0, n),
    },
  };
}

/** Pairs [first row, repeat row] with the same prefix and effective date, found via a build-time trie. */
function duplicates(prefixes: string[], eff: Float64Array): Array<[number, number]> {
  const b = new TrieBuilder(prefixes.length + 16);
  const firstRow = new Int32Array(prefixes.length).fill(-1);
  const next = new Int32Array(prefixes.length).fill(-1);
  const out: Array<[number, number]> = [];
  for (let r = 0; r < prefixes.length; r++) {
    const pid = b.insert(prefixes[r]);
    const head = firstRow[pid];
    if (head < 0) {
      firstRow[pid] = r;
      continue;
    }
    let i = head;
    for (; i >= 0; i = next[i]) if (eff[i] === eff[r]) break;
    if (i >= 0) out.push([i, r]);
    next[r] = head;
    firstRow[pid] = r;
  }
  return out;
}

/** The deck back as CSV in the canonical column order. */
export function* deckCsvLines(rows: Iterable<{ prefix: string; interstate: number; intrastate: number; indeterminate: number; effective: number }>): Generator<string> {
  yield 'prefix,interstate,intrastate,indeterminate,effective';
  for (const r of rows) yield `${r.prefix},${formatRate(r.interstate)},${formatRate(r.intrastate)},${formatRate(r.indeterminate)},${formatDate(r.effective)}`;
}
