/**
 * SCTP retransmissions are counted (softswitch_sctp_retransmissions_total): a relay between two
 * node-sctp stacks on loopback loses one DATA packet, T3-rtx expires (RFC 9260 §6.3.3) and the
 * chunk goes again, counted once.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { sctpMetrics } from '../../../src/ss7/sctp/metrics.js';
import type { SctpTransportAssociation } from '../../../src/ss7/sctp/package-association.js';
import { pair } from './pair.js';
import { CHUNK, decodePacket } from './sctp-wire.js';
import { startRelay, type Relay } from './udp-relay.js';

const open: SctpTransportAssociation[] = [];
const relays: Relay[] = [];
afterEach(() => {
  for (const a of open.splice(0)) a.abort('test end');
  for (const r of relays.splice(0)) r.close();
});

async function retransmissions(registry: Registry, kind: string): Promise<number> {
  return (await sctpMetrics(registry).retransmissions.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

describe('SCTP retransmission count', () => {
  it('a lost DATA packet is sent again after T3-rtx and counted once', async () => {
    let dropNextData = false;
    let dropped = 0;
    const registry = new Registry();
    const { client, server } = await pair({ registry }, async (port) => {
      const relay = await startRelay(port, (dir, _i, m) => {
        const p = decodePacket(m);
        if (dir === 'c2s' && dropNextData && p?.chunks.some((c) => c.type === CHUNK.DATA)) {
          dropNextData = false;
          dropped++;
          return null;
        }
        return m;
      });
      relays.push(relay);
      return relay.port;
    });
    open.push(client, server);
    const got: Buffer[] = [];
    server.on('message', (d: Buffer) => got.push(d));
    dropNextData = true;
    client.send(Buffer.from('after a loss'), 1, 3);
    const end = Date.now() + 15_000;
    while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(dropped).toBe(1);
    expect(got.map((b) => b.toString())).toEqual(['after a loss']);
    expect(await retransmissions(registry, 't3_rtx')).toBe(1);
    expect(await retransmissions(registry, 'fast')).toBe(0);
  }, 30_000);
});
