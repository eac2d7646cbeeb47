/**
 * Session timers (RFC 4028) on the embedded port against SIPp: the caller's refresh arrives and is
 * answered with the interval; when the switch is the refresher its re-INVITE reaches SIPp at half
 * the interval (90 s minimum, so that test waits about 45 s).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startTestApp, type AppLog } from './test-app.js';

const scenario = (name: string) => fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));
const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe.skipIf(!hasSipp())('session timers against SIPp', () => {
  let port: EmbeddedSignallingPort;
  let log: AppLog;

  beforeEach(async () => {
    ({ port, log } = await startTestApp());
  });
  afterEach(async () => {
    await port.close();
  });

  it("the caller's refresh re-INVITE arrives and is answered 200 with Session-Expires; the call then ends by the caller's BYE", async () => {
    const r = await runSipp({ scenario: scenario('sip-uac-session-refresh.xml'), target: `127.0.0.1:${port.port}`, args: ['-m', '2', '-r', '2'], timeoutS: 20 });
    expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-1500)).toBe(0);
    expect(r.stats.successful).toBe(2);
    await until(() => log.destroyed.length === 2);
    expect(log.destroyed.map((d) => d.by)).toEqual(['remote', 'remote']);
  }, 40_000);

  it('the switch as refresher: its refresh re-INVITE reaches SIPp at half of 90 s and SIPp answers it', async () => {
    const started = Date.now();
    const r = await runSipp({ scenario: scenario('sip-uac-session-switch-refresh.xml'), target: `127.0.0.1:${port.port}`, args: ['-m', '1'], timeoutS: 80 });
    expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-1500)).toBe(0);
    expect(r.stats.successful).toBe(1);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(44_000);
    console.info(`session refresh by the switch reached SIPp; scenario took ${took} ms`);
    await until(() => log.destroyed.length === 1);
    expect(log.destroyed[0].by).toBe('remote');
  }, 100_000);
});
