/**
 * `softswitch circuits …`: operator actions on ISUP circuits through the running switch's admin
 * API (the same routes the NOC uses): show, block, unblock, reset a CIC or a range. Tables for
 * people, --json for scripts. The API address and token come from --api/--token or
 * SSW_API_URL / SSW_API_TOKEN.
 */
import { parseArgs } from 'node:util';
import { call, table } from './api-client.js';

export const CIRCUITS_USAGE = `usage: softswitch circuits show [TRUNK-GROUP [CIC [--count N]]] [--json]
       softswitch circuits block|unblock TRUNK-GROUP CIC [--count N] [--hardware] [--json]
       softswitch circuits reset TRUNK-GROUP [CIC [--count N]] [--json]

  Operator actions on ISUP circuits of a running switch, through its admin API: blocking sends
  BLO (or CGB for a range; --hardware for hardware-oriented), reset sends RSC (GRS for a range, or
  every circuit of the trunk group when no CIC is given). Each is supervised by the switch.
  --api URL   admin API (default SSW_API_URL or http://127.0.0.1:8080)
  --token T   bearer token (default SSW_API_TOKEN); block/unblock/reset need the operator role`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

export async function circuitsCommand(args: string[], io: Io = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { api: { type: 'string' }, token: { type: 'string' }, count: { type: 'string' }, hardware: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${CIRCUITS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(CIRCUITS_USAGE);
    return 0;
  }
  const [action, tg, cicText] = positionals;
  const base = values.api ?? process.env.SSW_API_URL ?? 'http://127.0.0.1:8080';
  const token = values.token ?? process.env.SSW_API_TOKEN;
  const count = values.count === undefined ? undefined : Number(values.count);
  const cic = cicText === undefined ? undefined : Number(cicText);
  if ((count !== undefined && !(Number.isInteger(count) && count >= 1)) || (cic !== undefined && !(Number.isInteger(cic) && cic >= 0))) {
    io.err(`CIC and --count must be whole numbers\n${CIRCUITS_USAGE}`);
    return 2;
  }
  let req: { method: 'GET' | 'POST'; path: string; body?: unknown };
  switch (action) {
    case 'show':
      req = !tg
        ? { method: 'GET', path: '/api/v1/isup/trunk-groups' }
        : { method: 'GET', path: `/api/v1/isup/trunk-groups/${encodeURIComponent(tg)}/circuits?${new URLSearchParams({ ...(cic !== undefined ? { cic: String(cic) } : {}), count: String(count ?? (cic === undefined ? 4096 : 1)) })}` };
      break;
    case 'block':
    case 'unblock':
      if (!tg || cic === undefined) {
        io.err(`${action} needs TRUNK-GROUP and CIC\n${CIRCUITS_USAGE}`);
        return 2;
      }
      req = { method: 'POST', path: `/api/v1/isup/trunk-groups/${encodeURIComponent(tg)}/circuits/${cic}/${action}`, body: { count: count ?? 1, hardware: values.hardware ?? false } };
      break;
    case 'reset':
      if (!tg) {
        io.err(`reset needs TRUNK-GROUP\n${CIRCUITS_USAGE}`);
        return 2;
      }
      req = cic === undefined ? { method: 'POST', path: `/api/v1/isup/trunk-groups/${encodeURIComponent(tg)}/reset` } : { method: 'POST', path: `/api/v1/isup/trunk-groups/${encodeURIComponent(tg)}/circuits/${cic}/reset`, body: { count: count ?? 1 } };
      break;
    default:
      io.err(CIRCUITS_USAGE);
      return 2;
  }
  let res;
  try {
    res = await call(base, token, req.method, req.path, req.body);
  } catch (err) {
    io.err(`cannot reach the admin API at ${base}: ${(err as Error).message} (is the switch running? --api URL)`);
    return 1;
  }
  if (res.status >= 400) {
    const msg = typeof res.json === 'object' && res.json && 'error' in res.json ? String((res.json as { error: unknown }).error) : String(res.json);
    io.err(`${res.status}: ${msg}${res.status === 401 ? ' (give --token or SSW_API_TOKEN)' : ''}`);
    return res.status === 404 ? 3 : 1;
  }
  if (values.json) {
    io.out(JSON.stringify(res.json));
    return 0;
  }
  const body = res.json as unknown;
  const rows = Array.isArray(body) ? body : body && typeof body === 'object' && 'circuits' in body ? ((body as { circuits: unknown }).circuits as unknown[]) : [body];
  io.out(table(rows as Array<Record<string, unknown>>));
  return 0;
}
