/**
 * `softswitch cdrs list|export`: CDRs of a running switch through its admin API (read-only role).
 * `list` prints a page as a table (--json for scripts); `export` streams the API's CSV or
 * length-delimited protobuf export into a file, with progress on stderr. The API address and
 * token come from --api/--token or SSW_API_URL / SSW_API_TOKEN.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const FILTERS = `  --from ISO      calls that started at or after this instant
  --to ISO        calls that started before this instant
  --customer ID   --trunk-group ID (out or in)   --cause N (Q.850)
  --api URL       admin API (default SSW_API_URL or http://127.0.0.1:8080)
  --token T       bearer token (default SSW_API_TOKEN); the read-only role is enough`;

export const CDRS_LIST_USAGE = `usage: softswitch cdrs list [--from ISO] [--to ISO] [--customer ID] [--trunk-group ID] [--cause N] [--limit N] [--after ID] [--json]

  CDRs of a running switch, oldest first, one page (--limit, default 50); the next page's --after is printed.
${FILTERS}`;

export const CDRS_EXPORT_USAGE = `usage: softswitch cdrs export --format csv|protobuf --out FILE [--from ISO] [--to ISO] [--customer ID] [--trunk-group ID] [--cause N]

  Writes the CDRs of a running switch to FILE: CSV (RFC 4180, a header line) or protobuf (messages
  softswitch.cdr.v1.Cdr of src/calls/cdr.proto, each preceded by its varint length). Progress on stderr.
${FILTERS}`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Whether stderr is a terminal (progress redraws one line) or not (a line per step). */
  tty?: boolean;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), tty: process.stderr.isTTY };

const filterOptions = {
  from: { type: 'string' },
  to: { type: 'string' },
  customer: { type: 'string' },
  'trunk-group': { type: 'string' },
  cause: { type: 'string' },
  api: { type: 'string' },
  token: { type: 'string' },
} as const;

type FilterValues = { from?: string; to?: string; customer?: string; 'trunk-group'?: string; cause?: string; api?: string; token?: string };

function filterQuery(v: FilterValues): URLSearchParams {
  const q = new URLSearchParams();
  for (const [opt, param] of [['from', 'from'], ['to', 'to'], ['customer', 'customer'], ['trunk-group', 'trunkGroup'], ['cause', 'cause']] as const) {
    const value = v[opt];
    if (value !== undefined) q.set(param, opt === 'from' || opt === 'to' ? new Date(value).toISOString() : value);
  }
  return q;
}

function badTime(v: FilterValues): string | undefined {
  for (const opt of ['from', 'to'] as const) if (v[opt] !== undefined && Number.isNaN(Date.parse(v[opt]!))) return `--${opt} "${v[opt]}" is not an ISO 8601 time`;
  return undefined;
}

function endpoint(v: FilterValues): { base: string; headers: Record<string, string> } {
  const token = v.token ?? process.env.SSW_API_TOKEN;
  return { base: v.api ?? process.env.SSW_API_URL ?? 'http://127.0.0.1:8080', headers: token ? { authorization: `Bearer ${token}` } : {} };
}

/** The API's refusal in one line (its error, code and what to do). */
async function refusal(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const j = JSON.parse(text) as { error?: string; code?: string; action?: string };
    return `admin API answered ${res.status}: ${[j.error, j.code, j.action].filter(Boolean).join(' — ')}`;
  } catch {
    return `admin API answered ${res.status}: ${text.slice(0, 200)}`;
  }
}

function table(rows: Array<Record<string, unknown>>, cols: string[]): string {
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i])).join('  ').trimEnd();
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

