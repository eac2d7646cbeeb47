import { describe, expect, it } from 'vitest';
import { decodeM3ua, encodeM3ua } from '../../../src/ss7/m3ua/codec.js';
import { isDecodeError } from '../../../src/ss7/m3ua/messages.js';
import { fuzzCase, prng } from './fuzz-cases.js';

describe('M3UA decoder under hostile input (seeded)', () => {
  it('20,000 random and mutated messages: never throws; what decodes re-encodes to an equal message', () => {
    const rand = prng(0x4666);
    let decoded = 0;
    const codes = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const input = fuzzCase(rand);
      const r = decodeM3ua(input);
      if (isDecodeError(r)) {
        expect(r.errorCode).toBeGreaterThan(0);
        codes.set(r.errorCode, (codes.get(r.errorCode) ?? 0) + 1);
        continue;
      }
      decoded++;
      const again = decodeM3ua(encodeM3ua(r));
      if (JSON.stringify(again) !== JSON.stringify(r)) expect(again).toEqual(r);
    }
    // Both outcomes must be exercised, or the generator is not doing its job.
    expect(decoded).toBeGreaterThan(1000);
    expect(codes.size).toBeGreaterThanOrEqual(5);
  });
});

describe('M3uaAsp receive path under hostile input', () => {
  it('2,000 hostile messages to an active ASP: no handler failure, every reply decodes', async () => {
    const { pino } = await import('pino');
    const { M3uaAsp } = await import('../../../src/ss7/m3ua/asp.js');
    const { VirtualClock } = await import('../../../src/util/clock.js');
    const { associationPair, settle } = await import('./memory-association.js');
    const { RawPeer } = await import('./raw-peer.js');
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (s: string) => void lines.push(s) });
    const [a, s] = associationPair();
    const sg = new RawPeer(s);
    const asp = new M3uaAsp({ association: a, clock: new VirtualClock(), logger, routingContexts: [1] });
    asp.start();
    a.connect();
    await settle();
    sg.send({ type: 'ASPUP_ACK' });
    await settle();
    sg.send({ type: 'ASPAC_ACK', routingContext: [1] });
    await settle();
    const rand = prng(99);
    for (let i = 0; i < 2000; i++) {
      const input = fuzzCase(rand);
      s.send(input, 0, 3);
      if (i % 100 === 0) await settle();
    }
    await settle();
    expect(lines).toEqual([]);
    expect(sg.count('ERR')).toBeGreaterThan(500);
    a.abort();
    await settle();
  });
});
