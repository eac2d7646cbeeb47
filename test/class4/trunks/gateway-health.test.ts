/**
 * Gateway health against a real osmo-mgw: a gateway that stops answering is marked down (its
 * trunk groups skipped), audited on an interval, and marked up when it answers again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MgcpBearerPort } from '../../../src/mgcp/bearer.js';
import { GatewayHealth } from '../../../src/class4/trunks/gateway-health.js';
import { silentLogger } from '../../../src/util/log.js';
import { systemClock } from '../../../src/util/clock.js';
import { hasOsmoMgw, OSMO_MGW_MISSING, startOsmoMgw, type OsmoMgw } from '../../helpers/osmo-mgw.js';
import { until } from '../../helpers/lab-switch.js';

if (!hasOsmoMgw()) console.warn(OSMO_MGW_MISSING);

describe.skipIf(!hasOsmoMgw())('GatewayHealth', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('marks a silent gateway down, and up again once it answers an audit', async () => {
    let mgw: OsmoMgw = await startOsmoMgw();
    const port = mgw.port;
    cleanups.push(() => mgw.stop());
    // Short retransmission budget so "unreachable" comes in well under a second.
    const bearer = await MgcpBearerPort.open([{ name: 'gw1', address: '127.0.0.1', port, domain: 'mgw' }], { port: 0, address: '127.0.0.1' }, {
      policy: { initialRtoMs: 50, maxRtoMs: 100, maxRetransmits: 2 },
    });
    cleanups.push(() => bearer.close());
    const health = new GatewayHealth(bearer, [{ name: 'gw1', probeEndpoint: 'rtpbridge/1@mgw' }], systemClock, silentLogger, 200);
    cleanups.push(() => health.stop());
    expect(health.isUp('gw1')).toBe(true);

    await mgw.stop();
    await expect(bearer.createConnection({ endpoint: 'rtpbridge/1@mgw', callId: 'c1', mode: 'sendrecv' })).rejects.toMatchObject({ kind: 'unreachable' });
    expect(health.isUp('gw1')).toBe(false);
    expect(health.status()).toEqual([{ gateway: 'gw1', up: false }]);
    await new Promise((r) => setTimeout(r, 600));
    expect(health.isUp('gw1')).toBe(false);

    mgw = await startOsmoMgw({ port });
    await until(() => health.isUp('gw1'), 'the gateway to be seen up again', 5000);
    const conn = await bearer.createConnection({ endpoint: 'rtpbridge/2@mgw', callId: 'c2', mode: 'recvonly' });
    await bearer.deleteConnection(conn);
  });
});
