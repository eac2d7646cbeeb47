import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCommand } from '../../src/cli/commands.js';
import { apiTokenCreateCommand } from '../../src/cli/api-token.js';
import { TokenVerifier } from '../../src/api/tokens.js';
import { validateConfig } from '../../src/config/load.js';

function capture() {
  const io = { outText: '', errText: '', out: (s: string) => void (io.outText += s), err: (s: string) => void (io.errText += s) };
  return io;
}
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/softswitch.js', ...args], { encoding: 'utf8', timeout: 30_000 });

describe('softswitch commands', () => {
  for (const c of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`${c.path.join(' ')} ${flag} prints its usage and exits 0`, async () => {
        const io = capture();
        expect(await runCommand([...c.path, flag], io)).toBe(0);
        expect(io.outText).toContain(`usage: softswitch ${c.path.join(' ')}`);
        expect(io.errText).toBe('');
      });
    }
  }

  it('a command group with --help lists its commands (exit 0); without a subcommand it is a usage error (exit 2)', async () => {
    for (const group of [['routes'], ['api'], ['api', 'token']]) {
      const io = capture();
      expect(await runCommand([...group, '--help'], io)).toBe(0);
      expect(io.outText).toContain(`usage: softswitch ${group.join(' ')}`);
      const bare = capture();
      expect(await runCommand(group, bare)).toBe(2);
      expect(bare.errText).toMatch(/subcommand is needed/);
    }
    const io = capture();
    expect(await runCommand(['routes', 'frob'], io)).toBe(2);
    expect(io.errText).toMatch(/unknown command "routes frob"/);
  });

  it('the installed binary answers --help with exit 0 and an unknown option with the command usage and exit 2', () => {
    const help = cli('start', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/usage: softswitch start \[--config FILE\] \[--lab\]/);
    const bad = cli('api', 'token', 'create', '--nmae', 'x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--nmae'[\s\S]*usage: softswitch api token create/);
  });
});

describe('softswitch api token create', () => {
  it('prints the token once and a config line whose hash verifies it', async () => {
    const io = capture();
    expect(await apiTokenCreateCommand(['--name', 'noc-1', '--role', 'operator'], io)).toBe(0);
    const token = /^\s+(ssw_\S+)$/m.exec(io.outText)![1];
    const line = /^\s+(- \{ name: .*\})$/m.exec(io.outText)![1];
    const entry = (parseYaml(line) as Array<{ name: string; role: string; hash: string }>)[0];
    expect(entry).toMatchObject({ name: 'noc-1', role: 'operator' });
    expect(entry.hash).not.toContain(token.slice(4));
    expect(io.outText.split(token).length).toBe(2); // printed once
    const cfg = validateConfig({ api: { tokens: [entry] } });
    expect(new TokenVerifier(cfg.api.tokens).verify(token)).toEqual({ name: 'noc-1', role: 'operator' });
    const json = capture();
    await apiTokenCreateCommand(['--name', 'x', '--role', 'admin', '--json'], json);
    expect(JSON.parse(json.outText)).toMatchObject({ token: expect.stringMatching(/^ssw_/), config: { name: 'x', role: 'admin' } });
  });

  it('refuses a missing name, a bad name or an unknown role with exit 2', async () => {
    for (const args of [['--role', 'admin'], ['--name', 'a b', '--role', 'admin'], ['--name', 'x', '--role', 'root'], ['--name', 'x']]) {
      const io = capture();
      expect(await apiTokenCreateCommand(args, io), args.join(' ')).toBe(2);
      expect(io.errText).toMatch(/usage: softswitch api token create/);
      expect(io.outText).toBe('');
    }
  });
});

describe('softswitch start refuses an exposed admin API before opening any socket', () => {
  it('production on 0.0.0.0 without TLS and tokens: SSW_ERR_API_INSECURE, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-cli-'));
    const file = join(dir, 'softswitch.yaml');
    writeFileSync(file, `dataDir: ${dir}\napi: { host: 0.0.0.0, port: 0 }\nsip: { port: 0 }\n`);
    const t0 = Date.now();
    const r = cli('start', '--config', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SSW_ERR_API_INSECURE: .*api\.host 0\.0\.0\.0 .*api\.tls .*api\.tokens/);
    expect(r.stdout).not.toMatch(/up/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('names unreadable TLS files: SSW_ERR_API_TLS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-cli-'));
    const file = join(dir, 'softswitch.yaml');
    writeFileSync(file, `dataDir: ${dir}\napi: { port: 0, tls: { cert: ${dir}/nope.pem, key: ${dir}/nope.key } }\n`);
    const r = cli('start', '--config', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SSW_ERR_API_TLS: .*nope\.pem/);
  });
});
