/** The `mgcp:` configuration section: gateway source addresses and retransmission tunables. */
import { describe, expect, it } from 'vitest';
import { mgcpConfigSchema } from '../../src/mgcp/config.js';
import { trustedGateways } from '../../src/mgcp/bearer.js';

describe('mgcp config', () => {
  it('a gateway is trusted at its address unless addresses lists more; port defaults to 2427', () => {
    const c = mgcpConfigSchema.parse({
      gateways: [
        { name: 'a', address: '192.0.2.1', domain: 'a' },
        { name: 'b', address: '192.0.2.2', addresses: ['192.0.2.2', '198.51.100.2'], port: 2428, domain: 'b' },
      ],
    });
    expect(trustedGateways(c.gateways)).toEqual([
      { name: 'a', domain: 'a', addresses: ['192.0.2.1'], port: 2427 },
      { name: 'b', domain: 'b', addresses: ['192.0.2.2', '198.51.100.2'], port: 2428 },
    ]);
    expect(c.retransmit).toEqual({ initialRtoMs: 200, minRtoMs: 100, maxRtoMs: 4000, maxRetransmits: 7 });
  });

  it('an empty addresses list is refused', () => {
    expect(() => mgcpConfigSchema.parse({ gateways: [{ name: 'a', address: '192.0.2.1', addresses: [], domain: 'a' }] })).toThrow();
  });
});
