/** A SIPp flood against a port bounded to 10 server transactions: the rest get 503 + Retry-After (RFC 3261 §21.5.4). */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startTestApp } from './test-app.js';

const scenario = (name: string) => fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));

const registry = new Registry();

async function refusals(): Promise<number> {
  const m = await registry.getSingleMetric('softswitch_sip_overload_rejected_total')?.get();
  return (m?.values ?? []).filter((v) => v.labels.method === 'INVITE').reduce((a, v) => a + v.value, 0);
}

describe.skipIf(!hasSipp())('embedded port at its server-transaction bound, against SIPp', () => {
  it('40 INVITEs at once to a port bounded to 10: at most 10 ring, every other call gets 503 with Retry-After, all complete', async () => {
    const { port, log } = await startTestApp({ maxServerTransactions: 10, overloadRetryAfterS: 3, registry });
    const before = await refusals();
    try {
      const r = await runSipp({ scenario: scenario('uac-overload.xml'), target: `127.0.0.1:${port.port}`, args: ['-s', 'ring', '-m', '40', '-r', '200', '-l', '40'], timeoutS: 20 });
      expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
      expect(r.stats.successful).toBe(40);
      expect(log.invites).toBeGreaterThan(0);
      expect(log.invites).toBeLessThanOrEqual(10);
      expect(log.cancels).toBe(log.invites);
      expect((await refusals()) - before).toBeGreaterThanOrEqual(40 - log.invites);
      expect(port.core.layer.size.servers).toBeLessThanOrEqual(10);
    } finally {
      await port.close();
    }
  }, 30_000);
});