export async function cdrsListCommand(args: string[], io: Io = defaultIo): Promise<number> {
  const { values } = parseArgs({ args, options: { ...filterOptions, limit: { type: 'string' }, after: { type: 'string' }, json: { type: 'boolean' } } });
  const bad = badTime(values);
  if (bad) return (io.err(`${bad}\n${CDRS_LIST_USAGE}\n`), 2);
  const q = filterQuery(values);
  q.set('limit', values.limit ?? '50');
  if (values.after !== undefined) q.set('after', values.after);
  const { base, headers } = endpoint(values);
  const res = await fetch(new URL(`/api/v1/cdrs/query?${q}`, base), { headers });
  if (!res.ok) return (io.err(`${await refusal(res)}\n`), 1);
  const body = (await res.json()) as { cdrs: Array<Record<string, unknown>>; next?: number; total: number };
  if (values.json) return (io.out(`${JSON.stringify(body, null, 2)}\n`), 0);
  if (body.cdrs.length === 0) return (io.out('(no CDRs)\n'), 0);
  io.out(`${table(body.cdrs, ['id', 'startTime', 'direction', 'customer', 'called', 'trunkGroup', 'carrier', 'cause', 'billableMs', 'rate', 'charge'])}\n`);
  io.out(`${body.cdrs.length} of ${body.total}${body.next !== undefined ? `; next page: --after ${body.next}` : ''}\n`);
  return 0;
}

/** Counts whole records as bytes arrive: CSV lines after the header, or varint-framed messages. */
class RecordCounter {
  records = 0;
  private headerSeen = false;
  private pending = Buffer.alloc(0);
  constructor(private readonly format: 'csv' | 'protobuf') {}

  feed(chunk: Buffer): void {
    if (this.format === 'csv') {
      for (const b of chunk) if (b === 0x0a) this.headerSeen ? this.records++ : (this.headerSeen = true);
      return;
    }
    // Only the frame lengths are read (a varint, then skip that many bytes).
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      let len = 0;
      let shift = 0;
      let i = 0;
      for (; i < buf.length && i < 10; i++) {
        len += (buf[i] & 0x7f) * 2 ** shift;
        shift += 7;
        if ((buf[i] & 0x80) === 0) break;
      }
      if (i >= buf.length || buf.length < i + 1 + len) break;
      buf = buf.subarray(i + 1 + len);
      this.records++;
    }
    this.pending = Buffer.from(buf);
  }
}

export async function cdrsExportCommand(args: string[], io: Io = defaultIo): Promise<number> {
  const { values } = parseArgs({ args, options: { ...filterOptions, format: { type: 'string' }, out: { type: 'string', short: 'o' } } });
  const format = values.format;
  if (format !== 'csv' && format !== 'protobuf') return (io.err(`--format csv or --format protobuf is needed\n${CDRS_EXPORT_USAGE}\n`), 2);
  if (!values.out) return (io.err(`--out FILE is needed\n${CDRS_EXPORT_USAGE}\n`), 2);
  const bad = badTime(values);
  if (bad) return (io.err(`${bad}\n${CDRS_EXPORT_USAGE}\n`), 2);
  const q = filterQuery(values);
  q.set('format', format);
  const { base, headers } = endpoint(values);
  const res = await fetch(new URL(`/api/v1/cdrs/export?${q}`, base), { headers });
  if (!res.ok || !res.body) return (io.err(`${await refusal(res)}\n`), 1);
  const total = Number(res.headers.get('x-cdr-count') ?? NaN);
  // Written beside the target and renamed when complete: an interrupted export leaves no partial FILE.
  const partial = `${values.out}.partial`;
  const file = createWriteStream(partial);
  const counter = new RecordCounter(format);
  let bytes = 0;
  let lastShown = 0;
  const show = (final = false) => {
    const now = Date.now();
    if (!final && now - lastShown < 250) return;
    lastShown = now;
    const pct = Number.isFinite(total) && total > 0 ? ` (${Math.floor((100 * counter.records) / total)}%)` : '';
    const text = `exported ${counter.records}${Number.isFinite(total) ? `/${total}` : ''} CDRs${pct}, ${bytes} bytes`;
    io.err(io.tty ? `\r${text}${final ? '\n' : ''}` : `${text}\n`);
  };
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const b = Buffer.from(chunk);
      bytes += b.length;
      counter.feed(b);
      if (!file.write(b)) await new Promise<void>((r) => file.once('drain', () => r()));
      show();
    }
    await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await rename(partial, values.out);
  } catch (err) {
    file.destroy();
    await rm(partial, { force: true });
    throw err;
  }
  show(true);
  if (Number.isFinite(total) && counter.records !== total) {
    io.err(`the switch announced ${total} CDRs but ${counter.records} arrived; export again\n`);
    return 1;
  }
  io.err(`wrote ${values.out}\n`);
  return 0;
}
