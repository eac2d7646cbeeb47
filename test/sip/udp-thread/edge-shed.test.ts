import { describe, expect, it } from 'vitest';
import { createEdgeShedMemory, EdgeShed, EdgeShedControl } from '../../../src/sip/udp-thread/edge-shed.js';
import { VirtualClock } from '../../../src/util/clock.js';

const caller = { address: '192.0.2.10', port: 5062 };

function invite(branch: string, opts: { toTag?: string; callId?: string } = {}): Buffer {
  return Buffer.from(
    [
      'INVITE sip:12125550150@192.0.2.1 SIP/2.0',
      `Via: SIP/2.0/UDP 192.0.2.10:5062;branch=${branch}`,
      'From: <sip:caller@192.0.2.10>;tag=a1',
      `To: <sip:12125550150@192.0.2.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
      `Call-ID: ${opts.callId ?? branch}@192.0.2.10`,
      'CSeq: 1 INVITE',
      'Contact: <sip:caller@192.0.2.10:5062>',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

function ackFor(response: Buffer, branch: string): Buffer {
  const toLine = response.toString('latin1').split('\r\n').find((l) => /^To:/i.test(l))!;
  return Buffer.from(
    [
      'ACK sip:12125550150@192.0.2.1 SIP/2.0',
      `Via: SIP/2.0/UDP 192.0.2.10:5062;branch=${branch}`,
      'From: <sip:caller@192.0.2.10>;tag=a1',
      toLine,
      `Call-ID: ${branch}@192.0.2.10`,
      'CSeq: 1 ACK',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

function rig(draws: number[] = []) {
  const clock = new VirtualClock();
  const memory = createEdgeShedMemory();
  const control = new EdgeShedControl(memory);
  const edge = new EdgeShed(clock, memory, [['Retry-After', '10'], ['Reason', 'Q.850;cause=42']], () => draws.shift() ?? 0);
  return { clock, control, edge };
}

describe('overload refusals on the SIP UDP I/O thread', () => {
  it('passes every INVITE while the main thread admits all (fraction 1)', () => {
    const { edge, control } = rig();
    edge.sourceAdmitted(caller.address, 30_000);
    expect(edge.handle(invite('z9hG4bK-1'), caller).kind).toBe('pass');
    expect(control.take()).toEqual({ refused: 0, again: 0, acks: 0 });
  });

  it('refuses by the published fraction with a 503 + Retry-After; its retransmission gets the same 503; its ACK is absorbed', () => {
    const { edge, control } = rig([0.9, 0.1]);
    edge.sourceAdmitted(caller.address, 30_000);
    control.publish(0.5);
    const refused = edge.handle(invite('z9hG4bK-r'), caller);
    expect(refused.kind).toBe('send');
    if (refused.kind !== 'send') return;
    const text = refused.bytes.toString('latin1');
    expect(text).toMatch(/^SIP\/2\.0 503 Service Unavailable\r\n/);
    expect(text).toMatch(/\r\nRetry-After: 10\r\n/);
    expect(text).toMatch(/\r\nTo: <sip:12125550150@192\.0\.2\.1>;tag=\S+\r\n/);
    expect(refused.to).toEqual({ address: '192.0.2.10', port: 5062 });
    const again = edge.handle(invite('z9hG4bK-r'), caller);
    expect(again.kind === 'send' && again.bytes.equals(refused.bytes)).toBe(true);
    expect(edge.handle(ackFor(refused.bytes, 'z9hG4bK-r'), caller).kind).toBe('absorb');
    // Drawn 0.1 < 0.5: admitted, passed to the main thread.
    expect(edge.handle(invite('z9hG4bK-a'), caller).kind).toBe('pass');
    expect(control.take()).toEqual({ refused: 1, again: 1, acks: 1 });
    expect(control.take()).toEqual({ refused: 0, again: 0, acks: 0 });
  });

  it('never refuses a retransmission of an INVITE it passed on, nor requests in a dialog, nor a source the main thread has not admitted', () => {
    const { edge, control, clock } = rig();
    edge.sourceAdmitted(caller.address, 30_000);
    expect(edge.handle(invite('z9hG4bK-p'), caller).kind).toBe('pass');
    control.publish(0);
    expect(edge.handle(invite('z9hG4bK-p'), caller).kind).toBe('pass');
    expect(edge.handle(invite('z9hG4bK-d', { toTag: 'b2' }), caller).kind).toBe('pass');
    expect(edge.handle(invite('z9hG4bK-s'), { address: '203.0.113.9', port: 5060 }).kind).toBe('pass');
    expect(edge.handle(Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'), caller).kind).toBe('pass');
    // The admission of a source lapses: its INVITEs go to the main thread again, which decides.
    clock.advance(30_001);
    expect(edge.handle(invite('z9hG4bK-late'), caller).kind).toBe('pass');
    expect(control.take().refused).toBe(0);
  });

  it('any bytes yield a verdict, never a throw', () => {
    const { edge, control } = rig();
    edge.sourceAdmitted(caller.address, 30_000);
    control.publish(0);
    const base = invite('z9hG4bK-f');
    for (let cut = 0; cut <= base.length; cut++) expect(() => edge.handle(base.subarray(0, cut), caller)).not.toThrow();
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(base);
      b[(i * 7919) % b.length] = (i * 31) & 0xff;
      expect(() => edge.handle(b, caller)).not.toThrow();
    }
  });
});
