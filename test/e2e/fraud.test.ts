/**
 * Toll-fraud limits tried through the switch with SIPp as the trunk customer: a call to a
 * high-risk international range is refused with 403 (Q.850 21); once the customer's rated spend
 * for the hour passes its limit, the next call is refused too, and the metric counts both.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping fraud end-to-end test: ${missing}`);

describe.skipIf(missing !== '')('toll-fraud limits on a trunk customer', () => {
  let ssw: RunningSwitch;
  let dataDir: string;
  const refused = (status: number) => {
    const path = join(dataDir, `refused-${status}.xml`);
    writeFileSync(path, readFileSync(scenario('ssw-call-rejected.xml'), 'utf8').replaceAll('[$status]', String(status)));
    return path;
  };

  beforeAll(async () => {
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      trunkCustomers: [{ id: 'lab-trunk', sources: ['127.0.0.1/32'], limits: { spendPerHour: 0.00001 } }],
      routing: {
        blocked: [],
        carriers: [{ id: 'ilec-tandem', trunkGroups: ['tg-ilec'], deck: 'config/rate-decks/ilec-tandem.csv' }],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  it('refuses a call to a high-risk range (+882) with 403 and cause 21, before any routing', async () => {
    const r = await runSipp({ scenario: refused(403), target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '+88212345678', '-m', '1'] });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    expect(await ssw.cdrs.list()).toHaveLength(0);
  });

  it('after a rated call puts the customer over its hourly spend, the next call is refused', async () => {
    const ok = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 15, args: ['-s', '12125550150', '-m', '1', '-d', '1000'] });
    expect(ok.exitCode, ok.stdout.slice(-3000) + ok.stderr.slice(-1500)).toBe(0);
    await until(async () => ssw.calls.activeCount === 0 && (await ssw.cdrs.list()).length === 1, 'the CDR of the first call');
    expect((await ssw.cdrs.list())[0].rate).toBeGreaterThan(0);
    const r = await runSipp({ scenario: refused(403), target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '12125550151', '-m', '1'] });
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    const metrics = (await ssw.api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/softswitch_fraud_limit_tripped_total\{customer="lab-trunk",limit="high-risk-destination"\} 1/);
    expect(metrics).toMatch(/softswitch_fraud_limit_tripped_total\{customer="lab-trunk",limit="spend-per-hour"\} 1/);
  });
});
