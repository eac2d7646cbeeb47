import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SoftswitchHandle } from '../../../src/app/softswitch.js';
import { startLabSwitch, until } from '../../helpers/lab-switch.js';
import { hasSipp, runSipp } from '../../helpers/sipp.js';

const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping lab API test: ${missing}`);

describe.skipIf(missing !== '')('lab control of the tandem simulator over the admin API', () => {
  let ssw: SoftswitchHandle;
  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] } }));
  }, 60_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  it('releases a call from the network side on request, with the given cause', async () => {
    const sipp = runSipp({
      scenario: new URL('../../scenarios/ssw-call-network-release.xml', import.meta.url).pathname,
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 15,
      args: ['-s', '12125550150', '-m', '1'],
    });
    await until(() => ssw.calls.snapshot().some((c) => c.state === 'answered'), 'the call to be answered');
    const calls = (await ssw.api.inject({ url: '/api/v1/lab/tandem/calls' })).json();
    expect(calls.active).toHaveLength(1);
    const { trunkGroup, cic } = calls.active[0];
    const res = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/release', payload: { trunkGroup, cic, cause: 16 } });
    expect(res.statusCode).toBe(200);
    expect((await sipp).exitCode).toBe(0);
    await until(() => ssw.calls.activeCount === 0, 'the call to end');
    expect((await ssw.cdrs.list({ limit: 1 }))[0]).toMatchObject({ releasedBy: 'callee', cause: 16, cic });
  });

  it('adds answer rules at run time and refuses bad requests', async () => {
    const bad = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/rules', payload: { match: '(' , action: 'reject' } });
    expect(bad.statusCode).toBe(400);
    expect((await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/rules', payload: { match: '2125550199', action: 'explode' } })).statusCode).toBe(400);
    const ok = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/rules', payload: { match: '2125550166', action: 'reject', cause: 17 } });
    expect(ok.statusCode).toBe(201);
    const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '12125550166', '-m', '1'] });
    expect(r.exitCode).not.toBe(0);
    expect((await ssw.cdrs.list({ limit: 1 }))[0]).toMatchObject({ called: '12125550166', cause: 17, sipStatus: 486 });
    expect((await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/release', payload: { trunkGroup: 'tg-ilec', cic: 9 } })).statusCode).toBe(404);
  });
});
