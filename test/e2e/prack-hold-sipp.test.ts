/**
 * RFC 3262 §3 (UAS): a 2xx to an INVITE whose reliable provisional (with SDP) is not yet PRACKed
 * is held back until the PRACK comes. SIPp as a trunk customer requiring 100rel PRACKs the early
 * 183 late while the tandem answers at once; its scenario fails on a 200 (INVITE) before the
 * 200 (PRACK). Over UDP and over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping PRACK hold-back tests: ${missing}`);

describe.skipIf(missing !== '')('PRACK before 2xx (RFC 3262 §3) through the lab switch', () => {
  let ssw: RunningSwitch;
  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { tandemSim: { alertDelayMs: 20, answerDelayMs: 30 } } }));
  }, 30_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  for (const transport of ['u1', 't1']) {
    it(`holds the 200 until the late PRACK of the reliable 183 (SIPp -t ${transport}, 5 calls)`, async () => {
      const r = await runSipp({
        scenario: scenario('ssw-call-prack-late.xml'),
        target: `127.0.0.1:${ssw.sipPort}`,
        timeoutS: 30,
        args: ['-t', transport, '-s', '12125550150', '-m', '5', '-r', '5', '-l', '5'],
      });
      expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-1000)).toBe(0);
      expect(r.stats.successful).toBe(5);
      await until(() => ssw.calls.activeCount === 0, 'the calls to end');
      const cdrs = (await ssw.cdrs.list()).slice(0, 5);
      expect(cdrs.every((c) => c.sipStatus === 200 && c.releasedBy === 'caller')).toBe(true);
    }, 60_000);
  }
});
