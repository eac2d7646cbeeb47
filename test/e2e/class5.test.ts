/**
 * Class 5 end to end over real SIP: SIPp phones register with digest (RFC 3261 §10, §22.4) to the
 * lab switch; wrong passwords and unknown tenants are refused; the bindings show on the admin API.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping class 5 end-to-end test: ${missing}`);

describe.skipIf(missing !== '')('Class 5 registrations over SIPp', () => {
  let ssw: RunningSwitch;
  let dataDir: string;
  const registerExpecting = (status: number) => {
    const path = join(dataDir, `c5-register-${status}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', String(status)));
    return path;
  };
  const register = (o: { user: string; password: string; domain: string; status: number; expires?: number }) =>
    runSipp({
      scenario: registerExpecting(o.status),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 10,
      args: ['-s', o.user, '-au', o.user, '-ap', o.password, '-set', 'domain', o.domain, '-set', 'expires', String(o.expires ?? 600), '-m', '1'],
    });

  beforeAll(async () => {
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      class5: {
        enabled: true,
        // SIPp 3.6.1 answers only the first challenge, and only MD5.
        auth: { algorithms: ['MD5', 'SHA-256'] },
        tenants: [
          { id: 'acme', domain: 'acme.example', extensions: [{ number: '1001', password: 'secret1001' }, { number: '1002', password: 'secret1002' }] },
          { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'secret2001' }] },
        ],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  it('two extensions of one tenant and one of another register with digest; GET /api/v1/registrations lists them by tenant', async () => {
    for (const [user, domain] of [['1001', 'acme.example'], ['1002', 'acme.example'], ['2001', 'globex.example']]) {
      const r = await register({ user, password: `secret${user}`, domain, status: 200 });
      expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-1000)).toBe(0);
    }
    const res = await ssw.api.inject({ url: '/api/v1/registrations?tenant=acme' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { registrations: Array<{ tenant: string; aor: string; contacts: Array<{ contact: string; expiresInS: number }> }> };
    expect(body.registrations.map((r) => r.aor).sort()).toEqual(['sip:1001@acme.example', 'sip:1002@acme.example']);
    expect(body.registrations[0].contacts[0].expiresInS).toBeGreaterThan(590);
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_registrations_active\{tenant="acme"\} 2/);
    expect(metrics).toMatch(/softswitch_registrations_active\{tenant="globex"\} 1/);
  });

  it('a wrong password gets a second 401 and counts as bad-response; an unknown tenant domain gets 404', async () => {
    const bad = await register({ user: '1001', password: 'guess', domain: 'acme.example', status: 401 });
    expect(bad.exitCode, bad.stdout.slice(-2000)).toBe(0);
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_sip_auth_failures_total\{reason="bad-response"\} [1-9]/);
    const path = join(dataDir, 'c5-register-404.xml');
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replace(/<recv response="401"[\s\S]*<recv response="\[\$status\]"\/>/, '<recv response="404"/>').replace('<Reference variables="md5"/>', ''));
    const unknown = await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '1001', '-set', 'domain', 'initech.example', '-set', 'expires', '600', '-m', '1'] });
    expect(unknown.exitCode, unknown.stdout.slice(-2000)).toBe(0);
  });
});
