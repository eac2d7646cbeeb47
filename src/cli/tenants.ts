/**
 * `softswitch tenants|extensions|dids …`: hosted-PBX provisioning on a running switch through its
 * admin API (src/api/routes-tenants.ts); changes are in service at once. Tables for people,
 * --json for scripts. Passwords are read from an environment variable or stdin, never taken on
 * the command line (where `ps` would show them). Exit codes: 0 done, 1 refused or unreachable,
 * 2 usage, 3 not found.
 */
import { parseArgs } from 'node:util';
import { call, replyError, table, type ApiReply } from './api-client.js';

const COMMON = `  --api URL   admin API (default SSW_API_URL or http://127.0.0.1:8080)
  --token T   bearer token (default SSW_API_TOKEN); changes need the operator role
  --json      the API's JSON instead of a table`;

export const TENANTS_USAGE = `usage: softswitch tenants list [--json]
       softswitch tenants show ID [--json]
       softswitch tenants create ID --domain DOMAIN [--main-number N] [--voicemail URI] [--cos local|national|international|blocked] [--caller-id-policy extension|main-number] [--json]
       softswitch tenants delete ID

  Hosted-PBX tenants of a running switch. Tenants of the configuration file are listed with
  origin "config" and cannot be changed here; "store" tenants are those made through the API.
  Deleting a tenant removes its extensions and DIDs and drops their registrations.
${COMMON}`;

export const EXTENSIONS_USAGE = `usage: softswitch extensions list --tenant ID [--json]
       softswitch extensions add NUMBER --tenant ID (--password-env VAR | --password-stdin) [--name NAME] [--cos C] [--caller-id N] [--max-devices N] [--json]
       softswitch extensions remove NUMBER --tenant ID

  Extensions of a tenant. The password is read from the environment variable VAR or from the
  first line of stdin, sent once over the API and kept only as digest HA1s. Removing an
  extension drops its registrations; its phones get 404 on their next REGISTER.
${COMMON}`;

export const DIDS_USAGE = `usage: softswitch dids list --tenant ID [--json]
       softswitch dids add DID --tenant ID (--extension N | --hunt-group N) [--json]
       softswitch dids remove DID --tenant ID

  Numbers from the PSTN delivered to an extension or a hunt group of a tenant (national
  number, digits only).
${COMMON}`;

export interface TenantCliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** The password's source for --password-stdin (default: the process's stdin). */
  stdin?: () => Promise<string>;
  env?: NodeJS.ProcessEnv;
}

const defaultIo: TenantCliIo = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

const OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  tenant: { type: 'string' },
  domain: { type: 'string' },
  'main-number': { type: 'string' },
  voicemail: { type: 'string' },
  cos: { type: 'string' },
  'caller-id-policy': { type: 'string' },
  'password-env': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  name: { type: 'string' },
  'caller-id': { type: 'string' },
  'max-devices': { type: 'string' },
  extension: { type: 'string' },
  'hunt-group': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
type Request = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: unknown };

class UsageError extends Error {}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

const seg = encodeURIComponent;

/** Runs one of the three command families: parse, build the request(s), print. */
async function run(usage: string, args: string[], io: TenantCliIo, build: (action: string | undefined, arg: string | undefined, v: Values) => Promise<Request[]>): Promise<number> {
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
  let requests: Request[];
  try {
    requests = await build(positionals[0], positionals[1], values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`${err.message}\n${usage}`);
    return 2;
  }
  const env = io.env ?? process.env;
  const base = values.api ?? env.SSW_API_URL ?? 'http://127.0.0.1:8080';
  const token = values.token ?? env.SSW_API_TOKEN;
  const replies: ApiReply[] = [];
  for (const r of requests) {
    let res: ApiReply;
    try {
      res = await call(base, token, r.method, r.path, r.body);
    } catch (err) {
      io.err(`cannot reach the admin API at ${base}: ${(err as Error).message} (is the switch running? --api URL)`);
      return 1;
    }
    if (res.status >= 400) {
      io.err(replyError(res));
      return res.status === 404 ? 3 : 1;
    }
    replies.push(res);
  }
  print(io, values.json ?? false, requests, replies);
  return 0;
}

