/**
 * `softswitch decks …`: rate deck versions on a running switch, through its admin API: import a
 * deck as a version (streamed, with a progress bar), list and show versions with their
 * validation reports, diff two versions, activate one, roll back. Tables for people, --json for
 * scripts. Exit codes: 0 done, 1 failed, 2 usage, 3 not found, 4 deck rejected, 5 refused
 * (a rejected version, nothing to roll back to).
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { call, DEFAULT_API, replyError, table, uploadFile, type ApiReply } from './api-client.js';

export const DECKS_USAGE = `usage: softswitch decks list CARRIER [--limit N] [--json]
       softswitch decks show VERSION [--json]
       softswitch decks import CARRIER FILE.csv [--activate] [--json]
       softswitch decks diff FROM-VERSION TO-VERSION [--limit N] [--json]
       softswitch decks activate VERSION [--reason TEXT] [--json]
       softswitch decks rollback CARRIER [--reason TEXT] [--json]

  Rate deck versions of a running switch, through its admin API. import stores the deck as a new
  version with its validation report (bad rows with line numbers) and, with --activate, makes it
  the carrier's active deck; the route table is rebuilt off the event loop and swapped in.
  rollback re-activates the version that was active before the current one.
  --api URL   admin API (default SSW_API_URL or ${DEFAULT_API})
  --token T   bearer token (default SSW_API_TOKEN); import, activate and rollback need admin`;

export interface DecksIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Draw the import progress bar in place (a terminal); otherwise a line at each quarter. */
  tty?: boolean;
}

const defaultIo: DecksIo = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n'), tty: process.stderr.isTTY };

interface Version {
  id: number;
  carrier: string;
  createdAt: string;
  createdBy: string;
  status: string;
  active?: boolean;
  bytes: number;
  rowCount: number;
  accepted: number;
  rejected: number;
  report?: { errors: Array<{ line: number; message: string }>; stoppedAtLine?: number; stopReason?: string };
}

function versionRow(v: Version): Record<string, unknown> {
  return { id: v.id, active: v.active ? '*' : '', status: v.status, rows: v.rowCount, accepted: v.accepted, rejected: v.rejected, bytes: v.bytes, created: v.createdAt, by: v.createdBy };
}

function describeVersion(v: Version): string {
  const lines = [table([versionRow(v)])];
  const r = v.report;
  if (r?.stoppedAtLine !== undefined) lines.push(`refused at line ${r.stoppedAtLine}: ${r.stopReason ?? ''} (the rest was not read)`);
  if (r?.errors.length) {
    lines.push(`bad rows (${v.rejected}${r.errors.length < v.rejected ? `, first ${r.errors.length} shown` : ''}):`);
    for (const e of r.errors) lines.push(`  line ${e.line}: ${e.message}`);
  }
  return lines.join('\n');
}

