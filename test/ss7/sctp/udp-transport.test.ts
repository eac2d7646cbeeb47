import { afterEach, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { connectSctpOverUdp } from '../../../src/ss7/sctp/udp-transport.js';
import { PPID_M3UA } from '../../../src/ss7/sctp/association.js';
import type { SctpTransportAssociation } from '../../../src/ss7/sctp/package-association.js';
import { SoftswitchError } from '../../../src/errors.js';
import { numbered, OrderCheck, pair, waitFor } from './pair.js';
import { startRelay, type Relay } from './udp-relay.js';

const open: SctpTransportAssociation[] = [];
const relays: Relay[] = [];
afterEach(() => {
  for (const a of open.splice(0)) a.abort('test end');
  for (const r of relays.splice(0)) r.close();
});
async function track(p: ReturnType<typeof pair>) {
  const r = await p;
  open.push(r.client, r.server);
  return r;
}

describe.each([
  { where: 'on the event loop', io: { ioThread: false } },
  { where: 'on I/O threads', io: { ioThread: true } },
])('SCTP over UDP between two node-sctp stacks, sockets $where', ({ io }) => {
  it('comes up with the asked-for streams and carries messages both ways in order on several streams at once', async () => {
    const { client, server } = await track(pair({ ...io, streams: 8 }));
    expect(client.isUp && server.isUp).toBe(true);
    expect(client.outboundStreams).toBe(8);
    const atServer = new OrderCheck();
    const atClient = new OrderCheck();
    const ppids = new Set<number>();
    server.on('message', (d: Buffer, s: number, p: number) => (atServer.accept(d, s), ppids.add(p)));
    client.on('message', (d: Buffer, s: number) => atClient.accept(d, s));
    const perStream = 500;
    for (let i = 0; i < perStream; i++) {
      for (let s = 0; s < 8; s++) {
        client.send(numbered(s, i), s, PPID_M3UA);
        server.send(numbered(s, i, 200), s, PPID_M3UA);
      }
    }
    const total = perStream * 8;
    for (let t = 0; t < 200 && (atServer.received < total || atClient.received < total); t++) await new Promise((r) => setTimeout(r, 25));
    expect(atServer).toMatchObject({ received: total, errors: 0 });
    expect(atClient.received).toBe(total);
    expect(atClient.errors + atClient.corrupt + atServer.corrupt).toBe(0);
    expect([...ppids]).toEqual([PPID_M3UA]);
    for (let s = 0; s < 8; s++) expect(atServer.next.get(s)).toBe(perStream);
  });

  it('delivers 50,000 messages sent in one burst, all and in order (the queue honours the window)', async () => {
    const { client, server } = await track(pair(io));
    const check = new OrderCheck();
    server.on('message', (d: Buffer, s: number) => check.accept(d, s));
    const n = 50_000;
    for (let i = 0; i < n; i++) client.send(numbered(i % 4, i >> 2, 60), i % 4, PPID_M3UA);
    expect(client.stats().queued).toBeGreaterThan(n / 2);
    for (let t = 0; t < 600 && check.received < n; t++) await new Promise((r) => setTimeout(r, 25));
    expect(check).toMatchObject({ received: n, errors: 0, corrupt: 0 });
    expect(client.stats()).toMatchObject({ sent: n, dropped: 0, queued: 0 });
  });

  it('close() with data still queued delivers it all, then SHUTDOWN completes on both sides', async () => {
    const { client, server } = await track(pair(io));
    const check = new OrderCheck();
    server.on('message', (d: Buffer, s: number) => check.accept(d, s));
    const serverDown = waitFor<[string]>(server, 'down');
    const clientDown = waitFor<[string]>(client, 'down');
    for (let i = 0; i < 5000; i++) client.send(numbered(0, i), 0, PPID_M3UA);
    const t0 = Date.now();
    await client.close();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await clientDown)[0]).toBe('shutdown');
    expect((await serverDown)[0]).toBe('shutdown');
    expect(check).toMatchObject({ received: 5000, errors: 0 });
    expect(client.isUp || server.isUp).toBe(false);
    client.send(numbered(0, 0), 0, PPID_M3UA);
    expect(client.stats().dropped).toBe(1);
  });

  it('a peer ABORT brings the association down with a reason', async () => {
    const { client, server } = await track(pair(io));
    const down = waitFor<[string]>(client, 'down');
    server.abort('operator');
    expect((await down)[0]).toBe('peer aborted: User-Initiated Abort: operator');
    expect(client.isUp).toBe(false);
  });

  it('close() of a peer that no longer answers ends with ABORT after the close timeout', async () => {
    let silent = false;
    const { client } = await track(pair({ ...io, closeTimeoutMs: 300 }, async (port) => {
      const relay = await startRelay(port, (_d, _i, m) => (silent ? null : m));
      relays.push(relay);
      return relay.port;
    }));
    silent = true;
    const t0 = Date.now();
    const down = waitFor<[string]>(client, 'down');
    await client.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((await down)[0]).toBe('shutdown timed out');
  });

  it('set-up to a port where nothing listens fails within the bound, with down and SSW_ERR_SCTP_ASSOC_FAILED', async () => {
    const hole = dgram.createSocket('udp4');
    await new Promise<void>((r) => hole.bind(0, '127.0.0.1', r));
    const port = hole.address().port;
    hole.close();
    const t0 = Date.now();
    const client = await connectSctpOverUdp({ localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: port, setupTimeoutMs: 150, maxAttempts: 3, ...io });
    open.push(client);
    const err = waitFor<[Error]>(client, 'error');
    const [reason] = await waitFor<[string]>(client, 'down');
    const elapsed = Date.now() - t0;
    expect(reason).toMatch(/3 attempts/);
    expect((await err)[0]).toBeInstanceOf(SoftswitchError);
    expect(((await err)[0] as SoftswitchError).code).toBe('SSW_ERR_SCTP_ASSOC_FAILED');
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(1500);
    expect(client.stats().attempts).toBe(3);
  });

  it('an unanswered INIT is retried with a fresh association and the set-up succeeds', async () => {
    const { client } = await track(pair({ ...io, setupTimeoutMs: 200 }, async (port) => {
      const relay = await startRelay(port, (dir, i, m) => (dir === 'c2s' && i === 0 ? null : m));
      relays.push(relay);
      return relay.port;
    }));
    expect(client.isUp).toBe(true);
    expect(client.stats().attempts).toBe(2);
  });

  it('a packet with a bad CRC32c is discarded and the data still arrives intact by retransmission', async () => {
    let corrupted = 0;
    const { client, server } = await track(pair(io, async (port) => {
      const relay = await startRelay(port, (dir, i, m) => {
        // Flip a bit in the user data of one DATA-carrying packet (chunk type 0 at offset 12).
        if (dir === 'c2s' && corrupted === 0 && i > 3 && m.length > 60 && m[12] === 0) {
          corrupted++;
          const bad = Buffer.from(m);
          bad[bad.length - 5] ^= 0x01;
          return bad;
        }
        return m;
      });
      relays.push(relay);
      return relay.port;
    }));
    const check = new OrderCheck();
    server.on('message', (d: Buffer, s: number) => check.accept(d, s));
    for (let i = 0; i < 300; i++) client.send(numbered(0, i), 0, PPID_M3UA);
    for (let t = 0; t < 200 && check.received < 300; t++) await new Promise((r) => setTimeout(r, 25));
    expect(corrupted).toBe(1);
    expect(server.stats().checksumErrors).toBe(1);
    expect(check).toMatchObject({ received: 300, errors: 0, corrupt: 0 });
  });

  it('unanswered heartbeats bring the association down (Path.Max.Retrans)', async () => {
    let silent = false;
    const { client } = await track(pair({ ...io, heartbeatIntervalMs: 50, pathMaxRetrans: 2 }, async (port) => {
      const relay = await startRelay(port, (_d, _i, m) => (silent ? null : m));
      relays.push(relay);
      return relay.port;
    }));
    await new Promise((r) => setTimeout(r, 200));
    expect(client.isUp).toBe(true);
    silent = true;
    const t0 = Date.now();
    const [reason] = await waitFor<[string]>(client, 'down', 2000);
    expect(reason).toBe('peer unreachable (heartbeat)');
    expect(Date.now() - t0).toBeLessThan(600);
  });

  it('a stream outside 0..outboundStreams-1 is refused and reported, the last valid one works', async () => {
    const { client, server } = await track(pair({ ...io, streams: 4 }));
    const errors: Error[] = [];
    client.on('error', (e: Error) => errors.push(e));
    const got: number[] = [];
    server.on('message', (_d: Buffer, s: number) => got.push(s));
    client.send(numbered(4, 0), 4, PPID_M3UA);
    client.send(numbered(3, 0), 3, PPID_M3UA);
    await waitFor(server, 'message');
    expect(got).toEqual([3]);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/stream 4 outside 0..3/);
  });
});