function print(io: TenantCliIo, json: boolean, requests: Request[], replies: ApiReply[]): void {
  if (json) {
    io.out(JSON.stringify(replies.length === 1 ? (replies[0].json ?? null) : replies.map((r) => r.json)));
    return;
  }
  replies.forEach((r, i) => {
    const req = requests[i];
    if (r.status === 204) return io.out(`${req.method === 'DELETE' ? 'removed' : 'done'}: ${req.path.replace('/api/v1/', '')}`);
    const body = r.json as Record<string, unknown>;
    const list = body.tenants ?? body.extensions ?? body.dids;
    if (replies.length > 1) io.out(`${i === 0 ? '' : '\n'}${req.path.replace('/api/v1/', '')}:`);
    io.out(table(Array.isArray(list) ? (list as Array<Record<string, unknown>>) : [body]));
  });
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`${what} is needed`);
  return v;
}

function intOption(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${what} must be a whole number`);
  return n;
}

export function tenantsCommand(args: string[], io: TenantCliIo = defaultIo): Promise<number> {
  return run(TENANTS_USAGE, args, io, async (action, id, v) => {
    switch (action) {
      case 'list':
        return [{ method: 'GET', path: '/api/v1/tenants' }];
      case 'show': {
        const t = `/api/v1/tenants/${seg(need(id, 'ID'))}`;
        return [{ method: 'GET', path: t }, { method: 'GET', path: `${t}/extensions` }, { method: 'GET', path: `${t}/dids` }];
      }
      case 'create':
        return [
          {
            method: 'POST',
            path: '/api/v1/tenants',
            body: { id: need(id, 'ID'), domain: need(v.domain, '--domain'), mainNumber: v['main-number'], voicemail: v.voicemail, cos: v.cos, callerIdPolicy: v['caller-id-policy'] },
          },
        ];
      case 'delete':
        return [{ method: 'DELETE', path: `/api/v1/tenants/${seg(need(id, 'ID'))}` }];
      default:
        throw new UsageError(action === undefined ? 'a subcommand is needed' : `unknown subcommand "${action}"`);
    }
  });
}

export function extensionsCommand(args: string[], io: TenantCliIo = defaultIo): Promise<number> {
  return run(EXTENSIONS_USAGE, args, io, async (action, number, v) => {
    const base = `/api/v1/tenants/${seg(need(v.tenant, '--tenant'))}/extensions`;
    switch (action) {
      case 'list':
        return [{ method: 'GET', path: base }];
      case 'add': {
        const n = need(number, 'NUMBER');
        if ((v['password-env'] === undefined) === (v['password-stdin'] === undefined)) throw new UsageError('give one of --password-env VAR or --password-stdin');
        let password: string | undefined;
        if (v['password-env'] !== undefined) {
          password = (io.env ?? process.env)[v['password-env']];
          if (!password) throw new UsageError(`environment variable ${v['password-env']} is empty or not set`);
        } else {
          password = (await (io.stdin ?? readStdin)()).split(/\r?\n/)[0];
          if (!password) throw new UsageError('no password on the first line of stdin');
        }
        return [{ method: 'POST', path: base, body: { number: n, password, displayName: v.name, cos: v.cos, callerId: v['caller-id'], maxDevices: intOption(v['max-devices'], '--max-devices') } }];
      }
      case 'remove':
        return [{ method: 'DELETE', path: `${base}/${seg(need(number, 'NUMBER'))}` }];
      default:
        throw new UsageError(action === undefined ? 'a subcommand is needed' : `unknown subcommand "${action}"`);
    }
  });
}

export function didsCommand(args: string[], io: TenantCliIo = defaultIo): Promise<number> {
  return run(DIDS_USAGE, args, io, async (action, did, v) => {
    const base = `/api/v1/tenants/${seg(need(v.tenant, '--tenant'))}/dids`;
    switch (action) {
      case 'list':
        return [{ method: 'GET', path: base }];
      case 'add':
        if ((v.extension === undefined) === (v['hunt-group'] === undefined)) throw new UsageError('give one of --extension N or --hunt-group N');
        return [{ method: 'POST', path: base, body: { did: need(did, 'DID'), extension: v.extension, huntGroup: v['hunt-group'] } }];
      case 'remove':
        return [{ method: 'DELETE', path: `${base}/${seg(need(did, 'DID'))}` }];
      default:
        throw new UsageError(action === undefined ? 'a subcommand is needed' : `unknown subcommand "${action}"`);
    }
  });
}
