/**
 * The media gateway (a real osmo-mgw) dies and restarts, or stalls (SIGSTOP) and resumes, while
 * calls are up. The switch's keepalive audits find it down, routing skips it, the calls through it
 * are released on both sides (cause 41) with CDRs, and once it answers an audit again it is back
 * in service and carries new calls. No circuit is left busy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasOsmoMgw, OSMO_MGW_MISSING, startOsmoMgw, type OsmoMgw } from '../helpers/osmo-mgw.js';
import { freeUdpPort, hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const scenario = fileURLToPath(new URL('../scenarios/ssw-call-caller-bye.xml', import.meta.url));
const heldScenario = fileURLToPath(new URL('../scenarios/uac-via-relay.xml', import.meta.url));
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping gateway fault tests: ${missing}`);

describe.skipIf(missing !== '')('media gateway restart and silence mid-call', () => {
  let ssw: RunningSwitch;
  let restarted: OsmoMgw | undefined;
  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({
      mgcp: { localPort: 0, retransmit: { initialRtoMs: 100, maxRtoMs: 200, maxRetransmits: 2 }, healthProbeMs: 200, keepaliveMs: 300 },
    }, process.env.FAULT_LOG ?? 'silent'));
  }, 60_000);
  afterAll(async () => {
    ssw?.osmoMgw?.signal('SIGCONT');
    await ssw?.stop();
    await restarted?.stop();
  }, 30_000);

  const gatewayUp = async () => (await ssw.api.inject({ url: '/healthz' })).json().checks['gateway:mgw-lab'] as boolean;
  const busyCircuits = async () => ((await ssw.api.inject({ url: '/api/v1/isup/trunk-groups' })).json() as Array<{ total: number; idle: number }>).reduce((n, t) => n + t.total - t.idle, 0);
  const hold = async (n: number): Promise<{ run: Promise<SippResult> }> => {
    const port = await freeUdpPort();
    const run = runSipp({ scenario: heldScenario, target: `127.0.0.1:${ssw.sipPort}`, localPort: port, timeoutS: 60, args: ['-s', '12125550150', '-m', String(n), '-r', '10', '-d', '60000', '-key', 'relay_contact_port', String(port)] });
    const before = ssw.calls.snapshot().filter((c) => c.state === 'answered').length;
    await until(() => ssw.calls.snapshot().filter((c) => c.state === 'answered').length === before + n, 'the held calls to be answered', 20_000);
    return { run };
  };
  const oneCall = () => runSipp({ scenario, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 20, args: ['-s', '12125550160', '-m', '1'] });

  async function survive(fault: string, inject: () => void, recover: () => Promise<void>, n: number) {
    const lastId = (await ssw.cdrs.list({ limit: 1 }))[0]?.id ?? 0;
    const { run: sipp } = await hold(n);
    const t0 = Date.now();
    inject();
    await until(() => ssw.calls.activeCount === 0, `the calls through the gateway to be released (${fault})`, 20_000);
    const downAfterMs = Date.now() - t0;
    expect(await gatewayUp()).toBe(false);
    // Routing skips the dead gateway's trunk groups.
    expect((await ssw.api.inject({ url: '/api/v1/routes/lookup?number=12125550152' })).json().candidates).toEqual([]);
    await recover();
    const t1 = Date.now();
    let up = false;
    while (!up && Date.now() - t1 < 15_000) {
      up = await gatewayUp();
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    const upAfterMs = Date.now() - t1;
    const after = await oneCall();
    const callers = await sipp;
    await until(() => ssw.calls.activeCount === 0, 'the call after recovery to end', 10_000);
    const cdrs = (await ssw.cdrs.list({ limit: 10_000 })).filter((c) => c.id > lastId);
    const busy = await busyCircuits();
    console.log(`FAULTS gateway ${fault}: ${JSON.stringify({ callsUp: n, released: cdrs.filter((c) => c.cause === 41).length, cdrsLost: n - cdrs.filter((c) => c.cause === 41).length, cdrs: cdrs.length, downAfterMs, upAfterMs, callerEnded: callers.stats.successful + callers.stats.failed, callAfterRecovery: after.exitCode === 0, hungCircuits: busy })}`);
    expect(up).toBe(true);
    expect(cdrs.filter((c) => c.cause === 41 && c.answerTime), JSON.stringify(cdrs)).toHaveLength(n);
    expect(callers.stats.successful + callers.stats.failed).toBe(n);
    expect(after.exitCode).toBe(0);
    expect(busy).toBe(0);
  }

  it('osmo-mgw killed and restarted: down, calls released, up again after an audit', async () => {
    const port = ssw.osmoMgw!.port;
    await survive('restart', () => ssw.osmoMgw!.signal('SIGKILL'), async () => {
      restarted = await startOsmoMgw({ port });
    }, 3);
  }, 120_000);

  it('osmo-mgw silent (SIGSTOP) then back (SIGCONT): down, calls released, up again after an audit', async () => {
    const mgw = restarted!;
    await survive('silence', () => mgw.signal('SIGSTOP'), async () => mgw.signal('SIGCONT'), 2);
  }, 120_000);
});
