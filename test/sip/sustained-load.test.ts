/**
 * Issue "Class 5": bookkeeping must not cap sustained load. 1,000 calls/s held for 45 s used to
 * get 27 % 503s because finished transactions waiting out Timer J counted against the flood
 * bound. Now the bound counts live transactions only, finished ones sit in a bounded compact
 * store, and retransmissions are still absorbed. Virtual time on the UA core, then SIPp.
 */
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/sip/message.js';
import { UaCore, type UaCoreOptions } from '../../src/sip/ua-core.js';
import { VirtualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { SDP } from './fixtures.js';
import { startTestApp } from './test-app.js';

const caller: Endpoint = { address: '192.0.2.10', port: 5060 };

const msg = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');
const head = (method: string, n: number, branch: string, toTag?: string, seq = 1) => [
  `${method} sip:+4930${n}@198.51.100.1 SIP/2.0`,
  `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`,
  'Max-Forwards: 70',
  `From: <sip:+4940${n}@192.0.2.10>;tag=f${n}`,
  `To: <sip:+4930${n}@198.51.100.1>${toTag ? `;tag=${toTag}` : ''}`,
  `Call-ID: load-${n}@192.0.2.10`,
  `CSeq: ${seq} ${method}`,
];
const inviteN = (n: number) => msg([...head('INVITE', n, `z9hG4bK-i${n}`), `Contact: <sip:a@192.0.2.10:5060>`, 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(SDP)}`, '', SDP]);
const ackN = (n: number, tag: string) => msg([...head('ACK', n, `z9hG4bK-a${n}`, tag), 'Content-Length: 0', '', '']);
const byeN = (n: number, tag: string) => msg([...head('BYE', n, `z9hG4bK-b${n}`, tag, 2), 'Content-Length: 0', '', '']);

/** A core answering every INVITE at once; responses are tallied by status and CSeq method. */
function loadRig(extra: Partial<UaCoreOptions> = {}) {
  const clock = new VirtualClock();
  const tally = new Map<string, number>();
  const core = new UaCore({
    clock,
    logger: silentLogger,
    local: { host: '198.51.100.1', port: 5099 },
    send: (buf) => {
      const text = buf.toString('latin1', 0, Math.min(buf.length, 600));
      if (!text.startsWith('SIP/2.0 ')) return;
      const key = `${text.slice(8, 11)} ${/CSeq: \d+ (\w+)/.exec(text)?.[1] ?? '?'}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    },
    ...extra,
  });
  const tags = new Map<number, string>();
  let invites = 0;
  core.onInvite((inv) => {
    invites++;
    const n = Number(/load-(\d+)@/.exec(inv.callId)?.[1]);
    tags.set(n, core.answer(inv, SDP).localTag);
  });
  return { clock, core, tally, tags, count: (k: string) => tally.get(k) ?? 0, invitesToApp: () => invites };
}

