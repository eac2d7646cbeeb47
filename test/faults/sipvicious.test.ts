/**
 * SIPVicious (Debian `sipvicious`: svmap, svwar, svcrack) against a running lab switch, from a
 * stranger's address (a 127.x.y.z that is no trunk customer's source):
 *  - svmap finds no SIP device to fingerprint (strangers' requests get no answer: `sip.unknownSources: drop`);
 *  - svwar enumerates no extension of a Class 5 tenant, though it knows the tenant's domain (an
 *    unknown extension is challenged exactly like a known one);
 *  - svcrack, given a real extension and a dictionary holding its password beyond the first few
 *    words, cracks nothing: failed digest attempts from one source are blocked after
 *    `class5.auth.maxFailures`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSwitch } from '../../src/app/start.js';
import { startLabSwitch } from '../helpers/lab-switch.js';

const hasSipvicious = spawnSync('svmap', ['--version'], { stdio: 'ignore' }).error === undefined;
if (!hasSipvicious) console.warn('skipping sipvicious tests: sipvicious is not installed (apt-get install sipvicious)');

/** A stranger's loopback address (Linux routes all of 127/8 to lo). */
const stranger = (i: number) => `127.${60 + i}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
const STRANGER = stranger(0);
const DOMAIN = 'acme.example';
const PASSWORD = 'Tr0ub4dor-and-3';

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    // Each tool keeps its session state under ~/.sipvicious: give it a fresh home.
    const home = mkdtempSync(join(tmpdir(), 'sipvicious-'));
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: home } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ out, code });
    });
  });
}

describe.skipIf(!hasSipvicious)('sipvicious against the lab switch learns nothing', () => {
  let ssw: RunningSwitch;
  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      sip: { port: 0, unknownSources: 'drop' },
      class5: {
        enabled: true,
        auth: { maxFailures: 5, failureWindowS: 60, blockS: 300, algorithms: ['MD5', 'SHA-256'] },
        tenants: [{ id: 'acme', domain: DOMAIN, extensions: [{ number: '1001', password: PASSWORD }, { number: '1002', password: 'another-long-secret' }] }],
      },
    }));
  }, 60_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  it('svmap: no device found, no fingerprint', async () => {
    const r = await run('svmap', ['-b', STRANGER, '-p', String(ssw.sipPort), '127.0.0.1'], 60_000);
    console.log(`FAULTS svmap (from ${STRANGER}): ${JSON.stringify(r.out.trim().slice(-400))}`);
    expect(r.out).not.toMatch(new RegExp(`127\\.0\\.0\\.1:${ssw.sipPort}`));
    expect(r.out).not.toMatch(/softswitch/i);
  }, 90_000);

  it('svwar: no extension enumerated, with REGISTER or INVITE, knowing the domain', async () => {
    // INVITE last: svwar listens on every address, and the switch retransmits its 407 to an
    // INVITE (svwar sends no ACK) for 32 s (RFC 3261 §17.2.1), which a later run would read.
    for (const [i, method] of ['OPTIONS', 'REGISTER', 'INVITE'].entries()) {
      const r = await run('svwar', ['-b', stranger(i + 1), '-p', String(ssw.sipPort), '-m', method, '-e', '1000-1010', '--domain', DOMAIN, '--force', '127.0.0.1'], 90_000);
      console.log(`FAULTS svwar -m ${method}: ${JSON.stringify(r.out.trim().slice(-400))}`);
      // svwar prints a table row per extension it believes exists ("| 1001 | reqauth |").
      expect(r.out).not.toMatch(/\|\s*\d+\s*\|\s*(reqauth|noauth|weird)/);
      expect(r.out).toMatch(/found nothing/);
    }
  }, 300_000);

  it('svcrack: the password is not found and the source is blocked after a few failures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svcrack-'));
    const dict = join(dir, 'words.txt');
    // The real password is word 20: with five failures allowed it is never tried while unblocked.
    // svcrack does not stop when every answer is 403; it is killed after 30 s.
    writeFileSync(dict, [...Array.from({ length: 19 }, (_, i) => `guess${i}`), PASSWORD, 'guess-after'].join('\n') + '\n');
    const r = await run('svcrack', ['-b', stranger(5), '-p', String(ssw.sipPort), '-u', '1001', '-d', dict, '--domain', DOMAIN, '--maximumtime', '10', '127.0.0.1'], 30_000);
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    const rateLimited = Number(/softswitch_sip_auth_failures_total\{reason="rate-limited"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    console.log(`FAULTS svcrack: ${JSON.stringify({ out: r.out.trim().slice(-1500), exit: r.code, rateLimitedAttempts: rateLimited })}`);
    expect(r.out).not.toContain(PASSWORD);
    expect(r.out).not.toMatch(/\|\s*1001\s*\|/);
    expect(rateLimited).toBeGreaterThan(0);
    expect(ssw.api ? (await ssw.api.inject({ url: '/api/v1/registrations' })).json() : undefined).not.toMatchObject({ registrations: [{ aor: 'sip:1001@acme.example' }] });
  }, 180_000);
});
