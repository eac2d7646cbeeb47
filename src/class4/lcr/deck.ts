/**
 * Carrier rate deck CSV (format documented in config/rate-decks/README.md).
 * Parsing is all-or-nothing: any bad row makes the result an error value carrying every bad
 * line number; nothing is partially returned. Never throws on any input. DeckParser takes the
 * text in pieces (an upload as it streams) and can stop early on junk.
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
  | { ok: false; errors: DeckRowError[]; errorCount: number; rowCount: number; stoppedAtLine?: number; stopReason?: string };

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

/**
 * Rate text ("0.0123") to integer micro-units, or -1 if malformed. Digit arithmetic rather than
 * slices: three rates a row, millions of rows, and each slice is garbage the deck worker's
 * collector (and its helper threads, which share the CPUs with the event loop) must sweep.
 */
export function parseRate(text: string): number {
  if (!RATE_RE.test(text)) return -1;
  let whole = 0;
  let i = 0;
  for (; i < text.length && text.charCodeAt(i) !== 46; i++) whole = whole * 10 + (text.charCodeAt(i) - 48);
  let frac = 0;
  let places = 0;
  for (i++; i < text.length; i++, places++) frac = frac * 10 + (text.charCodeAt(i) - 48);
  for (; places < 6; places++) frac *= 10;
  return whole * 1_000_000 + frac;
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

export interface DeckLimits {
  /** Data rows accepted before the deck is refused as too large. */
  maxRows?: number;
  /** A longer line refuses the deck at once (a rate deck row is short). */
  maxLineChars?: number;
  /**
   * Refuse early when, after this many data rows, more than half were bad: the input is not a
   * rate deck and reading the rest would only grow the report.
   */
  junkAfterRows?: number;
}

/** Why a streaming parse stopped before the end of its input. */
export interface DeckStop {
  line: number;
  reason: string;
}

/**
 * An incremental rate-deck parser: text goes in as it arrives (any split), rows come out
 * column-wise, bad rows are reported with line numbers (at most MAX_REPORTED_ERRORS kept). With
 * limits it stops at the first sign the input is not a deck (`push` returns why), so a junk
 * upload is refused after a few kilobytes rather than read whole.
 */
export class DeckParser {
  private readonly errors: DeckRowError[] = [];
  private errorCount = 0;
  private rowCount = 0;
  private header: string[] | undefined;
  private col: Record<string, number> = {};
  private readonly prefixes: string[] = [];
  private inter = new Int32Array(1024);
  private intra = new Int32Array(1024);
  private indet = new Int32Array(1024);
  private eff = new Float64Array(1024);
  private readonly lineOf: number[] = [];
  private readonly dates = new Map<string, number>();
  private n = 0;
  private lineNo = 0;
  private pending = '';
  private stop: DeckStop | undefined;

  constructor(
    readonly carrier: string,
    private readonly limits: DeckLimits = {},
  ) {}

  /** Rows accepted so far. */
  get accepted(): number {
    return this.n;
  }

  get stopped(): DeckStop | undefined {
    return this.stop;
  }

  /** The next piece of text; returns why parsing stopped, if it did (then further input is ignored). */
  push(text: string): DeckStop | undefined {
    if (this.stop) return this.stop;
    let from = 0;
    const maxLine = this.limits.maxLineChars ?? Infinity;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      const piece = text.slice(from, nl);
      from = nl + 1;
      const line = this.pending ? this.pending + piece : piece;
      this.pending = '';
      if (line.length > maxLine) return this.halt(this.lineNo + 1, `line ${this.lineNo + 1} is longer than ${maxLine} characters: not a rate deck`);
      this.line(line);
      if (this.stop) return this.stop;
    }
    if (from < text.length) {
      this.pending += text.slice(from);
      if (this.pending.length > maxLine) return this.halt(this.lineNo + 1, `line ${this.lineNo + 1} is longer than ${maxLine} characters: not a rate deck`);
    }
    return undefined;
  }

  /** End of input: the deck, or every problem found (all-or-nothing). */
  end(): DeckParseResult {
    if (!this.stop && this.pending) {
      const last = this.pending;
      this.pending = '';
      this.line(last);
    }
    if (this.stop) return this.failed();
    if (!this.header) return { ok: false, errors: [{ line: 1, message: 'empty deck: no header row' }], errorCount: 1, rowCount: 0 };
    const n = this.n;
    const prefixes = this.prefixes;
    for (const [i, j] of duplicates(prefixes, this.eff)) this.fail(this.lineOf[j], `duplicate prefix ${prefixes[j]} with the same effective date as line ${this.lineOf[i]}`);
    if (this.errorCount) return this.failed();
    return {
      ok: true,
      deck: {
        carrier: this.carrier,
        count: n,
        prefixes,
        interstate: this.inter.slice(0, n),
        intrastate: this.intra.slice(0, n),
        indeterminate: this.indet.slice(0, n),
        effective: this.eff.slice(0, n),
      },
    };
  }

  private failed(): DeckParseResult {
    this.errors.sort((a, b) => a.line - b.line);
    return { ok: false, errors: this.errors, errorCount: this.errorCount, rowCount: this.rowCount, ...(this.stop ? { stoppedAtLine: this.stop.line, stopReason: this.stop.reason } : {}) };
  }

  private halt(line: number, reason: string): DeckStop {
    if (!this.stop) {
      this.stop = { line, reason };
      this.fail(line, reason);
    }
    return this.stop;
  }

  private fail(line: number, message: string): void {
    this.errorCount++;
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push({ line, message });
  }

  private line(text: string): void {
    const lineNo = ++this.lineNo;
    const raw = text.trim();
    if (raw === '' || raw.startsWith('#')) return;
    const cells = splitCsvLine(raw);
    for (let k = 0; k < cells.length; k++) {
      const c = cells[k];
      if (c.length && (c.charCodeAt(0) <= 32 || c.charCodeAt(c.length - 1) <= 32)) cells[k] = c.trim();
    }
    const header = this.header;
    if (!header) {
      const h = cells.map((c) => COLUMN_ALIASES[c.toLowerCase()] ?? c.toLowerCase());
      const col: Record<string, number> = {};
      h.forEach((name, k) => (col[name] = k));
      this.header = h;
      this.col = col;
      const problems: string[] = [];
      if (col.prefix === undefined && col.npanxx === undefined) problems.push('header needs a "prefix" or "npanxx" column');
      if (col.interstate === undefined) problems.push('header needs an "interstate" column');
      for (const m of problems) this.fail(lineNo, m);
      if (problems.length) this.stop = { line: lineNo, reason: 'the first line is not a rate deck header (format: config/rate-decks/README.md)' };
      return;
    }
    this.rowCount++;
    const ok = this.row(cells, lineNo, header.length);
    const limits = this.limits;
    if (ok && limits.maxRows !== undefined && this.n > limits.maxRows) {
      this.halt(lineNo, `more than ${limits.maxRows} rows: split the deck or raise the limit`);
      return;
    }
    const junkAfter = limits.junkAfterRows;
    if (!ok && junkAfter !== undefined && this.rowCount >= junkAfter && this.errorCount * 2 > this.rowCount) {
      this.halt(lineNo, `${this.errorCount} of the first ${this.rowCount} rows are bad: not a rate deck`);
    }
  }

  /** Validates and stores one data row; false (with the error recorded) when it is bad. */
  private row(cells: string[], lineNo: number, width: number): boolean {
    const col = this.col;
    if (cells.length !== width) {
      this.fail(lineNo, `expected ${width} fields, found ${cells.length}`);
      return false;
    }
    let prefix: string;
    if (col.prefix !== undefined && cells[col.prefix] !== '') {
      prefix = cells[col.prefix].replace(/^\+/, '');
      if (!DIGITS_RE.test(prefix) || prefix.length > MAX_PREFIX_DIGITS) {
        this.fail(lineNo, `prefix "${cells[col.prefix]}" is not 1-${MAX_PREFIX_DIGITS} digits`);
        return false;
      }
    } else if (col.npanxx !== undefined) {
      const v = cells[col.npanxx].replace(/[-\s]/g, '');
      if (!NPANXX_RE.test(v)) {
        this.fail(lineNo, `NPA-NXX "${cells[col.npanxx]}" is not NXX-NXX with N in 2-9`);
        return false;
      }
      prefix = '1' + v;
    } else {
      this.fail(lineNo, 'no prefix');
      return false;
    }
    const rInter = parseRate(cells[col.interstate]);
    if (rInter < 0) {
      this.fail(lineNo, badRate('interstate', cells[col.interstate]));
      return false;
    }
    const rIntra = optionalRate(cells, col.intrastate, rInter);
    if (rIntra < 0) {
      this.fail(lineNo, badRate('intrastate', cells[col.intrastate]));
      return false;
    }
    const rIndet = optionalRate(cells, col.indeterminate, rInter);
    if (rIndet < 0) {
      this.fail(lineNo, badRate('indeterminate', cells[col.indeterminate]));
      return false;
    }
    let when = 0;
    if (col.effective !== undefined && cells[col.effective] !== '') {
      const text = cells[col.effective];
      const cached = this.dates.get(text);
      when = cached ?? parseDate(text);
      if (cached === undefined && this.dates.size < 10_000) this.dates.set(text, when);
      if (Number.isNaN(when)) {
        this.fail(lineNo, `effective date "${cells[col.effective]}" is not YYYY-MM-DD[THH:MM[:SS]]`);
        return false;
      }
    }
    const n = this.n;
    if (n === this.inter.length) this.grow();
    this.prefixes.push(prefix);
    this.lineOf.push(lineNo);
    this.inter[n] = rInter;
    this.intra[n] = rIntra;
    this.indet[n] = rIndet;
    this.eff[n] = when;
    this.n = n + 1;
    return true;
  }

  private grow(): void {
    const cap = this.inter.length * 2;
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.inter = i32(this.inter);
    this.intra = i32(this.intra);
    this.indet = i32(this.indet);
    const e = new Float64Array(cap);
    e.set(this.eff);
    this.eff = e;
  }
}

/** Parses a whole deck held in memory (all-or-nothing; no limits). */
export function parseDeck(carrier: string, text: string): DeckParseResult {
  const p = new DeckParser(carrier);
  p.push(text);
  return p.end();
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
