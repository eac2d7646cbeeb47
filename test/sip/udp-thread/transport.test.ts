import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { ThreadedUdpTransport } from '../../../src/sip/udp-thread/transport.js';
import { silentLogger } from '../../../src/util/log.js';

const open: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function peer(type: 'udp4' | 'udp6' = 'udp4'): Promise<Socket> {
  const s = createSocket(type);
  await new Promise<void>((r) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => r()));
  open.push({ close: () => new Promise<void>((r) => s.close(() => r())) });
  return s;
}

async function transport(address = '127.0.0.1', port = 0): Promise<ThreadedUdpTransport> {
  const t = await ThreadedUdpTransport.open({ address, port, logger: silentLogger });
  open.push(t);
  return t;
}

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  return cond();
};

describe('SIP UDP transport on an I/O thread', () => {
  it('hands every datagram to the main thread with its source, in order, up to 60,000 bytes, and sends the answers from its port', async () => {
    const t = await transport();
    const p = await peer();
    const seen: Array<{ n: number; len: number; from: string }> = [];
    t.onMessage((buf, from) => {
      seen.push({ n: buf.readUInt32BE(0), len: buf.length, from: `${from.address}:${from.port}` });
      t.send(buf.subarray(0, 8), from);
    });
    const answers: Array<{ n: number; port: number }> = [];
    p.on('message', (m, rinfo) => answers.push({ n: m.readUInt32BE(0), port: rinfo.port }));
    const sizes = [4, 100, 1500, 9000, 60_000];
    for (let n = 0; n < 1000; n++) {
      const b = Buffer.alloc(sizes[n % sizes.length], n & 0xff);
      b.writeUInt32BE(n, 0);
      p.send(b, t.port, '127.0.0.1');
      if (n % 50 === 49) await new Promise((r) => setTimeout(r, 2));
    }
    expect(await waitFor(() => answers.length === 1000)).toBe(true);
    expect(seen.map((s) => s.n)).toEqual([...Array(1000).keys()]);
    expect(seen.map((s) => s.len)).toEqual([...Array(1000).keys()].map((n) => sizes[n % sizes.length]));
    expect(new Set(seen.map((s) => s.from))).toEqual(new Set([`127.0.0.1:${p.address().port}`]));
    expect(answers.every((a) => a.port === t.port)).toBe(true);
    expect(t.dropped).toBe(0);
    expect(t.queueDelayMs()).toBeLessThan(100);
  });

  it('sends promptly both while sends keep coming (the thread polls its ring) and after a quiet spell (the thread sleeps until woken)', async () => {
    const t = await transport();
    const p = await peer();
    const got: Array<{ n: number; at: number }> = [];
    p.on('message', (m) => got.push({ n: m.readUInt32BE(0), at: performance.now() }));
    const to = { address: '127.0.0.1', port: p.address().port };
    const sendAt: number[] = [];
    const sendOne = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n, 0);
      sendAt[n] = performance.now();
      t.send(b, to);
    };
    // Sends 3 ms apart keep the thread polling; then 300 ms of quiet (it sleeps); then more.
    for (let n = 0; n < 20; n++) {
      sendOne(n);
      await new Promise((r) => setTimeout(r, 3));
    }
    await new Promise((r) => setTimeout(r, 300));
    for (let n = 20; n < 25; n++) {
      sendOne(n);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(await waitFor(() => got.length === 25)).toBe(true);
    expect(got.map((g) => g.n)).toEqual([...Array(25).keys()]);
    // A poll period is 1 ms: no send waits anywhere near a SIP timer (the 100 ms bound leaves room for a loaded host).
    const waits = got.map((g) => g.at - sendAt[g.n]);
    expect(Math.max(...waits)).toBeLessThan(100);
  });

  it('runs what a handler left to promises before the next datagram, as a socket on the main thread does', async () => {
    const t = await transport();
    const p = await peer();
    let ready = false;
    const sawReady: boolean[] = [];
    t.onMessage((buf) => {
      if (buf.toString() === 'first') {
        ready = false;
        void (async () => {
          await null;
          await Promise.resolve();
          ready = true;
        })();
      } else sawReady.push(ready);
    });
    for (let i = 0; i < 20; i++) {
      p.send('first', t.port, '127.0.0.1');
      p.send('second', t.port, '127.0.0.1');
      // Keep this thread busy while both arrive, so they are taken from the ring in one batch.
      const until = performance.now() + 5;
      while (performance.now() < until) {
        // busy
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await waitFor(() => sawReady.length === 20)).toBe(true);
    expect(sawReady.every(Boolean)).toBe(true);
  });

  it('works on IPv6 loopback', async () => {
    const t = await transport('::1');
    const p = await peer('udp6');
    t.onMessage((buf, from) => t.send(Buffer.concat([Buffer.from('re:'), buf]), from));
    const got = new Promise<string>((r) => p.once('message', (m) => r(m.toString())));
    p.send(Buffer.from('OPTIONS'), t.port, '::1');
    expect(await got).toBe('re:OPTIONS');
    expect(t.address).toBe('::1');
  });

  it('refuses a port in use with the operator error, and frees its port on close', async () => {
    const t = await transport();
    await expect(ThreadedUdpTransport.open({ address: '127.0.0.1', port: t.port, logger: silentLogger })).rejects.toMatchObject({ code: 'SSW_ERR_PORT_IN_USE' });
    const port = t.port;
    await t.close();
    const again = await transport('127.0.0.1', port);
    expect(again.port).toBe(port);
  });

  it('a handler that throws does not stop the datagrams behind it; a bad destination is refused without a throw', async () => {
    const t = await transport();
    const p = await peer();
    let n = 0;
    t.onMessage((buf, from) => {
      n++;
      if (buf.toString() === 'boom') throw new Error('handler failed');
      t.send(buf, from);
    });
    const got: string[] = [];
    p.on('message', (m) => got.push(m.toString()));
    p.send('boom', t.port, '127.0.0.1');
    p.send('after', t.port, '127.0.0.1');
    expect(await waitFor(() => got.length === 1)).toBe(true);
    expect(got).toEqual(['after']);
    expect(n).toBe(2);
    expect(() => t.send(Buffer.from('x'), { address: '127.0.0.1', port: 0 })).not.toThrow();
    expect(() => t.send(Buffer.from('x'), { address: '127.0.0.1', port: 70000 })).not.toThrow();
  });

  it('starts its I/O thread again on the same port when the thread dies, and carries datagrams again', async () => {
    const t = await transport();
    const p = await peer();
    t.onMessage((buf, from) => t.send(buf, from));
    const worker = (t as unknown as { thread: { worker: Worker } }).thread.worker;
    await worker.terminate();
    const got: string[] = [];
    p.on('message', (m) => got.push(m.toString()));
    // Until the new thread has bound, datagrams are lost (as with a socket closed and opened again).
    expect(await waitFor(() => {
      p.send('ping', t.port, '127.0.0.1');
      return got.length > 0;
    }, 8000)).toBe(true);
    expect(got[0]).toBe('ping');
  });
});
