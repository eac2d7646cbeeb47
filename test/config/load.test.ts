import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, loadConfig } from '../../src/config/load.js';
import { SoftswitchError } from '../../src/errors.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ssw-cfg-')), 'softswitch.yaml');
  writeFileSync(path, text);
  return path;
}

describe('configuration', () => {
  it('runs on embedded defaults: lab profile, loopback, sample decks', () => {
    const cfg = loadConfig(undefined, {});
    expect(cfg.lab.enabled).toBe(true);
    expect(cfg.sip).toMatchObject({ adapter: 'embedded', address: '127.0.0.1', port: 5060 });
    expect(cfg.trunkGroups.map((t) => t.id)).toEqual(['tg-ilec', 'tg-ixc-b']);
    expect(cfg.routing.carriers.map((c) => c.trunkGroups[0])).toEqual(['tg-ilec', 'tg-ixc-b']);
  });

  it('reads YAML and lets SSW__ environment variables override any key', () => {
    const path = file('sip: { port: 5070 }\nss7: { variant: itu, localPointCode: "1234" }\n');
    const cfg = loadConfig(path, { SSW__sip__port: '5080', SSW__lab__enabled: 'false', SSW__api__host: '0.0.0.0' });
    expect(cfg.sip.port).toBe(5080);
    expect(cfg.ss7.variant).toBe('itu');
    expect(cfg.lab.enabled).toBe(false);
    expect(cfg.api.host).toBe('0.0.0.0');
  });

  it('names the bad key in the error', () => {
    const path = file('trunkGroups:\n  - { id: tg, dpc: 2-2-2, cics: { first: 1, count: 0 } }\nsip: { port: "x" }\n');
    let err: unknown;
    try {
      loadConfig(path, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SoftswitchError);
    expect((err as SoftswitchError).code).toBe('SSW_ERR_CONFIG_INVALID');
    expect((err as SoftswitchError).message).toMatch(/trunkGroups\.0\.cics\.count/);
    expect((err as SoftswitchError).message).toMatch(/sip\.port/);
  });

  it('reports an unreadable or unparsable file as such', () => {
    expect(() => loadConfig('/nonexistent/softswitch.yaml', {})).toThrow(/SSW_ERR_CONFIG_UNREADABLE|cannot be read/);
    expect(() => loadConfig(file('sip: [unclosed\n'), {})).toThrow(SoftswitchError);
    expect(() => loadConfig(file('- a list\n'), {})).toThrow(/mapping/);
    expect(() => loadConfig(file('sip:\n  port: [1,\n'), {})).toThrow(/line \d+, column \d+/);
  });

  it('names a key given twice with its line, and refuses a file too large to be a config', () => {
    expect(() => loadConfig(file('lab:\n  enabled: true\nsip:\n  port: 5070\n  port: 5071\n'), {})).toThrow(/duplicate key "port" at line 5, column 3/);
    expect(() => loadConfig(file(`# ${'x'.repeat(300 * 1024)}\n`), {})).toThrow(/larger than 256 KiB/);
  });

  it('many distinct keys cost linear time (the yaml package alone took 33 s of CPU for 32,000; found by npm run fuzz)', () => {
    const text = `lab:\n  enabled: true\nextra:\n${Array.from({ length: 20_000 }, (_, i) => `  k${i}: 1`).join('\n')}\n`;
    const before = process.cpuUsage();
    loadConfig(file(text), {});
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(3000);
  });

  it('accepts the production profile shipped in docker/ (lab off, raw SCTP to two SGs, drachtio)', () => {
    const cfg = loadConfig(new URL('../../docker/softswitch.production.yaml', import.meta.url).pathname, {});
    expect(cfg.lab.enabled).toBe(false);
    expect(cfg.sip.adapter).toBe('drachtio');
    expect(cfg.ss7.sgs.map((s) => [s.transport, s.port])).toEqual([['raw', 2905], ['raw', 2905]]);
  });

  it('builds nested objects for overrides of absent sections', () => {
    expect(applyEnvOverrides({}, { SSW__lab__tandemSim__port: '9999', OTHER: 'x' })).toEqual({ lab: { tandemSim: { port: 9999 } } });
  });

  it('a configuration file is production unless it enables the lab', () => {
    expect(loadConfig(file('sip: { port: 5070 }\n'), {}).lab.enabled).toBe(false);
    expect(loadConfig(file('lab: { startOsmoMgw: false }\n'), {}).lab).toMatchObject({ enabled: false, startOsmoMgw: false });
    expect(loadConfig(file(''), {}).lab.enabled).toBe(false);
    expect(loadConfig(file('lab: { enabled: true }\n'), {}).lab.enabled).toBe(true);
    expect(loadConfig(file('sip: { port: 5070 }\n'), { SSW__lab__enabled: 'true' }).lab.enabled).toBe(true);
    // `softswitch start --lab`: on purpose, over the file and the environment.
    expect(loadConfig(file('lab: { enabled: false }\n'), { SSW__lab__enabled: 'false' }, { lab: true }).lab.enabled).toBe(true);
    expect(loadConfig(undefined, {}, { lab: true }).lab.enabled).toBe(true);
    expect(() => loadConfig(file('lab: 3\n'), {})).toThrow(/lab/);
  });

  it('api: tokens are validated (hash format, unique names, roles) and limits have bounded defaults', () => {
    const cfg = loadConfig(undefined, {});
    expect(cfg.api).toMatchObject({ host: '127.0.0.1', port: 8080, tokens: [], limits: { jsonBytes: 64 * 1024, deckBytes: 64 * 1024 * 1024 }, audit: { file: 'audit.log' } });
    const hash = `sha256$${'A'.repeat(22)}$${'B'.repeat(43)}`;
    expect(loadConfig(file(`api: { tokens: [{ name: noc, role: operator, hash: "${hash}" }] }\n`), {}).api.tokens).toHaveLength(1);
    expect(() => loadConfig(file('api: { tokens: [{ name: noc, role: operator, hash: "s3cret-token" }] }\n'), {})).toThrow(/api\.tokens\.0\.hash: expected "sha256\$<salt>\$<digest>"/);
    expect(() => loadConfig(file(`api: { tokens: [{ name: noc, role: root, hash: "${hash}" }] }\n`), {})).toThrow(/api\.tokens\.0\.role/);
    expect(() => loadConfig(file(`api: { tokens: [{ name: a, role: admin, hash: "${hash}" }, { name: a, role: admin, hash: "${hash}" }] }\n`), {})).toThrow(/api\.tokens\.1\.name: token name "a" is used twice/);
    expect(() => loadConfig(file('api: { limits: { deckBytes: 10 } }\n'), {})).toThrow(/api\.limits\.deckBytes/);
  });
});
