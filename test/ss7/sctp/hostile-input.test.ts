import { afterEach, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { acceptSctpOverUdp } from '../../../src/ss7/sctp/udp-transport.js';
import { PPID_M3UA } from '../../../src/ss7/sctp/association.js';
import type { SctpTransportAssociation } from '../../../src/ss7/sctp/package-association.js';
import { numbered, OrderCheck, pair } from './pair.js';

const { crc32c } = createRequire(import.meta.url)('polycrc') as { crc32c: (b: Buffer) => number };

const open: SctpTransportAssociation[] = [];
afterEach(() => {
  for (const a of open.splice(0)) a.abort('test end');
});

/** Deterministic bytes (LCG) so the run is the same every time. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 24);
}

describe('hostile datagrams', () => {
  it('random SCTP packets with valid CRC32c neither crash the process nor disturb live associations', async () => {
    const { client, server } = await pair();
    const lone = await acceptSctpOverUdp({ localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: 0 });
    open.push(client, server, lone);
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const rnd = lcg(42);
    const targets = [server.localPort, client.localPort, lone.localPort];
    for (let i = 0; i < 6000; i++) {
      const port = targets[i % 3];
      const len = 12 + (rnd() % 80);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = rnd();
      b.writeUInt16BE(port, 2);
      if (i % 2 && len >= 16) {
        b[12] = rnd() % 16;
        b.writeUInt16BE(Math.min(len - 12, 4 + (rnd() % (len - 12))), 14);
      }
      b.writeUInt32LE(0, 8);
      b.writeUInt32LE(crc32c(b), 8);
      s.send(b, port, '127.0.0.1');
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 300));
    s.close();
    const malformed = client.stats().malformed + server.stats().malformed + lone.stats().malformed;
    expect(malformed).toBeGreaterThan(0);
    expect(client.isUp && server.isUp).toBe(true);
    const check = new OrderCheck();
    server.on('message', (d: Buffer, st: number) => check.accept(d, st));
    for (let i = 0; i < 100; i++) client.send(numbered(0, i), 0, PPID_M3UA);
    for (let t = 0; t < 100 && check.received < 100; t++) await new Promise((r) => setTimeout(r, 20));
    expect(check).toMatchObject({ received: 100, errors: 0, corrupt: 0 });
  });

  it('packets whose parameter or error cause has Length 0 (they froze the package, found by npm run fuzz) are dropped; the association carries on', async () => {
    const { client, server } = await pair();
    open.push(client, server);
    const dir = new URL('../../fuzz/regressions/sctp/', import.meta.url).pathname;
    const vectors = readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => readFileSync(dir + f));
    expect(vectors.length).toBeGreaterThan(0);
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const before = server.stats().malformed;
    for (const v of vectors) {
      const b = Buffer.from(v);
      b.writeUInt16BE(server.localPort, 2);
      b.writeUInt32LE(0, 8);
      b.writeUInt32LE(crc32c(b), 8);
      s.send(b, server.localPort, '127.0.0.1');
    }
    for (let t = 0; t < 200 && server.stats().malformed < before + vectors.length; t++) await new Promise((r) => setTimeout(r, 10));
    s.close();
    expect(server.stats().malformed).toBe(before + vectors.length);
    const check = new OrderCheck();
    server.on('message', (d: Buffer, st: number) => check.accept(d, st));
    for (let i = 0; i < 50; i++) client.send(numbered(0, i), 0, PPID_M3UA);
    for (let t = 0; t < 100 && check.received < 50; t++) await new Promise((r) => setTimeout(r, 20));
    expect(check).toMatchObject({ received: 50, errors: 0, corrupt: 0 });
  });
});
