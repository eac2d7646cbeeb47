/**
 * Every way the patched package ends an association is reported to its user exactly once:
 * COMMUNICATION LOST (RFC 9260 §10.2) with the reason, or SHUTDOWN COMPLETE after a graceful
 * close, always after the association is CLOSED. Two package endpoints over UDP on loopback,
 * with hand-made packets where a peer must misbehave, and short timers set per association.
 */
import { afterEach, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { createPkgEndpoint, type PkgAssociation, type PkgEndpoint } from '../../../src/ss7/sctp/node-sctp.js';
import { CAUSE, CHUNK, chunk, decodePacket, errorCauses, sctpPacket } from './sctp-wire.js';

const defs = createRequire(import.meta.url)('sctp/lib/defs.js') as { NET_SCTP: Record<string, number> };

interface Ends {
  lost: Array<{ event: string; causes?: Array<{ cause?: string }>; state: string }>;
  complete: number;
}

/** Records what the association reports, and the state it is in when it does. */
function watch(a: PkgAssociation): Ends {
  const ends: Ends = { lost: [], complete: 0 };
  a.on('COMMUNICATION LOST', (event: string, causes?: Array<{ cause?: string }>) => ends.lost.push({ event, causes, state: a.state }));
  a.on('SHUTDOWN COMPLETE', () => ends.complete++);
  return ends;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  s.on('error', () => undefined);
  cleanups.push(() => {
    try {
      s.close();
    } catch {
      /* already closed */
    }
  });
  return s;
}

async function endpointOn(sock: dgram.Socket, peerPort: number): Promise<PkgEndpoint> {
  const e = createPkgEndpoint({ localPort: sock.address().port, MIS: 2, OS: 2 }, { udpTransport: sock, udpPeer: { address: '127.0.0.1', port: peerPort } });
  cleanups.push(() => e.DESTROY());
  return e;
}

/** a (active) and b (passive) up; b's association as the peer created it. */
async function established() {
  const [sa, sb] = [await udp(), await udp()];
  const [pa, pb] = [sa.address().port, sb.address().port];
  const eb = await endpointOn(sb, pa);
  const ea = await endpointOn(sa, pb);
  const bUp = new Promise<PkgAssociation>((r) => eb.once('association', (b: PkgAssociation) => r(b)));
  const a = ea.ASSOCIATE({ remotePort: pb });
  await new Promise((r) => a.once('COMMUNICATION UP', r));
  const b = await bUp;
  cleanups.push(() => a.ABORT(), () => b.ABORT());
  return { a, b, ea, eb, sa, sb, pa, pb };
}

const tagsOf = (a: PkgAssociation) => a as unknown as { my_tag: number; peer_tag: number; RTO: number; rto_max: number; association_max_retrans: number; max_init_retransmits: number; mute: boolean };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

describe('patched node-sctp: every end of an association is reported once', () => {
  it('received ABORT and ABORT sent by the user: once each, with the causes', async () => {
    const { a, b } = await established();
    const [ea, eb] = [watch(a), watch(b)];
    a.ABORT('operator');
    a.ABORT('again');
    await until(() => eb.lost.length > 0);
    await sleep(30);
    expect(ea.lost).toMatchObject([{ event: 'user-abort', causes: [{ cause: 'USER_INITIATED_ABORT', abort_reason: 'operator' }], state: 'CLOSED' }]);
    expect(ea.lost).toHaveLength(1);
    expect(eb.lost).toHaveLength(1);
    expect(eb.lost[0]).toMatchObject({ event: 'abort', state: 'CLOSED', causes: [{ cause: 'USER_INITIATED_ABORT', abort_reason: 'operator' }] });
    expect(ea.complete + eb.complete).toBe(0);
  });

  it('empty DATA chunk: ABORT with No User Data, reported once even if the packet repeats', async () => {
    const { a, b, pa, pb } = await established();
    const [ea, eb] = [watch(a), watch(b)];
    const bogus = sctpPacket({ srcPort: pb, dstPort: pa, vtag: tagsOf(a).my_tag }, [chunk(CHUNK.DATA, 3, Buffer.alloc(12))]);
    const injector = await udp();
    injector.send(bogus, pa, '127.0.0.1');
    injector.send(bogus, pa, '127.0.0.1');
    await until(() => eb.lost.length > 0);
    await sleep(30);
    expect(ea.lost).toMatchObject([{ event: 'no-user-data', state: 'CLOSED', causes: [{ cause: 'NO_USER_DATA', tsn: 0 }] }]);
    expect(eb.lost).toMatchObject([{ event: 'abort', causes: [{ cause: 'NO_USER_DATA', tsn: 0 }] }]);
  });

  it('T1-init gives up after Max.Init.Retransmits with backed-off waits: reported once (init-timeout)', async () => {
    const silent = await udp();
    const inits: number[] = [];
    silent.on('message', (m) => decodePacket(m)?.chunks[0]?.type === CHUNK.INIT && inits.push(Date.now()));
    const sa = await udp();
    const ea = await endpointOn(sa, silent.address().port);
    const saved = { ...defs.NET_SCTP };
    defs.NET_SCTP.rto_initial = 20;
    defs.NET_SCTP.max_init_retransmits = 3;
    let a: PkgAssociation;
    try {
      a = ea.ASSOCIATE({ remotePort: silent.address().port });
    } finally {
      Object.assign(defs.NET_SCTP, saved);
    }
    const ends = watch(a);
    await until(() => ends.lost.length > 0);
    await sleep(50);
    expect(ends.lost).toEqual([{ event: 'init-timeout', causes: undefined, state: 'CLOSED' }]);
    expect(inits).toHaveLength(4); // the INIT and 3 retransmissions
    const gaps = inits.slice(1).map((t, i) => t - inits[i]);
    expect(gaps[2]).toBeGreaterThan(gaps[0]); // RTO doubles (RFC 9260 §6.3.3 E2)
  });

  it('a peer that sends SHUTDOWN and falls silent: T2 resends SHUTDOWN ACK, then gives up once (shutdown-timeout)', async () => {
    const { a, b, sb, pa, pb } = await established();
    const ends = watch(a);
    const t = tagsOf(a);
    t.RTO = 10;
    t.rto_max = 20;
    t.association_max_retrans = 2;
    tagsOf(b).mute = true; // b sends nothing from now on
    const acks: number[] = [];
    const injector = await udp();
    const shutdown = Buffer.alloc(4); // Cumulative TSN Ack
    sb.on('message', (m) => decodePacket(m)?.chunks.some((c) => c.type === CHUNK.SHUTDOWN_ACK) && acks.push(Date.now()));
    injector.send(sctpPacket({ srcPort: pb, dstPort: pa, vtag: t.my_tag }, [chunk(CHUNK.SHUTDOWN, 0, shutdown)]), pa, '127.0.0.1');
    await until(() => ends.lost.length > 0);
    await sleep(50);
    expect(ends.lost).toEqual([{ event: 'shutdown-timeout', causes: undefined, state: 'CLOSED' }]);
    expect(acks).toHaveLength(3); // the answer and 2 retransmissions
    expect(ends.complete).toBe(0);
  });

  it('our SHUTDOWN unanswered: T5-shutdown-guard ABORTs, reported once (shutdown-guard)', async () => {
    const { a, b, sb } = await established();
    const ends = watch(a);
    const t = tagsOf(a);
    t.RTO = 10;
    t.rto_max = 20; // T5 = 5 × RTO.Max = 100 ms, before T2 (10 + 20 × 10 ms) gives up
    tagsOf(b).mute = true;
    const seen: number[] = [];
    sb.on('message', (m) => seen.push(...(decodePacket(m)?.chunks.map((c) => c.type) ?? [])));
    a.SHUTDOWN();
    a.SHUTDOWN(); // a second request changes nothing
    await until(() => ends.lost.length > 0);
    await sleep(50);
    expect(ends.lost).toEqual([{ event: 'shutdown-guard', causes: undefined, state: 'CLOSED' }]);
    expect(seen.filter((c) => c === CHUNK.SHUTDOWN).length).toBeGreaterThanOrEqual(3);
    expect(seen.at(-1)).toBe(CHUNK.ABORT);
  });

  it('DATA never acknowledged: each T3-rtx expiry counts; past Path.Max.Retrans the loss is reported once (retransmit-timeout)', async () => {
    const { a, b } = await established();
    const ends = watch(a);
    const t = tagsOf(a);
    t.RTO = 10;
    t.rto_max = 20;
    a.path_max_retrans = 3;
    tagsOf(b).mute = true;
    a.send(Buffer.from('never acknowledged'), { stream_id: 0, ppid: 3 }, () => undefined);
    await until(() => ends.lost.length > 0);
    await sleep(50);
    expect(ends.lost).toEqual([{ event: 'retransmit-timeout', causes: undefined, state: 'CLOSED' }]);
  });

  it('INIT ACK with no inbound streams: ABORT with Invalid Mandatory Parameter under its Initiate Tag, reported once', async () => {
    const peer = await udp();
    const sa = await udp();
    const ea = await endpointOn(sa, peer.address().port);
    const got: Buffer[] = [];
    peer.on('message', (m) => {
      const p = decodePacket(m)!;
      if (p.chunks[0].type === CHUNK.INIT) {
        const initTag = p.chunks[0].value.readUInt32BE(0);
        const v = Buffer.alloc(16);
        v.writeUInt32BE(0x11223344, 0); // Initiate Tag
        v.writeUInt32BE(65536, 4);
        v.writeUInt16BE(2, 8); // OS
        v.writeUInt16BE(0, 10); // MIS 0: invalid (RFC 9260 §3.3.3)
        v.writeUInt32BE(1, 12);
        peer.send(sctpPacket({ srcPort: p.dstPort, dstPort: p.srcPort, vtag: initTag }, [chunk(CHUNK.INIT_ACK, 0, v)]), sa.address().port, '127.0.0.1');
      } else got.push(Buffer.from(m));
    });
    const a = ea.ASSOCIATE({ remotePort: peer.address().port });
    const ends = watch(a);
    await until(() => ends.lost.length > 0 && got.length > 0);
    await sleep(30);
    expect(ends.lost).toMatchObject([{ event: 'invalid-init-ack', state: 'CLOSED' }]);
    const p = decodePacket(got[0])!;
    expect(p.vtag).toBe(0x11223344);
    expect(p.chunks[0].type).toBe(CHUNK.ABORT);
    expect(errorCauses(p.chunks[0].value).map((c) => c.code)).toEqual([CAUSE.INVALID_MANDATORY_PARAMETER]);
  });

  it('ICMP unreachable, closing the UDP socket, and destroying: once each', async () => {
    const one = await established();
    const e1 = watch(one.a);
    one.a.emit('icmp', { v_tag: tagsOf(one.a).peer_tag, chunks: [] }, 3);
    one.a.emit('icmp', { v_tag: tagsOf(one.a).peer_tag, chunks: [] }, 3);
    expect(e1.lost).toEqual([{ event: 'icmp', causes: undefined, state: 'CLOSED' }]);

    const two = await established();
    const e2 = watch(two.a);
    two.sa.close();
    await until(() => e2.lost.length > 0);
    expect(e2.lost).toEqual([{ event: 'endpoint-closed', causes: undefined, state: 'CLOSED' }]);

    const three = await established();
    const e3 = watch(three.a);
    three.a._destroy();
    three.a._destroy();
    three.a.ABORT();
    expect(e3.lost).toEqual([{ event: 'destroyed', causes: undefined, state: 'CLOSED' }]);
  });

  it('graceful SHUTDOWN: SHUTDOWN COMPLETE once on each side, no loss; the same ports then take a new association', async () => {
    const { a, b, ea, eb, pb } = await established();
    const [wa, wb] = [watch(a), watch(b)];
    a.SHUTDOWN();
    await until(() => wa.complete > 0 && wb.complete > 0);
    await sleep(30);
    expect([wa.complete, wb.complete, wa.lost.length, wb.lost.length]).toEqual([1, 1, 0, 0]);
    expect([a.state, b.state]).toEqual(['CLOSED', 'CLOSED']);
    // Same SCTP ports again: b's endpoint must take the new INIT as new, not hand it to the dead TCB.
    const bAgain = new Promise<PkgAssociation>((r) => eb.once('association', (x: PkgAssociation) => r(x)));
    const a2 = ea.ASSOCIATE({ remotePort: pb });
    cleanups.push(() => a2.ABORT());
    await Promise.race([new Promise((r) => a2.once('COMMUNICATION UP', r)), sleep(1500).then(() => expect.fail('no second association'))]);
    cleanups.push(() => void bAgain.then((x) => x.ABORT()));
    expect(a2.state).toBe('ESTABLISHED');
  });
});
