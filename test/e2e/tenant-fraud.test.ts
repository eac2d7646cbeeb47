/**
 * Toll-fraud limits on Class 5 tenants (`fraud.tenants`), tripped by SIPp phones calling through
 * the switch to the lab tandem: a tenant's concurrent calls (503, Q.850 34, Retry-After), its new
 * calls per second (503, Q.850 42, Retry-After), high-risk and premium-rate destinations (403,
 * Q.850 21) and its spend per hour (403, Q.850 21 once a rated call put it over). Each refusal is
 * counted in softswitch_fraud_limit_tripped_total under the tenant and the limit, and logged; a
 * tenant without limits calls the PSTN all along, also while another is held at its limit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { ackFor } from '../helpers/class5-sipp.js';

const CALLER = new URL('../scenarios/c5-caller.xml', import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping tenant toll-fraud test: ${missing}`);

/** Tenants, each with one limit under test (so one tripping does not mask another), and one without. */
const TENANTS = [
  { id: 'acme', domain: 'acme.example', ext: '1001', limits: { maxCalls: 2 } },
  { id: 'initech', domain: 'initech.example', ext: '3001', limits: { callsPerSecond: 2 } },
  { id: 'umbrella', domain: 'umbrella.example', ext: '4001', limits: { spendPerHour: 0.00001, allowPremium: true, allowHighRisk: true } },
  { id: 'globex', domain: 'globex.example', ext: '2001', limits: { allowPremium: true, allowHighRisk: true } },
];

