/**
 * Signalling congestion from the SG (M3UA SCON, RFC 4666 §3.4.4) toward the tandem's point code
 * reduces the calls the switch offers to that trunk group's carrier; when the SG reports the
 * destination available again, every route lookup finds it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { startLabSwitch } from '../helpers/lab-switch.js';

describe('SCON from the SG reduces the offered load toward the congested destination', () => {
  let ssw: RunningSwitch;
  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { startOsmoMgw: false }, mgcp: { localPort: 0, gateways: [] } }));
  }, 30_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  const usableShare = async (n: number) => {
    let usable = 0;
    for (let i = 0; i < n; i++) {
      const r = (await ssw.api.inject({ url: '/api/v1/routes/lookup?number=12125550150' })).json() as { candidates: unknown[] };
      if (r.candidates.length > 0) usable++;
    }
    return usable / n;
  };

  it('level 3 withholds three quarters of the calls per trunk group; DAVA restores them all', async () => {
    expect(await usableShare(50)).toBe(1);
    const tandemPc = ssw.tandem!.pointCode;
    ssw.tandem!.sg.sendSsnm({ type: 'SCON', affectedPointCodes: [{ mask: 0, pc: tandemPc }], congestionLevel: 3 });
    await new Promise((r) => setTimeout(r, 200));
    // Both lab trunk groups (two carriers) go to the congested tandem: each is offered a call with
    // probability 1/4, so a lookup finds at least one with 1 − (3/4)² ≈ 0.44.
    const share = await usableShare(400);
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.58);
    ssw.tandem!.sg.sendSsnm({ type: 'DAVA', affectedPointCodes: [{ mask: 0, pc: tandemPc }] });
    await new Promise((r) => setTimeout(r, 200));
    expect(await usableShare(50)).toBe(1);
  });
});
