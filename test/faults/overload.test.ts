/**
 * Overload admission seen by the peers: with the switch limited to a few new calls per second,
 * SIPp offering many more gets 503 with Retry-After for the excess (its scenario fails a call
 * whose 503 lacks it), and the tandem originating a burst of IAMs gets REL with cause 42
 * (switching equipment congestion) and the automatic congestion level (Q.764 §2.11) for the
 * excess. Admitted calls complete with CDRs; no circuit stays busy. The capacity figures are
 * the `overload` benchmark's (bench/overload.bench.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = fileURLToPath(new URL('../scenarios/uac-call-or-503.xml', import.meta.url));
const CPS = 5;

describe.skipIf(!hasSipp())('overload: excess INVITEs and IAMs refused with the right answers', () => {
  let ssw: RunningSwitch;
  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      overload: { maxCallsPerSecond: CPS, retryAfterS: 7 },
    }));
  }, 60_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  const rejected = async (protocol: string) => Number(new RegExp(`softswitch_overload_rejected_total\\{protocol="${protocol}",reason="calls-per-second"\\} (\\d+)`).exec((await ssw.api.inject({ url: '/metrics' })).body)?.[1] ?? 0);

  it('SIP: excess INVITEs get 503 with Retry-After; admitted calls complete with CDRs', async () => {
    const before = await rejected('sip');
    const offered = 40;
    const r = await runSipp({ scenario, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 60, args: ['-s', '12125550150', '-m', String(offered), '-r', '40', '-l', '100', '-d', '200'] });
    await until(() => ssw.calls.activeCount === 0, 'admitted calls to end', 20_000);
    const refused = (await rejected('sip')) - before;
    const cdrs = (await ssw.cdrs.list({ limit: 1000 })).filter((c) => c.direction === 'sip-to-isup');
    const busy = ((await ssw.api.inject({ url: '/api/v1/isup/trunk-groups' })).json() as Array<{ total: number; idle: number }>).reduce((n, t) => n + t.total - t.idle, 0);
    console.log(`FAULTS overload SIP: ${JSON.stringify({ offered, admitted: cdrs.length, refused503: refused, sippOk: r.stats.successful, sippFailed: r.stats.failed, hungCircuits: busy })}`);
    // Every call ended well for SIPp: answered, or refused with a Retry-After it found.
    expect(r.stats.successful, r.stdout.slice(-2000)).toBe(offered);
    expect(refused).toBeGreaterThan(0);
    expect(cdrs.length + refused).toBe(offered);
    expect(cdrs.every((c) => c.answerTime !== undefined)).toBe(true);
    expect(busy).toBe(0);
  }, 120_000);

  it('ISUP: excess IAMs get REL with cause 42 and the automatic congestion level', async () => {
    const sim = ssw.tandem!.simulator;
    await new Promise((r) => setTimeout(r, 1100)); // the per-second bucket refills
    const from = sim.history.length;
    const burst = 20;
    for (let i = 0; i < burst; i++) sim.originate({ called: '2125550150', calling: '3125550100', holdMs: 100 });
    await until(() => sim.history.slice(from).filter((c) => c.direction === 'outgoing').every((c) => c.state === 'idle' || c.rel !== undefined) && ssw.calls.activeCount === 0, 'the burst to be answered or refused', 30_000);
    const calls = sim.history.slice(from).filter((c) => c.direction === 'outgoing');
    const refused = calls.filter((c) => c.rel?.cause === 42);
    console.log(`FAULTS overload ISUP: ${JSON.stringify({ offered: burst, refusedRel42: refused.length, acl: [...new Set(refused.map((c) => c.rel?.acl))] })}`);
    expect(calls).toHaveLength(burst);
    expect(refused.length).toBeGreaterThanOrEqual(burst - CPS - 1);
    for (const c of refused) expect(c.rel!.acl).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
