import { describe, expect, it } from 'vitest';
import { ReceiveQueueProbe } from '../../src/sip/receive-queue-probe.js';

describe('receive-queue probe', () => {
  it('a queue that keeps up: each probe back within a loop turn, delay stays small', () => {
    const p = new ReceiveQueueProbe();
    for (let t = 0; t < 1000; t += 20) p.received(p.sent(t), t + 2);
    expect(p.delayMs(1000)).toBe(2);
    expect(p.lost).toBe(0);
  });

  it('a backlog: probes come back late, and probes still out count for their age once a later one was sent', () => {
    const p = new ReceiveQueueProbe();
    p.received(p.sent(0), 150);
    expect(p.delayMs(150)).toBe(0); // one late probe alone: a stall, not a backlog
    p.received(p.sent(160), 300);
    expect(p.delayMs(300)).toBe(140);
    p.sent(320);
    expect(p.delayMs(600)).toBe(140); // one probe out: the loop may just have been stalled
    p.sent(340);
    // The second probe out was sent at 340 while the first still waited: behind by at least 260 ms at 600.
    expect(p.delayMs(600)).toBe(260);
    expect(p.outstanding).toBe(2);
  });

  it('a single stall of the process is not a backlog: the next probe is read at once', () => {
    const p = new ReceiveQueueProbe();
    for (let t = 0; t < 200; t += 20) p.received(p.sent(t), t + 1);
    const before = p.sent(200);
    p.received(before, 500); // stalled 300 ms with this probe queued
    expect(p.delayMs(500)).toBeLessThan(10);
    p.received(p.sent(501), 502);
    expect(p.delayMs(502)).toBeLessThan(10);
  });

  it('probes the kernel dropped are known lost once a later one arrives (FIFO)', () => {
    const p = new ReceiveQueueProbe();
    p.sent(0);
    p.sent(20);
    const c = p.sent(40);
    p.received(c, 45);
    expect(p.lost).toBe(2);
    expect(p.outstanding).toBe(0);
    p.received(p.sent(50), 57);
    expect(p.delayMs(60)).toBe(5);
  });

  it('ignores unknown, replayed and non-integer sequence numbers', () => {
    const p = new ReceiveQueueProbe();
    const a = p.sent(0);
    p.received(a, 10);
    p.received(a, 900);
    p.received(12345, 900);
    p.received(Number.NaN, 900);
    p.received(p.sent(10), 22);
    expect(p.delayMs(30)).toBe(10);
  });

  it('stays bounded when nothing comes back', () => {
    const p = new ReceiveQueueProbe();
    for (let t = 0; t < 5000; t++) p.sent(t);
    expect(p.outstanding).toBeLessThanOrEqual(1024);
    expect(p.lost).toBe(5000 - p.outstanding);
  });
});

describe.each(['main thread', 'I/O thread'])('receive-queue probe on a real UDP socket read on the %s', (where) => {
  it('small while the reader keeps up; the wait of the backlog while datagrams pile up behind a slow reader; small again once drained', async () => {
    const { UdpTransport } = await import('../../src/sip/transport-udp.js');
    const { ThreadedUdpTransport } = await import('../../src/sip/udp-thread/transport.js');
    const { silentLogger } = await import('../../src/util/log.js');
    const { spawn } = await import('node:child_process');
    const opts = { address: '127.0.0.1', port: 0, logger: silentLogger, probeEveryMs: 10 };
    const t = where === 'main thread' ? await UdpTransport.open(opts) : await ThreadedUdpTransport.open(opts);
    let got = 0;
    // A reader that takes 1 ms per datagram: 800 datagrams at once are 0.8 s of work.
    t.onMessage(() => {
      got++;
      const until = performance.now() + 1;
      while (performance.now() < until) {
        // busy
      }
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let max = 0;
    const sampler = setInterval(() => (max = Math.max(max, t.queueDelayMs() ?? 0)), 5);
    try {
      await sleep(150);
      const idle = t.queueDelayMs();
      expect(idle).toBeLessThan(100);
      const sender = spawn(process.execPath, ['-e', `const s=require('dgram').createSocket('udp4');let n=0;const b=Buffer.from('OPTIONS sip:x SIP/2.0\\r\\n\\r\\n');(function go(){for(let i=0;i<100&&n<800;i++,n++)s.send(b,${t.port},'127.0.0.1');if(n<800)setImmediate(go);else setTimeout(()=>s.close(),100)})()`]);
      await new Promise((r) => sender.on('exit', r));
      for (let i = 0; i < 100 && got < 800; i++) await sleep(50);
      await sleep(100);
      expect(got).toBe(800); // probes never reach the SIP handler
      expect(max).toBeGreaterThanOrEqual(200);
      expect(t.queueDelayMs()).toBeLessThan(100);
    } finally {
      clearInterval(sampler);
      await t.close();
    }
  });
});
