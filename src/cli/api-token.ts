/**
 * `softswitch api token create --name N --role R`: a new admin API token, printed once, and the
 * line to add under `api.tokens` (only its salted hash is stored in the configuration).
 */
import { parseArgs } from 'node:util';
import { ROLES, createToken, hashToken, type Role } from '../api/tokens.js';
import type { CliIo } from './routes.js';

const stdio: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export const TOKEN_CREATE_USAGE = `usage: softswitch api token create --name NAME --role ${ROLES.join('|')} [--json]

  Prints a new admin API token once (store it where the client keeps secrets) and the
  entry to add under api.tokens in the configuration, which holds only its salted hash.
  Roles: read-only (GET), operator (changes), admin (changes and rate deck imports).`;

export async function apiTokenCreateCommand(args: string[], io: CliIo = stdio): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean' } } });
  const name = values.name;
  const role = values.role as Role | undefined;
  if (positionals.length || !name || !/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name) || !role || !ROLES.includes(role)) {
    io.err(`${!name ? '--name is required' : !/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name) ? `--name "${name}": letters, digits and _ . @ - (at most 64)` : positionals.length ? `unexpected argument "${positionals[0]}"` : `--role must be one of ${ROLES.join(', ')}`}\n${TOKEN_CREATE_USAGE}\n`);
    return 2;
  }
  const token = createToken();
  const hash = hashToken(token);
  if (values.json) {
    io.out(`${JSON.stringify({ token, config: { name, role, hash } })}\n`);
    return 0;
  }
  io.out(
    [
      `token for "${name}" (${role}); shown once, keep it secret:`,
      `  ${token}`,
      '',
      'add under api.tokens in the configuration:',
      `  - { name: ${name}, role: ${role}, hash: "${hash}" }`,
      '',
      `use: curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/calls`,
      '',
    ].join('\n'),
  );
  return 0;
}
