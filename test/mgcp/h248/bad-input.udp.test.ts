/**
 * Issue 8, bad input over the wire: what a broken or hostile media gateway sends to the H.248
 * controller (assembled by openH248Bearer from an `h248:` section) over UDP on loopback, free
 * ports. Each is answered with its H.248.1 §14.2 error code — at transaction level when the
 * TransactionID was read (403, 443, 406, 504), at message level otherwise (400) — or, when there
 * is nothing to answer, dropped with a log line and a metric.
 */
import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { H248BearerPort } from '../../../src/mgcp/h248/bearer.js';
import { h248ConfigSchema } from '../../../src/mgcp/h248/config.js';
import { openH248Bearer } from '../../../src/mgcp/h248/open.js';

async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const v = (await m.get()).values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

async function eventually(cond: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('H.248 controller: bad input over UDP', () => {
  let mg: Socket;
  let bearer: H248BearerPort;
  let header: string;
  const got: string[] = [];
  const registry = new Registry();
  const logs: Array<{ msg: string; transactionId?: number; reason?: string }> = [];

  /** Sends from the gateway; resolves with the first message after it that matches, or undefined after `ms`. */
  async function exchange(text: string, match: RegExp = /./, ms = 2000): Promise<string | undefined> {
    const from = got.length;
    mg.send(Buffer.from(text, 'latin1'), bearer.controller.local.port, '127.0.0.1');
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = got.slice(from).find((g) => match.test(g));
      if (hit !== undefined || Date.now() > deadline) return hit;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  beforeAll(async () => {
    mg = createSocket('udp4');
    await new Promise<void>((r) => mg.bind(0, '127.0.0.1', () => r()));
    mg.on('message', (m) => got.push(m.toString('latin1')));
    const port = mg.address().port;
    header = `MEGACO/1 [127.0.0.1]:${port}\n`;
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    bearer = await openH248Bearer(
      h248ConfigSchema.parse({
        localAddress: '127.0.0.1',
        localPort: 0,
        mid: '[127.0.0.1]:2944',
        gateways: [{ name: 'mg1', mid: `[127.0.0.1]:${port}`, domain: 'tgw1', address: '127.0.0.1' }],
      }),
      { log, registry },
    );
    const reply = await exchange(`${header}Transaction = 1 { Context = - { ServiceChange = ROOT { Services { Method = Restart, Reason = "901 Cold Boot" } } } }`, /Reply = 1 /);
    expect(reply).not.toMatch(/Error/);
  });
  afterAll(async () => {
    await bearer.close();
    await new Promise<void>((r) => mg.close(() => r()));
  });

  it('a truncated transaction is 403 for its TransactionID; a message cut after its header is 400', async () => {
    const before = await counter(registry, 'softswitch_h248_decode_errors_total', { code: '403' });
    expect(await exchange(`${header}Transaction = 2 { Context = - { ServiceChange = ROOT {`, /Reply = 2 /)).toMatch(/Error = 403 \{"Services expected"\}/);
    expect(await counter(registry, 'softswitch_h248_decode_errors_total', { code: '403' })).toBe(before + 1);
    expect(await exchange(header, /Error = 400/)).toMatch(/^MEGACO\/1 \S+\nError = 400 \{"message without transactions"\}/);
  });

  it('an oversized value (a 20 KB Reason, limit 4 KB) is 403 for its transaction', async () => {
    const big = `${header}Transaction = 3 { Context = - { ServiceChange = ROOT { Services { Method = Restart, Reason = "${'x'.repeat(20_000)}" } } } }`;
    expect(await exchange(big, /Reply = 3 /)).toMatch(/Error = 403 \{"quoted string longer than 4096 characters"\}/);
  });

  it('bad SDP: an unterminated Local descriptor is 403; SDP in a command the MGC does not take is 443', async () => {
    expect(await exchange(`${header}Transaction = 4 { Context = 1 { Modify = A1 { Media { Stream = 1 { Local { v=0\r\nc=IN IP4 `, /Reply = 4 /)).toMatch(
      /Error = 403 \{"unterminated octet string"\}/,
    );
    expect(await exchange(`${header}Transaction = 5 { Context = 1 { Add = A1 { Media { Stream = 1 { Local { v=0\r\nm=audio 0 RTP/AVP 0 } } } } } }`, /Reply = 5 /)).toMatch(
      /Error = 443 \{"add is not accepted by the MGC"\}/,
    );
  });

  it('an unknown command is 403; a request in a version the MGC does not speak is 406', async () => {
    expect(await exchange(`${header}Transaction = 6 { Context = - { Frobnicate = ROOT { } } }`, /Reply = 6 /)).toMatch(/Error = 403 \{"command or context property expected"\}/);
    const v9 = header.replace('MEGACO/1', 'MEGACO/9');
    expect(await exchange(`${v9}Transaction = 7 { Context = - { Notify = ROOT { ObservedEvents = 1 { al/on } } } }`, /Reply = 7 /)).toMatch(/Error = 406 \{"Version Not Supported"\}/);
  });

  it('duplicates: a parameter given twice is 403; a second message header is 400', async () => {
    expect(await exchange(`${header}Transaction = 8 { Context = - { ServiceChange = ROOT { Services { Method = Restart, Method = Forced } } } }`, /Reply = 8 /)).toMatch(
      /Error = 403 \{"method twice in Services"\}/,
    );
    expect(await exchange(`${header}${header}Transaction = 9 { Context = - { Notify = ROOT { ObservedEvents = 1 { al/on } } } }`, /Error = 400/)).toMatch(/^MEGACO\/1 \S+\nError = 400 /);
  });

  it('wrong transaction ids: one out of range is 400 for the message; a reply to nothing is dropped, logged, counted', async () => {
    expect(await exchange(`${header}Transaction = 4294967296 { Context = - { Notify = ROOT { ObservedEvents = 1 { al/on } } } }`, /Error = 400/)).toMatch(/Error = 400 \{"TransactionID out of range"\}/);
    const before = await counter(registry, 'softswitch_h248_unmatched_replies_total');
    expect(await exchange(`${header}Reply = 999 { Context = - { Notify = ROOT } }`, /./, 300)).toBeUndefined();
    await eventually(async () => (await counter(registry, 'softswitch_h248_unmatched_replies_total')) === before + 1);
    expect(logs.some((l) => l.msg === 'h248 reply matches no transaction; dropped' && l.transactionId === 999)).toBe(true);
  });

  it('an mId that is no configured gateway is 504', async () => {
    expect(await exchange('MEGACO/1 [10.9.9.9]:2944\nTransaction = 10 { Context = - { Notify = ROOT { ObservedEvents = 1 { al/on } } } }', /Reply = 10 /)).toMatch(
      /Error = 504 \{"Command Received from unauthorized entity"\}/,
    );
  });
});
