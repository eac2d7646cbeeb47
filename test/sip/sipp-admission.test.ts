/**
 * Defect 6 of "Reliability and security" against real sockets: a stranger on 127.0.0.2 floods
 * INVITEs far above the 625/s that used to exhaust the transaction bound, while SIPp on 127.0.0.1
 * (the customer) places calls. Every customer call must succeed and the stranger must cost no
 * transaction. Run once with 'reject' (stateless 403s) and once with 'drop'.
 */
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import type { AdmissionVerdict } from '../../src/sip/admission.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startTestApp } from './test-app.js';

const STRANGER = '127.0.0.2';

function strangerInvite(target: number, localPort: number, i: number): Buffer {
  return Buffer.from(
    [
      // 'ring': the test application rings (180) and never answers, so each INVITE stays a live transaction.
      `INVITE sip:ring@127.0.0.1:${target} SIP/2.0`,
      `Via: SIP/2.0/UDP ${STRANGER}:${localPort};branch=z9hG4bK-flood-${i}`,
      'Max-Forwards: 70',
      `From: <sip:scan@${STRANGER}>;tag=f${i}`,
      'To: <sip:ring@127.0.0.1>',
      `Call-ID: flood-${i}@${STRANGER}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:scan@${STRANGER}:${localPort}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/** Sends `total` INVITEs at about `perS` a second from 127.0.0.2, counting what comes back. */
async function flood(sock: Socket, target: number, total: number, perS: number): Promise<void> {
  const localPort = sock.address().port;
  const batch = Math.max(1, Math.round(perS / 100));
  for (let sent = 0; sent < total; ) {
    for (let k = 0; k < batch && sent < total; k++, sent++) sock.send(strangerInvite(target, localPort, sent), target, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!hasSipp())('a stranger flooding INVITEs while a customer places calls (SIPp)', () => {
  it('control: without admission the stranger reaches the application (a ringing call each), fills the live-transaction bound and customer calls get 503', async () => {
    const { port, log } = await startTestApp({ maxServerTransactions: 300 });
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, STRANGER, () => r()));
    try {
      await flood(sock, port.port, 1000, 2000);
      const end = Date.now() + 5000;
      while (port.core.layer.size.servers < 300 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(port.core.layer.size.servers).toBe(300);
      const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${port.port}`, args: ['-m', '20', '-r', '50', '-l', '20'], timeoutS: 15 });
      expect(r.stats.failed, r.stdout.slice(-2500)).toBe(20);
      expect(log.invites).toBe(300);
    } finally {
      sock.close();
      await port.close();
    }
  }, 30_000);

  for (const verdict of ['reject', 'drop'] as const) {
    it(`unknown source → '${verdict}': 100 customer calls all succeed, the stranger holds no transaction`, async () => {
      const { port, log } = await startTestApp({
        maxServerTransactions: 300,
        admit: (s): AdmissionVerdict => (s.address === '127.0.0.1' ? 'accept' : verdict),
        rateLimit: { ratePerS: 200, burst: 50 },
      });
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, STRANGER, () => r()));
      const answers = new Map<string, number>();
      sock.on('message', (m) => {
        const status = m.toString('latin1', 8, 11);
        answers.set(status, (answers.get(status) ?? 0) + 1);
      });
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, port.core.layer.size.servers)), 5);
      try {
        const calls = runSipp({ scenario: 'uac', target: `127.0.0.1:${port.port}`, args: ['-m', '100', '-r', '50', '-l', '100'], timeoutS: 30 });
        await new Promise((r) => setTimeout(r, 100));
        // 4,000 INVITEs at ~2,000/s: more than 6 times the bound of 300 within one Timer H.
        const t0 = Date.now();
        await flood(sock, port.port, 4000, 2000);
        const floodMs = Date.now() - t0;
        const r = await calls;
        await new Promise((res) => setTimeout(res, 200));
        expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
        expect(r.stats.successful).toBe(100);
        expect(r.stats.failed).toBe(0);
        expect(log.invites).toBe(100);
        // Only the customer's requests in progress are live (finished ones are compact, not counted).
        expect(peak).toBeLessThanOrEqual(30);
        const refusedWith403 = answers.get('403') ?? 0;
        if (verdict === 'drop') expect(answers.size).toBe(0);
        else {
          // 403s until the stranger's bucket (burst 50, 200/s) runs dry, then silence: no reflection.
          expect(refusedWith403).toBeGreaterThanOrEqual(50);
          expect(refusedWith403).toBeLessThanOrEqual(50 + Math.ceil((floodMs / 1000 + 1) * 200));
          expect([...answers.keys()]).toEqual(['403']);
        }
        console.info(`admission ${verdict}: 4000 stranger INVITEs in ${floodMs} ms, ${refusedWith403} answered 403, customer 100/100, peak server transactions ${peak}`);
      } finally {
        clearInterval(sampler);
        sock.close();
        await port.close();
      }
    }, 45_000);
  }
});
