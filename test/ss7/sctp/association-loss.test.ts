/**
 * Defect "one SCTP packet kills the SS7 link silently" (issue "Reliability and security", 1):
 * a DATA chunk with no user data, sent with the live verification tag, must be answered with an
 * ABORT carrying "No User Data" (RFC 9260 §6.2, §3.3.10.9) and both ends must report the loss at
 * once; ABORTs for out-of-the-blue packets go back to their sender (§8.4), not to the peer.
 * Real SCTP over UDP between two node-sctp stacks on loopback, packets seen by a relay between them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { connectSctpOverUdp } from '../../../src/ss7/sctp/udp-transport.js';
import { PPID_M3UA } from '../../../src/ss7/sctp/association.js';
import type { SctpTransportAssociation } from '../../../src/ss7/sctp/package-association.js';
import { numbered, pair, waitFor, type Tuning } from './pair.js';
import { startRelay, type Direction, type Relay } from './udp-relay.js';
import { CAUSE, CHUNK, dataChunk, decodePacket, errorCauses, hasTshark, sctpPacket, tsharkFields, type WirePacket } from './sctp-wire.js';

const open: SctpTransportAssociation[] = [];
const relays: Relay[] = [];
const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const a of open.splice(0)) a.abort('test end');
  for (const r of relays.splice(0)) r.close();
  for (const s of sockets.splice(0)) s.close();
});

interface Seen {
  dir: Direction;
  at: number;
  p: WirePacket;
  raw: Buffer;
}

/** A pair through a relay that records every packet; each side's tag read off the wire (RFC 9260 §8.5: packets carry the receiver's tag). */
async function watchedPair(tuning: Tuning = {}) {
  const seen: Seen[] = [];
  let relay: Relay | undefined;
  const { client, server } = await pair(tuning, async (port) => {
    relay = await startRelay(port, (dir, _i, m) => {
      const p = decodePacket(m);
      if (p) seen.push({ dir, at: performance.now(), p, raw: Buffer.from(m) });
      return m;
    });
    relays.push(relay);
    return relay.port;
  });
  open.push(client, server);
  const tagSeen = (dir: Direction) => [...seen].reverse().find((s) => s.dir === dir && s.p.vtag !== 0)!.p.vtag;
  return { client, server, relay: relay!, seen, clientTag: tagSeen('s2c'), serverTag: tagSeen('c2s') };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const aborts = (seen: Seen[], dir: Direction) => seen.filter((s) => s.dir === dir && s.p.chunks.some((c) => c.type === CHUNK.ABORT));

/** Checks the ABORT answering an empty DATA chunk, byte by byte. */
function expectNoUserDataAbort(s: Seen, vtag: number, tsn: number): void {
  expect(s.p.crcOk).toBe(true);
  expect(s.p.vtag).toBe(vtag);
  expect(s.p.chunks).toHaveLength(1);
  const [abort] = s.p.chunks;
  expect(abort.type).toBe(CHUNK.ABORT);
  expect(abort.flags & 0x01).toBe(0); // T bit clear: our own peer's tag (RFC 9260 §3.3.7)
  const causes = errorCauses(abort.value);
  expect(causes).toHaveLength(1);
  expect(causes[0]).toMatchObject({ code: CAUSE.NO_USER_DATA, length: 8 });
  expect(causes[0].info.readUInt32BE(0)).toBe(tsn);
  if (hasTshark) {
    const t = tsharkFields(s.raw, ['sctp.checksum.status', 'sctp.verification_tag', 'sctp.chunk_type', 'sctp.abort_t_bit', 'sctp.cause_code', 'sctp.cause_tsn']);
    expect(t).toEqual({
      'sctp.checksum.status': '1',
      'sctp.verification_tag': `0x${vtag.toString(16).padStart(8, '0')}`,
      'sctp.chunk_type': '6',
      'sctp.abort_t_bit': '0',
      'sctp.cause_code': '0x0009',
      'sctp.cause_tsn': String(tsn),
    });
  }
}

describe('a DATA chunk with no user data (RFC 9260 §6.2)', () => {
  it('toward the active side: ABORT with "No User Data" and its TSN goes to the peer, both ends report the loss at once', async () => {
    const { client, server, relay, seen, clientTag, serverTag } = await watchedPair();
    const clientDown = waitFor<[string]>(client, 'down', 2000);
    const serverDown = waitFor<[string]>(server, 'down', 2000);
    let clientDownAt = 0;
    client.once('down', () => (clientDownAt = performance.now()));
    const tsn = 0x12345678;
    // Exactly the attacker's packet: live tag, the peer's ports, one DATA chunk of Length 16, good CRC32c.
    const attack = sctpPacket({ srcPort: server.localPort, dstPort: client.localPort, vtag: clientTag }, [dataChunk({ tsn })]);
    expect(attack.length).toBe(28);
    expect(attack.readUInt16BE(14)).toBe(16);
    const mark = seen.length;
    const t0 = performance.now();
    relay.inject('s2c', attack);

    expect((await clientDown)[0]).toBe('ABORT sent: DATA chunk without user data (RFC 9260 §6.2)');
    const elapsed = clientDownAt - t0;
    console.log(`empty DATA → client 'down' in ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(100);
    expect(client.isUp).toBe(false);

    expect((await serverDown)[0]).toBe(`peer aborted: No User Data (TSN ${tsn})`);
    const sent = aborts(seen.slice(mark), 'c2s');
    expect(sent).toHaveLength(1);
    expectNoUserDataAbort(sent[0], serverTag, tsn);
    // The passive side listens again (RFC 6951 §5.4 mode with remotePort 0).
    expect(server.stats().state).toBe('listening');
  });

  it('toward the listening side: it goes down at once, listens again and accepts a new association from the same port', async () => {
    const { client, server, relay, seen, serverTag, clientTag } = await watchedPair();
    const serverDown = waitFor<[string]>(server, 'down', 2000);
    const clientDown = waitFor<[string]>(client, 'down', 2000);
    const tsn = 7;
    const mark = seen.length;
    const t0 = performance.now();
    relay.inject('c2s', sctpPacket({ srcPort: client.localPort, dstPort: server.localPort, vtag: serverTag }, [dataChunk({ tsn, stream: 1, ssn: 5 })]));
    expect((await serverDown)[0]).toMatch(/without user data/);
    expect(performance.now() - t0).toBeLessThan(100);
    expect((await clientDown)[0]).toBe(`peer aborted: No User Data (TSN ${tsn})`);
    const sent = aborts(seen.slice(mark), 's2c');
    expect(sent).toHaveLength(1);
    expectNoUserDataAbort(sent[0], clientTag, tsn);
    expect(server.stats().state).toBe('listening');

    // A new association from the very same UDP/SCTP port (a switch configured with a fixed local
    // port) must come up: the dead association must not swallow the new INIT.
    const port = client.localPort;
    let again: SctpTransportAssociation | undefined;
    for (let i = 0; i < 40 && !again; i++) {
      again = await connectSctpOverUdp({ localAddress: '127.0.0.1', localPort: port, remoteAddress: '127.0.0.1', remotePort: server.localPort, setupTimeoutMs: 300, maxAttempts: 3 }).catch(
        () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 25)),
      );
    }
    expect(again).toBeDefined();
    open.push(again!);
    const serverUp = waitFor(server, 'up', 3000);
    await waitFor(again!, 'up', 3000);
    await serverUp;
    const got = waitFor<[Buffer]>(server, 'message', 2000);
    again!.send(numbered(0, 1), 0, PPID_M3UA);
    expect((await got)[0].readUInt32BE(4)).toBe(1);
  });
});

describe('out-of-the-blue packets (RFC 9260 §8.4)', () => {
  async function udpSocket(): Promise<{ sock: dgram.Socket; port: number; received: Buffer[] }> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    sockets.push(sock);
    const received: Buffer[] = [];
    sock.on('message', (m) => received.push(Buffer.from(m)));
    return { sock, port: sock.address().port, received };
  }

  it('a stray packet from a third UDP socket gets its ABORT (T bit, its own tag reflected) at that socket, never at the peer', async () => {
    const { client, server, seen, serverTag } = await watchedPair();
    const stray = await udpSocket();
    const mark = seen.length;
    // SCTP source port 7 belongs to no association: out of the blue. First with an arbitrary tag,
    // then with the server's live tag, which the client would accept in a reflected ABORT.
    for (const vtag of [0xcafebabe, serverTag]) {
      stray.sock.send(sctpPacket({ srcPort: 7, dstPort: server.localPort, vtag }, [dataChunk({ tsn: 1, userData: Buffer.from('x') })]), server.localPort, '127.0.0.1');
      await until(() => stray.received.length > 0);
      const p = decodePacket(stray.received.shift()!)!;
      expect(p).toMatchObject({ srcPort: server.localPort, dstPort: 7, vtag, crcOk: true });
      expect(p.chunks.map((c) => [c.type, c.flags & 0x01, c.length])).toEqual([[CHUNK.ABORT, 1, 4]]);
    }
    // The same toward the active side, whose peer is a fixed address.
    stray.sock.send(sctpPacket({ srcPort: 9, dstPort: client.localPort, vtag: 0x01020304 }, [dataChunk({ tsn: 1, userData: Buffer.from('y') })]), client.localPort, '127.0.0.1');
    await until(() => stray.received.length > 0);
    expect(decodePacket(stray.received.shift()!)).toMatchObject({ srcPort: client.localPort, dstPort: 9, vtag: 0x01020304, crcOk: true });

    await new Promise((r) => setTimeout(r, 100));
    expect(aborts(seen.slice(mark), 's2c')).toHaveLength(0);
    expect(aborts(seen.slice(mark), 'c2s')).toHaveLength(0);
    expect(client.isUp && server.isUp).toBe(true);
    expect(stray.received).toHaveLength(0);
  });

  it('an INIT from a third socket gets its INIT ACK there; the live association is untouched', async () => {
    const { client, server, seen } = await watchedPair();
    const stray = await udpSocket();
    const mark = seen.length;
    const init = Buffer.alloc(16);
    init.writeUInt32BE(0x0badf00d, 0); // Initiate Tag
    init.writeUInt32BE(65536, 4); // a_rwnd
    init.writeUInt16BE(1, 8);
    init.writeUInt16BE(1, 10);
    init.writeUInt32BE(1, 12); // Initial TSN
    stray.sock.send(sctpPacket({ srcPort: 11, dstPort: server.localPort, vtag: 0 }, [Buffer.concat([Buffer.from([CHUNK.INIT, 0, 0, 20]), init])]), server.localPort, '127.0.0.1');
    await until(() => stray.received.length > 0);
    const p = decodePacket(stray.received[0])!;
    expect(p).toMatchObject({ srcPort: server.localPort, dstPort: 11, vtag: 0x0badf00d, crcOk: true });
    expect(p.chunks[0].type).toBe(CHUNK.INIT_ACK);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.slice(mark).filter((s) => s.dir === 's2c' && s.p.chunks.some((c) => c.type === CHUNK.INIT_ACK))).toHaveLength(0);
    expect(client.isUp && server.isUp).toBe(true);
  });
});
