/**
 * `softswitch trunk-customers|trunk-dids …`: SIP trunk customers and their DIDs on a running
 * switch through its admin API (src/api/routes-trunks.ts); changes are in service at once (and at
 * the other nodes of a PostgreSQL cluster). Tables for people, --json for scripts. Exit codes: 0
 * done, 1 refused or unreachable, 2 usage, 3 not found.
 */
import { parseArgs } from 'node:util';
import { call, replyError, table, type ApiReply } from './api-client.js';

const COMMON = `  --api URL   admin API (default SSW_API_URL or http://127.0.0.1:8080)
  --token T   bearer token (default SSW_API_TOKEN); changes need the operator role
  --json      the API's JSON instead of a table`;

export const TRUNK_CUSTOMERS_USAGE = `usage: softswitch trunk-customers list [--json]
       softswitch trunk-customers show ID [--json]
       softswitch trunk-customers create ID --source CIDR [--source CIDR ...] [--name NAME] [--routing-customer ID] [--max-calls N] [--unreachable-cause 34|20] [--calls-per-second N] [--allow-high-risk] [--json]
       softswitch trunk-customers update ID [--source CIDR ...] [--name NAME] [--routing-customer ID] [--max-calls N] [--unreachable-cause 34|20] [--calls-per-second N] [--json]
       softswitch trunk-customers delete ID

  SIP trunk customers of a running switch: INVITEs from their source addresses are admitted.
  Customers of the configuration file are listed with origin "config" and cannot be changed
  here (the file wins); "store" customers are those made through the API. --source given to
  update replaces the whole list. Deleting a customer removes its DIDs.
${COMMON}`;

export const TRUNK_DIDS_USAGE = `usage: softswitch trunk-dids list --customer ID [--json]
       softswitch trunk-dids add (NUMBER | FROM-TO) --customer ID --target HOST[:PORT] [--target ...] [--transport udp|tcp|tls] [--selection ordered|weighted] [--deliver-as national|e164] [--json]
       softswitch trunk-dids remove NUMBER --customer ID

  DIDs a trunk customer owns: PSTN calls to them go to its targets (its PBX or SBC). A range is
  FROM-TO, inclusive, same length (2125550100-2125550199); remove takes its first number.
${COMMON}`;

export interface TrunkCliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  env?: NodeJS.ProcessEnv;
}

const defaultIo: TrunkCliIo = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

const OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  customer: { type: 'string' },
  source: { type: 'string', multiple: true },
  name: { type: 'string' },
  'routing-customer': { type: 'string' },
  'max-calls': { type: 'string' },
  'unreachable-cause': { type: 'string' },
  'calls-per-second': { type: 'string' },
  'allow-high-risk': { type: 'boolean' },
  target: { type: 'string', multiple: true },
  transport: { type: 'string' },
  selection: { type: 'string' },
  'deliver-as': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
type Request = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: unknown };

class UsageError extends Error {}

const seg = encodeURIComponent;

