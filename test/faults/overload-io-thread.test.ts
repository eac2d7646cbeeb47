/**
 * Overload refusals made on the SIP UDP I/O thread (src/sip/udp-thread/edge-shed.ts), seen by a
 * real peer: the switch's main thread is kept busy 90 % of the time (as a CPU-bound switch is), so
 * SIP datagrams wait in the ring to it and the receive-queue gate sheds; the I/O thread then
 * answers new INVITEs with 503 + Retry-After itself (SIPp's scenario fails a call whose 503 lacks
 * it) and absorbs their ACKs, while the calls it lets through complete. Every call SIPp starts
 * ends as answered or refused, and the refusals are counted where the fast path's are. (With the
 * I/O thread drawing, the main thread never refuses SIP for the receive queue: every such refusal
 * counted here was made on the I/O thread.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = fileURLToPath(new URL('../scenarios/uac-call-or-503.xml', import.meta.url));

describe.skipIf(!hasSipp())('overload refused on the SIP I/O thread', () => {
  let ssw: RunningSwitch;
  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({
      lab: { startOsmoMgw: false, tandemSim: { port: 0, alertDelayMs: 0, answerDelayMs: 0 } },
      mgcp: { localPort: 0, gateways: [] },
      // Circuits for every call SIPp may hold while set-up is slow (the lab's trunk groups would run
      // out: 503 for cause 34, without Retry-After), signalling only.
      trunkGroups: [{ id: 'tg-ilec', dpc: '2-2-2', cics: { first: 1, count: 2000 } }],
      routing: { carriers: [{ id: 'ilec-tandem', trunkGroups: ['tg-ilec'], deck: 'config/rate-decks/ilec-tandem.csv' }] },
      overload: { retryAfterS: 9, receiveQueue: { shedAboveMs: 20, clearBelowMs: 10, sustainMs: 0 } },
      // As many calls as SIPp may hold: the lab customer's 100 would refuse the excess (503 without Retry-After).
      trunkCustomers: [{ id: 'sipp-trunk', sources: ['127.0.0.1/32'], maxCalls: 2000 }],
    }));
  }, 60_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  const metric = async (re: RegExp) => Number(re.exec((await ssw.api.inject({ url: '/metrics' })).body)?.[1] ?? 0);

  it('a main thread busy 90 % of the time sheds new INVITEs at the I/O thread with 503 + Retry-After; the calls let through complete', async () => {
    const refusedBefore = await metric(/softswitch_overload_rejected_total\{protocol="sip",reason="receive-queue"\} (\d+)/);
    const absorbedBefore = await metric(/softswitch_sip_shed_fast_path_total\{kind="ack-absorbed"\} (\d+)/);
    // 45 ms of every 50 spent elsewhere: the event loop takes SIP datagrams in the gaps. (40 of 50
    // with a 30 ms threshold once read no refusal at all in a full-suite run, the host busy with others.)
    const hog = setInterval(() => {
      const until = performance.now() + 45;
      while (performance.now() < until) {
        // busy
      }
    }, 50);
    let r;
    try {
      r = await runSipp({ scenario, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 60, args: ['-s', '12125550150', '-m', '600', '-r', '200', '-l', '400', '-d', '0'] });
    } finally {
      clearInterval(hog);
    }
    expect(r.exitCode, r.stdout.slice(-3000)).toBe(0);
    expect(r.stats.successful).toBe(600);
    await until(() => ssw.calls.activeCount === 0, 'admitted calls to end', 20_000);
    await new Promise((res) => setTimeout(res, 250)); // the I/O thread's counts are folded in every 100 ms
    const refused = (await metric(/softswitch_overload_rejected_total\{protocol="sip",reason="receive-queue"\} (\d+)/)) - refusedBefore;
    const absorbed = (await metric(/softswitch_sip_shed_fast_path_total\{kind="ack-absorbed"\} (\d+)/)) - absorbedBefore;
    const answered = (await ssw.cdrs.list({ limit: 2000 })).filter((c) => c.direction === 'sip-to-isup' && c.answerTime).length;
    expect(refused).toBeGreaterThan(0);
    expect(absorbed).toBe(refused);
    expect(answered).toBeGreaterThan(0);
    expect(answered + refused).toBe(600);
  }, 120_000);
});
