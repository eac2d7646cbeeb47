import { describe, expect, it } from 'vitest';
import { h248ConfigSchema } from '../../../src/mgcp/h248/config.js';
import { openH248Bearer } from '../../../src/mgcp/h248/open.js';

describe('h248 config section', () => {
  it('defaults to the text port 2944, mId <softswitch>, no gateways', () => {
    const c = h248ConfigSchema.parse({});
    expect(c).toMatchObject({ localPort: 2944, mid: '<softswitch>', encoding: 'pretty', gateways: [], retransmit: { initialRtoMs: 500, longTimerMs: 30_000 } });
  });

  it('refuses an mId the protocol cannot carry, naming the field', () => {
    const r = h248ConfigSchema.safeParse({ gateways: [{ name: 'mg1', mid: 'mg 1', domain: 'mg1' }] });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/gateways.*mid|not an H.248 mId/);
    expect(h248ConfigSchema.safeParse({ mid: '[10.0.0.1]:2944', gateways: [{ name: 'mg1', mid: '<mg1.example.net>:2944', domain: 'mg1' }] }).success).toBe(true);
    // Version 1 or 3 (segmentation) only: the codec reads no other version's grammar.
    expect(h248ConfigSchema.safeParse({ gateways: [{ name: 'mg1', mid: '<mg1>', domain: 'mg1', maxVersion: 2 }] }).success).toBe(false);
    const v3 = h248ConfigSchema.parse({ gateways: [{ name: 'mg1', mid: '<mg1>', domain: 'mg1', maxVersion: 3 }] });
    expect(v3.gateways[0].maxVersion).toBe(3);
    expect(v3.segmentation).toEqual({ timerMs: 5000, maxSegments: 256, maxBytes: 4 * 1024 * 1024 });
  });

  it('opens the controller and its bearer port on the configured socket', async () => {
    const bearer = await openH248Bearer(h248ConfigSchema.parse({ localAddress: '127.0.0.1', localPort: 0, gateways: [{ name: 'mg1', mid: '<mg1>', domain: 'tgw1' }] }));
    expect(bearer.controller.local.port).toBeGreaterThan(0);
    expect(bearer.controller.status('mg1')).toMatchObject({ state: 'unregistered', mid: '<mg1>' });
    await bearer.close();
  });
});
