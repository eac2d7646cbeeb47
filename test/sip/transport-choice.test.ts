/**
 * Which transport the UA core puts a request on (RFC 3261 §18.1.1), in virtual time: the URI's
 * transport, else UDP, else TCP when the request is larger than 1300 bytes; the top Via and our
 * Contact say so; a CANCEL goes the way its INVITE went; a reliable transport does not retransmit.
 */
import { describe, expect, it } from 'vitest';
import { parseVia } from '../../src/sip/header-values.js';
import { GATEWAY_SDP } from './test-app.js';
import { rig } from './rig.js';

const ports = { udp: 5099, tcp: 5099, tls: 5100 };
const pad = (n: number) => 'v=0\r\n' + 'a=x:' + 'y'.repeat(n) + '\r\n';

describe('transport choice for requests we send', () => {
  it('picks TCP exactly when the serialised request is over 1300 bytes (at every size around the line)', async () => {
    const seen = new Set<string>();
    for (let n = 780; n <= 880; n += 1) {
      const { core, requests } = rig({ transports: ports, userAgent: 'softswitch-test' });
      void core.invite('sip:2125550100@192.0.2.20:5090', { localSdp: pad(n) }).catch(() => undefined);
      const sent = requests()[0];
      const via = parseVia(sent.msg.headers.get('via')!)!;
      const expected = sent.raw.length > 1300 ? 'tcp' : 'udp';
      expect(`${n}:${sent.to.transport ?? 'udp'}`).toBe(`${n}:${expected}`);
      expect(via.transport).toBe(expected.toUpperCase());
      seen.add(expected);
      if (expected === 'tcp') expect(sent.msg.headers.get('contact')).toBe('<sip:softswitch@198.51.100.1:5099;transport=tcp>');
      core.close();
    }
    expect([...seen].sort()).toEqual(['tcp', 'udp']);
  });

  it('stays on UDP whatever the size when TCP is not open (the default UA core has UDP only)', async () => {
    const { core, requests } = rig();
    void core.invite('sip:2125550100@192.0.2.20:5090', { localSdp: pad(3000) }).catch(() => undefined);
    expect(requests()[0].to.transport).toBeUndefined();
    core.close();
  });

  it('follows the URI: ;transport=tcp and sips: (TLS, port 5061 by default) with Via and Contact to match', async () => {
    const { core, requests } = rig({ transports: ports });
    void core.invite('sip:a@192.0.2.20:5090;transport=tcp', { localSdp: GATEWAY_SDP }).catch(() => undefined);
    void core.invite('sips:b@192.0.2.21', { localSdp: GATEWAY_SDP }).catch(() => undefined);
    const [tcp, tls] = requests();
    expect(tcp.to).toEqual({ address: '192.0.2.20', port: 5090, transport: 'tcp' });
    expect(tcp.msg.headers.get('via')).toMatch(/^SIP\/2\.0\/TCP 198\.51\.100\.1:5099;/);
    expect(tls.to).toEqual({ address: '192.0.2.21', port: 5061, transport: 'tls' });
    expect(tls.msg.headers.get('via')).toMatch(/^SIP\/2\.0\/TLS 198\.51\.100\.1:5100;/);
    expect(tls.msg.headers.get('contact')).toBe('<sip:softswitch@198.51.100.1:5100;transport=tls>');
    core.close();
  });

  it('refuses a transport that is not open with 503 (sips: without TLS, transport=sctp)', async () => {
    const { core } = rig({ transports: { udp: 5099, tcp: 5099 } });
    await expect(core.invite('sips:b@192.0.2.21', { localSdp: GATEWAY_SDP })).rejects.toMatchObject({ status: 503 });
    await expect(core.invite('sip:b@192.0.2.21;transport=sctp', { localSdp: GATEWAY_SDP })).rejects.toMatchObject({ status: 503 });
    expect((await core.request('sip:192.0.2.21;transport=tls', { method: 'OPTIONS' })).status).toBe(503);
    core.close();
  });

  it('a CANCEL copies the INVITE\'s Via and goes over the same transport (§9.1); nothing is retransmitted over TCP', async () => {
    const { core, clock, requests } = rig({ transports: ports });
    const ac = new AbortController();
    void core.invite('sip:2125550100@192.0.2.20:5090', { localSdp: pad(2000), signal: ac.signal }).catch(() => undefined);
    const inv = requests()[0];
    expect(inv.to.transport).toBe('tcp');
    clock.advance(4000);
    expect(requests()).toHaveLength(1);
    const ringing = [
      'SIP/2.0 180 Ringing',
      `Via: ${inv.msg.headers.get('via')}`,
      `From: ${inv.msg.headers.get('from')}`,
      `To: ${inv.msg.headers.get('to')};tag=r1`,
      `Call-ID: ${inv.msg.headers.get('call-id')}`,
      `CSeq: ${inv.msg.headers.get('cseq')}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    core.receive(Buffer.from(ringing), { address: '192.0.2.20', port: 5090, transport: 'tcp' });
    ac.abort();
    const cancel = requests().find((r) => r.msg.method === 'CANCEL')!;
    expect(cancel.to).toEqual(inv.to);
    expect(cancel.msg.headers.get('via')).toBe(inv.msg.headers.get('via'));
    core.close();
  });
});