function bar(sent: number, total: number): string {
  const pct = total ? Math.min(100, Math.floor((sent / total) * 100)) : 100;
  const width = 30;
  const full = Math.round((pct / 100) * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(pct).padStart(3)}%  ${(sent / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`;
}

const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

export async function decksCommand(args: string[], io: DecksIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { api: { type: 'string' }, token: { type: 'string' }, limit: { type: 'string' }, activate: { type: 'boolean' }, reason: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${DECKS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(DECKS_USAGE);
    return 0;
  }
  const base = values.api ?? process.env.SSW_API_URL ?? DEFAULT_API;
  const token = values.token ?? process.env.SSW_API_TOKEN;
  const [action, a, b] = positionals;
  const limit = values.limit === undefined ? undefined : int(values.limit);
  const usage = (why: string) => {
    io.err(`${why}\n${DECKS_USAGE}`);
    return 2;
  };
  if (values.limit !== undefined && limit === undefined) return usage('--limit must be a whole number');
  const reasonBody = values.reason !== undefined ? { reason: values.reason } : {};
  const enc = encodeURIComponent;
  let res: ApiReply;
  try {
    switch (action) {
      case 'list':
        if (!a) return usage('list needs CARRIER');
        res = await call(base, token, 'GET', `/api/v1/routes/decks/${enc(a)}/versions${limit ? `?limit=${limit}` : ''}`);
        break;
      case 'show':
        if (int(a) === undefined) return usage('show needs a VERSION number');
        res = await call(base, token, 'GET', `/api/v1/routes/decks/versions/${a}`);
        break;
      case 'diff':
        if (int(a) === undefined || int(b) === undefined) return usage('diff needs two VERSION numbers');
        res = await call(base, token, 'GET', `/api/v1/routes/decks/diff?from=${a}&to=${b}${limit !== undefined ? `&limit=${limit}` : ''}`);
        break;
      case 'activate':
        if (int(a) === undefined) return usage('activate needs a VERSION number');
        res = await call(base, token, 'POST', `/api/v1/routes/decks/versions/${a}/activate`, reasonBody);
        break;
      case 'rollback':
        if (!a) return usage('rollback needs CARRIER');
        res = await call(base, token, 'POST', `/api/v1/routes/decks/${enc(a)}/rollback`, reasonBody);
        break;
      case 'import': {
        if (!a || !b) return usage('import needs CARRIER and FILE');
        let lastQuarter = -1;
        res = await uploadFile(base, token, `/api/v1/routes/decks/${enc(a)}/versions`, b, 'text/csv', (sent, total) => {
          if (io.tty) return void process.stderr.write(`\r${basename(b)} ${bar(sent, total)}`);
          const q = total ? Math.floor((sent / total) * 4) : 4;
          if (q !== lastQuarter) {
            lastQuarter = q;
            io.err(`${basename(b)} ${bar(sent, total)}`);
          }
        });
        if (io.tty) process.stderr.write('\n');
        if (res.status === 201 && values.activate) {
          const v = (res.json as { version: Version }).version;
          if (!values.json) io.out(`stored version ${v.id} (${v.accepted} rows); activating`);
          res = await call(base, token, 'POST', `/api/v1/routes/decks/versions/${v.id}/activate`, reasonBody);
        }
        break;
      }
      default:
        return usage(action ? `unknown decks command "${action}"` : 'a decks command is needed');
    }
  } catch (err) {
    io.err(`cannot reach the admin API at ${base}: ${(err as Error).message} (is the switch running? --api URL)`);
    return 1;
  }
  const body = res.json as Record<string, unknown>;
  if (res.status >= 400) {
    if (values.json) io.out(JSON.stringify(res.json));
    else {
      io.err(replyError(res));
      const v = body && typeof body === 'object' ? (body.version as Version | undefined) : undefined;
      if (v) io.err(describeVersion({ ...v, report: { errors: (body.errors as Array<{ line: number; message: string }> | undefined) ?? [], stoppedAtLine: body.stoppedAtLine as number | undefined, stopReason: v.report?.stopReason } }));
    }
    if (res.status === 404) return 3;
    if (res.status === 409) return 5;
    if (res.status === 413 || res.status === 415 || res.status === 422) return 4;
    return 1;
  }
  if (values.json) {
    io.out(JSON.stringify(res.json));
    return 0;
  }
  switch (action) {
    case 'list': {
      const list = body as { carrier: string; activeVersion: number | null; versions: Version[] };
      io.out(`${list.carrier}: active version ${list.activeVersion ?? '(none: the configured deck)'}`);
      io.out(table(list.versions.map(versionRow)));
      break;
    }
    case 'show':
      io.out(describeVersion(body as unknown as Version));
      break;
    case 'import':
      if ('activation' in body) io.out(describeActivation(body));
      else io.out(`stored version ${(body.version as Version).id}; activate it with: softswitch decks activate ${(body.version as Version).id}\n${describeVersion(body.version as Version)}`);
      break;
    case 'diff': {
      const d = body as { from: number; to: number; counts: Record<string, number>; added: DiffRow[]; removed: DiffRow[]; changed: DiffRow[]; truncated: boolean };
      io.out(`version ${d.from} -> ${d.to}: ${d.counts.added} added, ${d.counts.removed} removed, ${d.counts.changed} re-rated, ${d.counts.unchanged} unchanged${d.truncated ? ' (lists truncated; --limit N for more)' : ''}`);
      const rows = [...d.added.map((r) => ({ change: 'added', ...flat(r) })), ...d.removed.map((r) => ({ change: 'removed', ...flat(r) })), ...d.changed.map((r) => ({ change: 'changed', ...flat(r) }))];
      io.out(table(rows));
      break;
    }
    default:
      io.out(describeActivation(body));
  }
  return 0;
}

interface DiffRow {
  prefix: string;
  effective: string;
  before?: Record<string, string>;
  after?: Record<string, string>;
}

function flat(r: DiffRow): Record<string, unknown> {
  return { prefix: r.prefix, effective: r.effective, before: r.before ? r.before.interstate : '', after: r.after ? r.after.interstate : '' };
}

function describeActivation(body: Record<string, unknown>): string {
  const v = body.version as Version;
  const a = body.activation as { kind: string; activatedBy: string };
  return `${a.kind === 'rollback' ? 'rolled back' : 'activated'}: ${v.carrier} version ${v.id} (previous ${body.previousVersionId ?? 'the configured deck'}); table has ${body.prefixes} prefixes`;
}
