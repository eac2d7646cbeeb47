/**
 * baresip (Debian) as a real softphone against the embedded stack: it registers 1001 with digest
 * (its own RFC 2617 client answers our 401), then calls 1002 — a SIPp UAS registered as 1002 —
 * through the B2BUA (407 answered with digest), the call is answered (CALL_ESTABLISHED), and
 * baresip hangs up (BYE, CALL_CLOSED); the switch writes the CDR with the tenant.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { Baresip, hasBaresip } from '../helpers/baresip.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = [hasBaresip() ? '' : 'baresip', hasSipp() ? '' : 'sipp (sip-tester)'].filter(Boolean).join(', ');
if (missing) console.warn(`skipping baresip test: install ${missing}`);

describe.skipIf(missing !== '')('baresip registers with digest and calls another extension', () => {
  let ssw: RunningSwitch;
  let dataDir: string;
  let phone: Baresip | undefined;

  beforeAll(async () => {
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      class5: {
        enabled: true,
        // baresip 1.0.0 (libre) fails the whole REGISTER with ENOSYS when any challenge in the 401
        // names an algorithm other than MD5, even with an MD5 one beside it (measured here).
        auth: { algorithms: ['MD5'] },
        tenants: [{ id: 'acme', domain: 'acme.example', extensions: [{ number: '1001', password: 'secret1001' }, { number: '1002', password: 'secret1002' }] }],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await phone?.stop();
    await ssw?.stop();
  });

  it('REGISTER with digest succeeds (REGISTER_OK, binding visible), the call to 1002 is answered and released with BYE', async () => {
    phone = await Baresip.start({ aor: 'sip:1001@acme.example', password: 'secret1001', outbound: `127.0.0.1:${ssw.sipPort}` });
    await phone.waitFor((e) => e.type === 'REGISTER_OK', 'REGISTER_OK');
    const regs = (await ssw.api.inject({ url: '/api/v1/registrations?tenant=acme' })).json() as { registrations: Array<{ aor: string; contacts: Array<{ contact: string }> }> };
    expect(regs.registrations.find((r) => r.aor === 'sip:1001@acme.example')?.contacts[0].contact).toContain(`:${phone.sipPort}`);

    // 1002: a SIPp UAS whose Contact is registered with digest.
    const uasPort = await freeUdpPort();
    const callee = runSipp({ scenario: 'uas', localPort: uasPort, timeoutS: 30, args: ['-m', '1'] });
    const reg = join(dataDir, 'c5-register-1002.xml');
    writeFileSync(reg, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${uasPort}>`));
    const r = await runSipp({ scenario: reg, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '1002', '-au', '1002', '-ap', 'secret1002', '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', '1'] });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);

    const before = (await ssw.cdrs.list()).length;
    phone.command('dial', 'sip:1002@acme.example');
    await phone.waitFor((e) => e.type === 'CALL_ESTABLISHED', 'CALL_ESTABLISHED (200 OK from the switch)');
    await new Promise((res) => setTimeout(res, 500));
    phone.command('hangup');
    await phone.waitFor((e) => e.type === 'CALL_CLOSED', 'CALL_CLOSED');
    const c = await callee;
    expect(c.exitCode, c.stdout.slice(-2000) + c.stderr.slice(-1000)).toBe(0);
    await until(async () => (await ssw.cdrs.list()).length > before, 'the CDR');
    expect((await ssw.cdrs.list())[0]).toMatchObject({ customer: 'acme', called: '1002', sipStatus: 200 });
  }, 60_000);
});
