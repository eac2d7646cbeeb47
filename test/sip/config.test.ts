/** The `sip:` section's transport keys (RFC 3261 §18): defaults, and TLS needing its files. */
import { describe, expect, it } from 'vitest';
import { sipConfigSchema } from '../../src/sip/config.js';

describe('sip config: transports', () => {
  it('defaults to UDP and TCP on the same port, no TLS, 1300-byte UDP requests, stream bounds', () => {
    const cfg = sipConfigSchema.parse({});
    expect(cfg.transports).toEqual(['udp', 'tcp']);
    expect(cfg.tls).toBeUndefined();
    expect(cfg.udpMaxRequestBytes).toBe(1300);
    expect(cfg.stream).toEqual({ idleTimeoutMs: 600_000, maxConnectionsPerSource: 64, maxMessageBytes: 65_535, connectTimeoutMs: 5_000 });
  });

  it("refuses 'tls' without sip.tls, and a transport listed twice", () => {
    const noFiles = sipConfigSchema.safeParse({ transports: ['udp', 'tls'] });
    expect(noFiles.success).toBe(false);
    expect(JSON.stringify(noFiles.error?.issues)).toMatch(/certFile/);
    expect(sipConfigSchema.safeParse({ transports: ['udp', 'udp'] }).success).toBe(false);
    expect(sipConfigSchema.safeParse({ transports: [] }).success).toBe(false);
  });

  it('takes TLS files, an optional port and client-certificate policy', () => {
    const cfg = sipConfigSchema.parse({ transports: ['udp', 'tcp', 'tls'], tls: { certFile: '/c.pem', keyFile: '/k.pem', port: 5061 } });
    expect(cfg.tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem', port: 5061, requireClientCert: false });
  });
});