describe.skipIf(missing !== '')('toll-fraud limits on hosted-PBX tenants', () => {
  let ssw: RunningSwitch;
  let dataDir: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = pino({ level: 'info', base: { svc: 'softswitch' } }, { write: (line: string) => void logLines.push(line) });
    ({ ssw, dataDir } = await startLabSwitch(
      {
        lab: { startOsmoMgw: false },
        mgcp: { localPort: 0, gateways: [] },
        routing: { blocked: [], carriers: [{ id: 'ilec-tandem', trunkGroups: ['tg-ilec'], deck: 'config/rate-decks/ilec-tandem.csv' }] },
        class5: {
          enabled: true,
          auth: { algorithms: ['MD5', 'SHA-256'] },
          tenants: TENANTS.map((t) => ({ id: t.id, domain: t.domain, extensions: [{ number: t.ext, password: `secret${t.ext}`, cos: 'international' }] })),
        },
        fraud: { tenants: TENANTS.map((t) => ({ tenant: t.id, limits: t.limits })) },
      },
      'info',
      logger,
    ));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  /** The caller scenario held `holdMs` before its BYE, or expecting a refusal whose Reason carries `cause` (and Retry-After when `retry`). */
  const scenarioFor = (o: { status: number; cause?: number; retry?: boolean; holdMs?: number }) => {
    const name = `tenant-${o.status}-${o.cause ?? 0}-${o.retry ? 'r' : ''}-${o.holdMs ?? 300}.xml`;
    let xml = readFileSync(CALLER, 'utf8').replace('<pause milliseconds="300"/>', `<pause milliseconds="${o.holdMs ?? 300}"/>`);
    if (o.status !== 200) {
      const checks = [
        `<ereg regexp="Q\\.850;cause=${o.cause}" search_in="hdr" header="Reason:" check_it="true" assign_to="reason"/>`,
        ...(o.retry ? ['<ereg regexp="[0-9]+" search_in="hdr" header="Retry-After:" check_it="true" assign_to="retry"/>'] : []),
      ];
      const refusal = ackFor(o.status).replace(`<recv response="${o.status}"/>`, `<recv response="${o.status}"><action>${checks.join('')}</action></recv>`);
      xml = xml.replace(/<!--ANSWER-->[\s\S]*<!--\/ANSWER-->/, refusal).replace('</scenario>', `<Reference variables="reason${o.retry ? ',retry' : ''}"/>\n</scenario>`);
    }
    const path = join(dataDir, name);
    writeFileSync(path, xml);
    return path;
  };
  const dial = (tenant: (typeof TENANTS)[number], number: string, expect: { status: number; cause?: number; retry?: boolean; holdMs?: number }, extra: string[] = ['-m', '1']) =>
    runSipp({
      scenario: scenarioFor(expect),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 20,
      args: ['-s', number, '-au', tenant.ext, '-ap', `secret${tenant.ext}`, '-set', 'domain', tenant.domain, '-set', 'user', tenant.ext, ...extra],
    });
  const ok = (r: { exitCode: number | null; stdout: string; stderr: string }) => expect(r.exitCode, r.stdout.slice(-2500) + r.stderr.slice(-1000)).toBe(0);
  const tripped = async (tenant: string, limit: string) =>
    Number(new RegExp(`^softswitch_fraud_limit_tripped_total\\{customer="${tenant}",limit="${limit}"\\} (\\S+)$`, 'm').exec((await ssw.api.inject({ url: '/metrics' })).body)?.[1] ?? 0);
  const logged = (tenant: string, limit: string) => logLines.map((l) => JSON.parse(l) as { customer?: string; limit?: string; msg: string; level: number }).filter((l) => l.customer === tenant && l.limit === limit);
  const [acme, initech, umbrella, globex] = TENANTS;

  it('concurrent calls: with 2 of acme’s calls up, its third is refused 503 / cause 34 with Retry-After; globex calls meanwhile', async () => {
    const held = dial(acme, '12125550150', { status: 200, holdMs: 5000 }, ['-m', '2', '-l', '2', '-r', '10']);
    await until(() => ssw.calls.snapshot().filter((c) => c.state === 'answered').length === 2, 'acme’s two calls to be answered', 10_000);
    ok(await dial(acme, '12125550151', { status: 503, cause: 34, retry: true }));
    ok(await dial(globex, '12125550152', { status: 200 }));
    ok(await held);
    expect(await tripped('acme', 'concurrent-calls')).toBe(1);
    expect(logged('acme', 'concurrent-calls').some((l) => l.level === 50 && /FRAUD ALARM/.test(l.msg))).toBe(true);
    // Once its calls ended, acme calls again.
    await until(() => ssw.calls.activeCount === 0, 'calls to end');
    ok(await dial(acme, '12125550153', { status: 200 }));
  }, 60_000);

  it('destinations: acme’s call to a high-risk range (011 882…) and to a premium-rate number (1 900…) are refused 403 / cause 21; globex (allowed both) is not refused', async () => {
    ok(await dial(acme, '01188212345678', { status: 403, cause: 21 }));
    ok(await dial(acme, '19005551234', { status: 403, cause: 21 }));
    expect(await tripped('acme', 'high-risk-destination')).toBe(1);
    expect(await tripped('acme', 'premium-rate-destination')).toBe(1);
    expect(logged('acme', 'high-risk-destination')).toHaveLength(1);
    expect(logged('acme', 'premium-rate-destination')).toHaveLength(1);
    // No fraud refusal for globex: the call goes on to routing (whatever the lab deck does with it).
    const before = await tripped('globex', 'premium-rate-destination');
    const r = await dial(globex, '19005551234', { status: 200 });
    expect(await tripped('globex', 'premium-rate-destination')).toBe(before);
    expect(r.stdout + r.stderr).not.toMatch(/Q\.850;cause=21/);
  }, 60_000);

  it('calls per second: a burst of 10 of initech’s calls at once gets about 2 through and the rest 503 / cause 42 with Retry-After', async () => {
    // Each call either completes or is refused with 503, cause 42 and Retry-After (anything else fails SIPp).
    const path = scenarioFor({ status: 200 }).replace('.xml', '-or-503.xml');
    writeFileSync(
      path,
      readFileSync(scenarioFor({ status: 200 }), 'utf8')
        .replace(
          '<recv response="180" optional="true"/>',
          `<recv response="180" optional="true"/>\n  <recv response="503" optional="true" next="refused"><action><ereg regexp="Q\\.850;cause=42" search_in="hdr" header="Reason:" check_it="true" assign_to="reason"/><ereg regexp="[0-9]+" search_in="hdr" header="Retry-After:" check_it="true" assign_to="retry"/></action></recv>`,
        )
        .replace('<!--/ANSWER-->', `<!--/ANSWER-->\n  <nop next="done"/>\n  <label id="refused"/>\n  ${ackFor(503).replace('<recv response="503"/>', '')}\n  <label id="done"/>\n  <Reference variables="reason,retry"/>`),
    );
    const answeredBefore = (await ssw.cdrs.list({ limit: 500 })).filter((c) => c.customer === 'initech' && c.answerTime).length;
    const r = await runSipp({
      scenario: path,
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 20,
      args: ['-s', '12125550160', '-au', initech.ext, '-ap', `secret${initech.ext}`, '-set', 'domain', initech.domain, '-set', 'user', initech.ext, '-m', '10', '-l', '10', '-r', '200'],
    });
    ok(r);
    await until(() => ssw.calls.activeCount === 0, 'calls to end');
    const answered = (await ssw.cdrs.list({ limit: 500 })).filter((c) => c.customer === 'initech' && c.answerTime).length - answeredBefore;
    const refused = await tripped('initech', 'calls-per-second');
    console.log(`FRAUD tenant calls-per-second: ${JSON.stringify({ offered: 10, answered, refused })}`);
    expect(answered + refused).toBe(10);
    expect(answered).toBeGreaterThanOrEqual(2);
    // A burst of 2 and 2 more per second: a slow machine spreading the burst over a second or so lets a few more in.
    expect(answered).toBeLessThanOrEqual(6);
    expect(logged('initech', 'calls-per-second').filter((l) => /FRAUD ALARM/.test(l.msg))).toHaveLength(1);
    // globex, with no rate limit, is untouched.
    expect(await tripped('globex', 'calls-per-second')).toBe(0);
  }, 60_000);

  it('spend per hour: once one rated call puts umbrella over its hourly spend, its next call is refused 403 / cause 21; globex keeps calling', async () => {
    ok(await dial(umbrella, '12125550170', { status: 200, holdMs: 1000 }));
    await until(async () => ssw.calls.activeCount === 0 && (await ssw.cdrs.list({ limit: 500 })).some((c) => c.customer === 'umbrella' && (c.rate ?? 0) > 0), 'umbrella’s rated CDR');
    ok(await dial(umbrella, '12125550171', { status: 403, cause: 21 }));
    expect(await tripped('umbrella', 'spend-per-hour')).toBe(1);
    expect(logged('umbrella', 'spend-per-hour').some((l) => /FRAUD ALARM/.test(l.msg))).toBe(true);
    ok(await dial(globex, '12125550172', { status: 200 }));
    expect(await tripped('globex', 'spend-per-hour')).toBe(0);
  }, 60_000);
});
