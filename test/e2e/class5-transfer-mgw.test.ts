/**
 * A PSTN caller transferred by the extension it reached, with a real media gateway (osmo-mgw): the
 * lab tandem's IAM to a DID rings 1002 (SIPp), whose REFER sends the caller to 1003 (SIPp). The
 * circuit's gateway connection is offered to 1003 and re-pointed at 1003's SDP by an MDCX that
 * osmo-mgw accepts (read from the original call's trail); the tandem sees no release until it
 * hangs up itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasOsmoMgw } from '../helpers/osmo-mgw.js';
import { hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { transferPstnCaller } from '../helpers/class5-sipp.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? 'osmo-mgw not installed' : '';
if (missing) console.warn(`skipping the PSTN transfer test with a media gateway: ${missing}`);

interface Entry {
  protocol: string;
  dir: string;
  label: string;
  text?: string;
}

describe.skipIf(missing !== '')('transfer of a PSTN caller with osmo-mgw as the circuit’s gateway', () => {
  let ssw: RunningSwitch;
  let dataDir: string;

  beforeAll(async () => {
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: true },
      class5: {
        enabled: true,
        auth: { algorithms: ['MD5', 'SHA-256'] },
        tenants: [
          {
            id: 'acme',
            domain: 'acme.example',
            dids: [{ did: '2125550302', extension: '1002' }],
            extensions: [
              { number: '1002', password: 'secret1002' },
              { number: '1003', password: 'secret1003' },
            ],
          },
        ],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  const ok = (r: SippResult, who: string) => expect(r.exitCode, `${who}: ${r.stdout.slice(-2500)}${r.stderr.slice(-1500)}`).toBe(0);
  const register = async (user: string, port: number) => {
    const path = join(dataDir, `c5-register-${user}-${port}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${port}>`));
    ok(await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', user, '-au', user, '-ap', `secret${user}`, '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', '1'] }), `register ${user}`);
  };

  it('the circuit stays up; MDCX re-points its connection at the target’s SDP; the tandem releases only when it hangs up', async () => {
    // C checks that it is offered the gateway's media (a real port), not declined streams.
    const cPath = join(dataDir, 'target-offered-gateway.xml');
    writeFileSync(cPath, readFileSync(scenario('c5-transfer-target.xml'), 'utf8').replace('<recv request="INVITE" />', '<recv request="INVITE">\n    <action><ereg regexp="m=audio [1-9][0-9]* RTP/AVP" search_in="body" check_it="true" assign_to="gw" /></action>\n  </recv>\n  <Reference variables="gw" />'));
    const { targetMediaPort: mport } = await transferPstnCaller({ ssw, targetScenario: cPath, register, ok });
    await until(() => ssw.calls.activeCount === 0, 'the calls to end', 10_000);

    const cdrs = (await ssw.api.inject({ url: '/api/v1/cdrs?limit=20' })).json().cdrs as Array<Record<string, unknown>>;
    const original = cdrs.find((r) => r.releasedBy === 'transfer' && r.called === '2125550302')!;
    expect(original, JSON.stringify(cdrs)).toBeDefined();
    expect(original.gatewayEndpoint).toBeDefined();
    const continued = cdrs.find((r) => r.transferredFrom === original.callId)!;
    expect(continued).toMatchObject({ transferredBy: '1002', called: '1003', direction: 'isup-to-sip' });
    // The circuit's MGCP (its bearer call id is the original call's) is in the original call's trail.
    const entries = (await ssw.api.inject({ url: `/api/v1/calls/${String(original.callId)}/trail` })).json().entries as Entry[];
    const mdcx = entries.filter((e) => e.protocol === 'mgcp' && e.dir === 'out' && e.label.startsWith('MDCX'));
    const repointed = mdcx.find((e) => e.text?.includes(`m=audio ${mport} RTP/AVP`));
    expect(repointed, mdcx.map((e) => e.text).join('\n---\n')).toBeDefined();
    expect(repointed!.text).toMatch(/^M: sendrecv/m);
    const i = entries.indexOf(repointed!);
    expect(entries.slice(i + 1).find((e) => e.protocol === 'mgcp' && e.dir === 'in')?.label).toMatch(/^200/);
    expect(entries.some((e) => e.protocol === 'mgcp' && e.label.startsWith('DLCX'))).toBe(true);
  }, 60_000);
});
