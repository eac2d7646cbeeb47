import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routesExportCommand, routesImportCommand, routesLookupCommand, type CliIo } from '../../../src/cli/routes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lcr-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function io(): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', out: (s: string) => (o.stdout += s), err: (s: string) => (o.stderr += s) };
  return o;
}
const load = () => ({ dataDir: dir, routing: {} });

describe('routes CLI', () => {
  it('lookup prints the decision as text and JSON', async () => {
    const a = io();
    expect(await routesLookupCommand(['2125551234', '--caller', '2015550000', '--at', '2026-03-04T17:00:00Z'], load, a)).toBe(0);
    expect(a.stdout).toContain('matched prefix 1212555');
    expect(a.stdout).toContain('1. ilec-tandem via tg-ilec prefix 1212555 interstate 0.0055/min');
    const b = io();
    expect(await routesLookupCommand(['19005551234', '--json'], load, b)).toBe(3);
    expect(JSON.parse(b.stdout).blocked).toMatch(/premium/);
    expect(await routesLookupCommand([], load, io())).toBe(2);
  });

  it('import reports bad rows with line numbers, then loads a good deck; export shows it', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'prefix,interstate\n1,0.01\n1,0.02\n');
    const a = io();
    expect(await routesImportCommand(['ixc-b', bad], load, a)).toBe(4);
    expect(a.stderr).toContain(`${bad}:3: duplicate prefix 1`);
    const good = join(dir, 'good.csv');
    await writeFile(good, 'prefix,interstate\n1212,0.003\n');
    expect(await routesImportCommand(['ixc-b', good], load, io())).toBe(0);
    const e = io();
    expect(await routesExportCommand(['--carrier', 'ixc-b'], load, e)).toBe(0);
    expect(e.stdout).toBe('carrier,prefix,interstate,intrastate,indeterminate,effective\nixc-b,1212,0.003,0.003,0.003,1970-01-01\n');
    const u = io();
    expect(await routesImportCommand(['nope', good], load, u)).toBe(1);
    expect(u.stderr).toContain('SSW_ERR_UNKNOWN_CARRIER');
  });
});
