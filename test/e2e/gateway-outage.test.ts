/**
 * A media gateway outage: the call that finds the gateway silent fails over and is refused
 * (503), routing then skips the gateway's trunk groups at once, and calls flow again as soon as
 * the gateway answers the switch's audits.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningSwitch as SoftswitchHandle } from '../../src/app/start.js';
import { hasOsmoMgw, OSMO_MGW_MISSING, startOsmoMgw, type OsmoMgw } from '../helpers/osmo-mgw.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping gateway-outage test: ${missing}`);

describe.skipIf(missing !== '')('media gateway outage', () => {
  let ssw: SoftswitchHandle | undefined;
  let restarted: OsmoMgw | undefined;
  afterAll(async () => {
    await ssw?.stop();
    await restarted?.stop();
  });

  it('skips the dead gateway, refuses calls with 503, and recovers when it answers again', async () => {
    ({ ssw } = await startLabSwitch({ mgcp: { localPort: 0, retransmit: { initialRtoMs: 50, maxRtoMs: 100, maxRetransmits: 2 }, healthProbeMs: 200 } }));
    const s = ssw!;
    const call = (n: string) => runSipp({ scenario: 'uac', target: `127.0.0.1:${s.sipPort}`, timeoutS: 10, args: ['-s', n, '-m', '1'] });
    expect((await call('12125550150')).exitCode).toBe(0);

    const port = s.osmoMgw!.port;
    await s.osmoMgw!.stop();
    expect((await call('12125550151')).exitCode).not.toBe(0);
    await until(() => s.calls.activeCount === 0, 'the call to end');
    expect((await s.cdrs.list({ limit: 1 }))[0]).toMatchObject({ called: '12125550151', sipStatus: 503 });
    const health = (await s.api.inject({ url: '/healthz' })).json();
    expect(health.checks['gateway:mgw-lab']).toBe(false);

    // Routing now skips the trunk groups of the dead gateway: refused at once, no CRCX tried.
    const lookup = (await s.api.inject({ url: '/api/v1/routes/lookup?number=12125550152' })).json();
    expect(lookup.candidates).toEqual([]);
    expect(lookup.skipped.every((k: { code: string }) => k.code === 'unavailable')).toBe(true);
    expect((await call('12125550152')).exitCode).not.toBe(0);
    expect((await s.cdrs.list({ limit: 1 }))[0]).toMatchObject({ called: '12125550152', cause: 34, sipStatus: 503 });

    restarted = await startOsmoMgw({ port });
    await until(() => s.routing.lookup({ called: '12125550153' }).candidates.length > 0, 'routing to use the gateway again', 5000);
    expect((await call('12125550153')).exitCode).toBe(0);
  });
});
