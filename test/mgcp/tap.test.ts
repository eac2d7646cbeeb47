/** The MGCP tap: commands keyed by their C: call id, responses by the command they answer. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mgcpTap } from '../../src/mgcp/mgcp/tap.js';
import type { TappedMessage } from '../../src/util/message-tap.js';

const gw = { address: '127.0.0.1', port: 2427 };
const local = () => ({ address: '127.0.0.1', port: 2727 });

describe('mgcpTap', () => {
  it('keys a command by its call id and the responses to it (provisional, then final) by the same', () => {
    const seen: TappedMessage[] = [];
    const tap = mgcpTap((m) => seen.push(m), local);
    tap.sent(Buffer.from('CRCX 1001 ds/ds1-1/1@gw MGCP 1.0\r\nc: 5F3A0B\r\nM: recvonly\r\n\r\nv=0\r\nc=IN IP4 1.2.3.4\r\n'), gw);
    tap.received(Buffer.from('100 1001 Pending\r\n'), gw);
    tap.received(Buffer.from('200 1001 OK\r\nI: 7\r\n\r\nv=0\r\n'), gw);
    // A retransmitted final after the transaction ended, a response to nothing we sent, a command without C:.
    tap.received(Buffer.from('200 1001 OK\r\n'), gw);
    tap.received(Buffer.from('200 4242 OK\r\n'), gw);
    tap.received(Buffer.from('NTFY 77 ds/ds1-1/1@gw MGCP 1.0\r\nO: L/hd\r\n'), gw);
    expect(seen.map((m) => [m.key, m.dir, m.bytes.toString().split('\r\n')[0]])).toEqual([
      ['mgcp:5f3a0b', 'out', 'CRCX 1001 ds/ds1-1/1@gw MGCP 1.0'],
      ['mgcp:5f3a0b', 'in', '100 1001 Pending'],
      ['mgcp:5f3a0b', 'in', '200 1001 OK'],
    ]);
    expect(seen[0].local).toEqual(local());
    expect(seen[0].remote).toEqual(gw);
  });

  it('does not take a C: line from the SDP', () => {
    const seen: TappedMessage[] = [];
    mgcpTap((m) => seen.push(m), local).sent(Buffer.from('MDCX 5 ep@gw MGCP 1.0\r\nI: 1\r\n\r\nc: not-a-call-id\r\n'), gw);
    expect(seen).toEqual([]);
  });

  it('never throws on arbitrary datagrams', () => {
    const tap = mgcpTap(() => undefined, local);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, out) => {
        const b = Buffer.from(bytes);
        if (out) tap.sent(b, gw);
        else tap.received(b, gw);
      }),
      { numRuns: 2000 },
    );
  });
});