describe('sustained load in virtual time', () => {
  it('1,000 calls/s for 45 s (5 s hold) with the default bound of 20,000: no 503, live transactions stay small, retransmitted INVITEs and BYEs are absorbed', () => {
    const { clock, core, tags, count, invitesToApp } = loadRig();
    const RATE = 1000;
    const SECONDS = 45;
    const HOLD_MS = 5000;
    const total = RATE * SECONDS;
    let peakLive = 0;
    let peakCompleted = 0;
    let peakBytes = 0;
    let byed = 0;
    let byeRetransmits = 0;
    let inviteRetransmits = 0;
    const byeAt = (n: number) => n + HOLD_MS; // call n starts at n ms (1 per ms)
    for (let t = 0; t < total + HOLD_MS + 3000; t++) {
      if (t < total) {
        core.receive(inviteN(t), caller);
        const tag = tags.get(t);
        if (tag) core.receive(ackN(t, tag), caller);
        // Every 100th INVITE is retransmitted 300 ms later (after its ACK): absorbed silently, no second call (RFC 6026 §7.1).
      }
      if (t >= 300 && t - 300 < total && (t - 300) % 100 === 0) {
        core.receive(inviteN(t - 300), caller);
        inviteRetransmits++;
      }
      const n = t - HOLD_MS;
      if (n >= 0 && n < total && byeAt(n) === t) {
        const tag = tags.get(n);
        if (tag) {
          core.receive(byeN(n, tag), caller);
          byed++;
        }
      }
      // Every 50th BYE is retransmitted 2 s later (our 200 lost): answered again from the compact store.
      const r = t - HOLD_MS - 2000;
      if (r >= 0 && r < total && r % 50 === 0 && tags.has(r)) {
        core.receive(byeN(r, tags.get(r)!), caller);
        byeRetransmits++;
      }
      const size = core.layer.size;
      peakLive = Math.max(peakLive, size.servers);
      peakCompleted = Math.max(peakCompleted, size.completed);
      peakBytes = Math.max(peakBytes, size.completedBytes);
      clock.advance(1);
    }
    expect(count('503 INVITE')).toBe(0);
    expect(count('503 BYE')).toBe(0);
    expect(tags.size).toBe(total);
    expect(byed).toBe(total);
    expect(count('200 INVITE')).toBe(total);
    expect(invitesToApp()).toBe(total);
    expect(inviteRetransmits).toBe(total / 100);
    expect(count('200 BYE')).toBe(total + byeRetransmits);
    expect(count('481 BYE')).toBe(0);
    expect(core.dialogCount).toBe(0);
    // Live: only what is being answered in the same millisecond.
    expect(peakLive).toBeLessThanOrEqual(2);
    // Finished BYE transactions for one Timer J (32 s at 1,000/s), a few hundred bytes each.
    expect(peakCompleted).toBeGreaterThan(30_000);
    expect(peakCompleted).toBeLessThanOrEqual(32_100);
    expect(peakBytes / peakCompleted).toBeLessThan(700);
    console.info(
      `virtual 1,000 cps x 45 s: ${total} calls, 0 x 503, peak live ${peakLive}, peak completed ${peakCompleted} (${(peakBytes / 1048576).toFixed(1)} MiB, ${Math.round(peakBytes / peakCompleted)} B each), ${inviteRetransmits} INVITE and ${byeRetransmits} BYE retransmissions absorbed`,
    );
  }, 120_000);

  it('with the completed store capped below one Timer J, memory stays at the cap and the cost is only late retransmissions (evicted first)', () => {
    const { clock, core, tags, count } = loadRig({ maxCompletedTransactions: 2_000 });
    let peak = 0;
    for (let t = 0; t < 6_000; t++) {
      core.receive(inviteN(t), caller);
      core.receive(ackN(t, tags.get(t)!), caller);
      core.receive(byeN(t, tags.get(t)!), caller);
      peak = Math.max(peak, core.layer.size.completed);
      clock.advance(1);
    }
    expect(peak).toBe(2_000);
    expect(count('503 INVITE')).toBe(0);
    // A retransmission within the cap's reach is absorbed; one older than the cap is a new request (481: the dialog is gone).
    core.receive(byeN(5_000, tags.get(5_000)!), caller);
    expect(count('200 BYE')).toBe(6_001);
    core.receive(byeN(10, tags.get(10)!), caller);
    expect(count('481 BYE')).toBe(1);
  }, 60_000);
});

describe.skipIf(!hasSipp())('sustained load against SIPp', () => {
  it('1,500 calls at 300/s to a port bounded to 200 live transactions: every call succeeds (finished BYEs no longer count)', async () => {
    const { port, log } = await startTestApp({ maxServerTransactions: 200 });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, port.core.layer.size.servers)), 5);
    try {
      const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${port.port}`, args: ['-m', '1500', '-r', '300', '-l', '400'], timeoutS: 40 });
      expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
      expect(r.stats.successful).toBe(1500);
      expect(log.invites).toBe(1500);
      // All 1,500 BYE transactions are within Timer J: remembered, compact, not live.
      expect(port.core.layer.size.completed).toBeGreaterThanOrEqual(1400);
      expect(port.core.layer.size.servers).toBe(0);
      console.info(`SIPp 1,500 calls at 300 cps, bound 200: ${r.stats.successful} ok, peak live ${peak}, completed ${port.core.layer.size.completed}`);
    } finally {
      clearInterval(sampler);
      await port.close();
    }
  }, 60_000);
});
