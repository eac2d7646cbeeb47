import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeM3ua } from '../../src/ss7/m3ua/codec.js';
import { encodeIsup } from '../../src/ss7/isup/codec.js';
import { buildIam } from '../../src/ss7/isup/builders.js';
import { parseHex } from '../../src/cli/decode.js';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/softswitch.js', ...args], { encoding: 'utf8', timeout: 30_000 });

describe('softswitch command line', () => {
  it('decode prints the M3UA header, routing label and ISUP message of an IAM', () => {
    const data = encodeIsup(buildIam({ cic: 42, variant: 'ansi', called: '2125550150', calling: '9735551234' }), 'ansi');
    const m3ua = encodeM3ua({ type: 'DATA', routingContext: [7], protocolData: { opc: 0x0a141e, dpc: 0x0a1401, si: 5, ni: 2, mp: 0, sls: 10, data } });
    // As a trace would show it: spaced pairs across lines.
    const hex = m3ua.toString('hex').replace(/(..)/g, '$1 ').replace(/((?:.. ){16})/g, '$1\n');
    const r = cli('decode', hex, '--isup-variant', 'ansi');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.m3ua).toMatchObject({ type: 'DATA', routingContext: [7] });
    expect(out.mtp3).toMatchObject({ opcText: '10-20-30', dpcText: '10-20-1', si: 5 });
    expect(out.isup).toMatchObject({ type: 'IAM', cic: 42, calledPartyNumber: { digits: '2125550150' } });
  });

  it('decode refuses input that is not hex with an operator error and exit code 1', () => {
    const r = cli('decode', 'zz12');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SSW_ERR_DECODE_INPUT/);
    expect(() => parseHex('abc')).toThrow(/odd number/);
    expect(parseHex('0000  01 00\n0010  ab cd').toString('hex')).toBe('0100abcd');
  });

  it('routes lookup shows the decision for a number', () => {
    const r = cli('routes', 'lookup', '12125550150');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ilec-tandem|ixc-b/);
  });

  it('routes lookup takes --config like start does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-cli-'));
    const file = join(dir, 'softswitch.yaml');
    writeFileSync(file, `dataDir: ${dir}\nrouting: { blocked: [{ pattern: '1212555', reason: 'lab block' }] }\n`);
    const r = cli('routes', 'lookup', '12125550150', '--config', file);
    expect(r.status).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/lab block/);
  });

  it('a bad tandem rule in the config is an operator error naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-cli-'));
    const file = join(dir, 'softswitch.yaml');
    writeFileSync(file, `dataDir: ${dir}\nlab: { startOsmoMgw: false, tandemSim: { rules: [{ match: '(', action: reject }] } }\n`);
    const r = cli('tandem-sim', '--config', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SSW_ERR_CONFIG_INVALID.*lab\.tandemSim\.rules\.0\.match/);
  });

  it('unknown commands print usage and exit 2', () => {
    const r = cli('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: softswitch/);
  });
});
