/**
 * In-dialog SIP against SIPp through the whole lab switch (embedded stack, tandem simulator,
 * osmo-mgw): a caller puts its PSTN call on hold and resumes it with re-INVITEs; the answers carry
 * the mirrored direction and the switch's gateway connection is modified each time. A caller that
 * requires 100rel gets its early media reliably and PRACKs it (RFC 3262).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { callMetrics } from '../../src/calls/metrics.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping in-dialog SIPp tests: ${missing}`);

let ssw: RunningSwitch;

async function offers(status: string): Promise<number> {
  const m = await callMetrics(ssw.registry).callOffersTotal.get();
  return m.values.filter((v) => v.labels.from === 'caller' && v.labels.status === status).reduce((n, v) => n + v.value, 0);
}

describe.skipIf(missing !== '')('SIPp re-INVITE hold/resume through the lab switch', () => {

  beforeAll(async () => {
    // The tandem answers 400 ms after its ACM, so the caller's PRACK of the early 183 precedes the 200.
    ({ ssw } = await startLabSwitch({ lab: { tandemSim: { answerDelayMs: 400 } } }));
  }, 30_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  it('hold (a=sendonly → a=recvonly) and resume (a=sendrecv) on 3 calls: SIPp exits 0, 6 offers answered 200', async () => {
    const before = await offers('200');
    const r = await runSipp({
      scenario: scenario('ssw-call-hold-resume.xml'),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 30,
      args: ['-s', '12125550150', '-m', '3', '-r', '3', '-l', '3'],
    });
    expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-1000)).toBe(0);
    expect(r.stats.successful).toBe(3);
    expect((await offers('200')) - before).toBe(6);
    await until(() => ssw.calls.activeCount === 0, 'the calls to end');
    const cdrs = (await ssw.cdrs.list()).slice(0, 3);
    expect(cdrs.every((c) => c.sipStatus === 200 && c.releasedBy === 'caller')).toBe(true);
  }, 60_000);

  it('PRACK (RFC 3262): a caller requiring 100rel gets the early-media 183 reliably (Require, RSeq), PRACKs it and is answered; 3 calls', async () => {
    const r = await runSipp({
      scenario: scenario('ssw-call-prack.xml'),
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 30,
      args: ['-s', '12125550150', '-m', '3', '-r', '3', '-l', '3'],
    });
    expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-1000)).toBe(0);
    expect(r.stats.successful).toBe(3);
    await until(() => ssw.calls.activeCount === 0, 'the calls to end');
  }, 60_000);
});