function need(v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`${what} is needed`);
  return v;
}

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${what} must be a number`);
  return n;
}

/** The customer fields given on the command line (absent ones left out of the body). */
function customerBody(v: Values): Record<string, unknown> {
  const limits: Record<string, unknown> = {};
  if (v['calls-per-second'] !== undefined) limits.callsPerSecond = num(v['calls-per-second'], '--calls-per-second');
  if (v['allow-high-risk']) limits.allowHighRisk = true;
  const body: Record<string, unknown> = {
    name: v.name,
    sources: v.source,
    routingCustomer: v['routing-customer'],
    maxCalls: num(v['max-calls'], '--max-calls'),
    unreachableCause: num(v['unreachable-cause'], '--unreachable-cause'),
    limits: Object.keys(limits).length > 0 ? limits : undefined,
  };
  return Object.fromEntries(Object.entries(body).filter(([, x]) => x !== undefined));
}

/** "host", "host:port" → a DID target. */
function targetOf(text: string, transport: string | undefined): Record<string, unknown> {
  const m = /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`--target ${text}: give HOST or HOST:PORT`);
  return { host: m[1], ...(m[2] ? { port: Number(m[2]) } : {}), ...(transport ? { transport } : {}) };
}

async function run(usage: string, args: string[], io: TrunkCliIo, build: (action: string | undefined, arg: string | undefined, v: Values) => Request): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    io.err(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(usage);
    return 0;
  }
  let req: Request;
  try {
    req = build(positionals[0], positionals[1], values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`${err.message}\n${usage}`);
    return 2;
  }
  const env = io.env ?? process.env;
  const base = values.api ?? env.SSW_API_URL ?? 'http://127.0.0.1:8080';
  let res: ApiReply;
  try {
    res = await call(base, values.token ?? env.SSW_API_TOKEN, req.method, req.path, req.body);
  } catch (err) {
    io.err(`cannot reach the admin API at ${base}: ${(err as Error).message} (is the switch running? --api URL)`);
    return 1;
  }
  if (res.status >= 400) {
    io.err(replyError(res));
    return res.status === 404 ? 3 : 1;
  }
  if (values.json) io.out(JSON.stringify(res.json ?? null));
  else if (res.status === 204) io.out(`removed: ${req.path.replace('/api/v1/', '')}`);
  else {
    const body = res.json as Record<string, unknown>;
    // A list reply is {customers: [...]} or {dids: [...]}; one customer has a count in `dids`.
    const list = [body.customers, body.dids].find(Array.isArray) as Array<Record<string, unknown>> | undefined;
    const rows = (list ?? [body]).map((r) => ({ ...r, ...(Array.isArray(r.sources) ? { sources: (r.sources as string[]).join(',') } : {}), ...(Array.isArray(r.targets) ? { targets: (r.targets as Array<{ host: string; port?: number }>).map((t) => (t.port === undefined ? t.host : `${t.host}:${t.port}`)).join(',') } : {}), ...(r.range ? { range: `${(r.range as { from: string }).from}-${(r.range as { to: string }).to}` } : {}) }));
    io.out(table(rows));
  }
  return 0;
}

function unknown(action: string | undefined): never {
  throw new UsageError(action === undefined ? 'a subcommand is needed' : `unknown subcommand "${action}"`);
}

export function trunkCustomersCommand(args: string[], io: TrunkCliIo = defaultIo): Promise<number> {
  return run(TRUNK_CUSTOMERS_USAGE, args, io, (action, id, v) => {
    switch (action) {
      case 'list':
        return { method: 'GET', path: '/api/v1/trunk-customers' };
      case 'show':
        return { method: 'GET', path: `/api/v1/trunk-customers/${seg(need(id, 'ID'))}` };
      case 'create':
        if (!v.source?.length) throw new UsageError('--source is needed (one or more)');
        return { method: 'POST', path: '/api/v1/trunk-customers', body: { id: need(id, 'ID'), ...customerBody(v) } };
      case 'update': {
        const body = customerBody(v);
        if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give at least one option');
        return { method: 'PATCH', path: `/api/v1/trunk-customers/${seg(need(id, 'ID'))}`, body };
      }
      case 'delete':
        return { method: 'DELETE', path: `/api/v1/trunk-customers/${seg(need(id, 'ID'))}` };
      default:
        return unknown(action);
    }
  });
}

export function trunkDidsCommand(args: string[], io: TrunkCliIo = defaultIo): Promise<number> {
  return run(TRUNK_DIDS_USAGE, args, io, (action, did, v) => {
    const base = `/api/v1/trunk-customers/${seg(need(v.customer, '--customer'))}/dids`;
    switch (action) {
      case 'list':
        return { method: 'GET', path: base };
      case 'add': {
        const d = need(did, 'NUMBER or FROM-TO');
        const range = /^(\d+)-(\d+)$/.exec(d);
        if (!range && !/^\d+$/.test(d)) throw new UsageError(`${d}: give digits, or FROM-TO`);
        if (!v.target?.length) throw new UsageError('--target is needed (one or more)');
        const body = {
          ...(range ? { range: { from: range[1], to: range[2] } } : { number: d }),
          targets: v.target.map((t) => targetOf(t, v.transport)),
          ...(v.selection ? { selection: v.selection } : {}),
          ...(v['deliver-as'] ? { deliverAs: v['deliver-as'] } : {}),
        };
        return { method: 'POST', path: base, body };
      }
      case 'remove':
        return { method: 'DELETE', path: `${base}/${seg(need(did, 'NUMBER'))}` };
      default:
        return unknown(action);
    }
  });
}
