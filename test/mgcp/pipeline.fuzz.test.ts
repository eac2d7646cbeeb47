/**
 * Hostile input through the whole receive pipeline (screen → decode → duplicate cache → call
 * agent), in virtual time with an in-memory transport: mutated commands, responses and piggy-backed
 * datagrams from the gateway, from another port of its host and from a stranger.
 */
import { describe, expect, it } from 'vitest';
import { MgcpCallAgent, type RestartEvent } from '../../src/mgcp/mgcp/call-agent.js';
import { decode } from '../../src/mgcp/mgcp/codec.js';
import type { MgcpTransport } from '../../src/mgcp/mgcp/transport.js';
import type { Peer } from '../../src/mgcp/mgcp/transaction-layer.js';
import { VirtualClock } from '../../src/util/clock.js';
import { mulberry32 } from '../../src/util/prng.js';

const GW: Peer = { address: '192.0.2.10', port: 2427 };
const WRONG_PORT: Peer = { address: '192.0.2.10', port: 40000 };
const STRANGER: Peer = { address: '198.51.100.66', port: 2427 };

const SEEDS = [
  'RSIP 1200 *@tgw1 MGCP 1.0\r\nRM: forced\r\n',
  'RSIP 1201 ds/ds1-1/*@tgw1 MGCP 1.0\nRM: restart\nRD: 0\n',
  'rsip 1202 ds/ds1-2/3@TGW1 mgcp 1.0\nrm: disconnected\nX-Foo: bar\n',
  'NTFY 2002 ds/ds1-1/1@tgw1 MGCP 1.0\r\nX: 0123456789AC\r\nO: L/hd, D/9\r\nK: 1-5, 9\r\n',
  '200 %TX OK\r\nI: FDE234C8\r\nK:\r\n\r\nv=0\r\nc=IN IP4 192.0.2.10\r\nm=audio 16002 RTP/AVP 0\r\n',
  '100 %TX Pending\r\n.\r\nRSIP 77 *@tgw1 MGCP 1.0\r\nRM: graceful\r\nRD: 30\r\n',
  '000 1200\r\n',
  'RSIP 1203 *@tgw2 MGCP 1.0\r\nRM: forced\r\n',
];

const ALPHABET = '\r\n .:@/*$0123456789ABCDEFMGCPKIZXLRM\t\x00\xff-,=+';

function mutate(base: Buffer, r: () => number): Buffer {
  const bytes = [...base];
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (bytes.length + 1));
    const op = Math.floor(r() * 5);
    if (op === 0) bytes[at] = Math.floor(r() * 256);
    else if (op === 1) bytes.splice(at, 0, ALPHABET.charCodeAt(Math.floor(r() * ALPHABET.length)));
    else if (op === 2) bytes.splice(at, 1 + Math.floor(r() * 12));
    else if (op === 3) bytes.splice(at, 0, ...bytes.slice(0, Math.floor(r() * 60)));
    else bytes.length = Math.min(bytes.length, at);
  }
  return Buffer.from(bytes);
}

describe('MGCP receive pipeline fuzz (seeded, 30,000 datagrams)', () => {
  it('never throws, never answers a forged source, keeps its state bounded and drains it', async () => {
    const clock = new VirtualClock(0);
    const sent: Array<{ bytes: Buffer; to: Peer }> = [];
    let deliver: (d: Buffer, from: Peer) => void = () => {};
    const transport: MgcpTransport = {
      local: { address: '192.0.2.1', port: 2727 },
      send: (bytes, to) => void sent.push({ bytes, to }),
      onDatagram: (h) => void (deliver = h),
      close: async () => {},
    };
    const ca = new MgcpCallAgent(transport, {
      clock,
      gateways: [
        { name: 'tgw1', domain: 'tgw1', addresses: [GW.address], port: GW.port },
        { name: 'tgw2', domain: 'tgw2', addresses: ['203.0.113.2'], port: 2427 },
      ],
      rejectLogIntervalMs: 1000,
    });
    const restarts: RestartEvent[] = [];
    ca.on('restart', (e) => restarts.push(e));
    // Some of our own commands outstanding, so fuzzed responses can hit live transactions.
    const outstanding: Array<Promise<unknown>> = [];
    const r = mulberry32(0x4357);
    let maxCached = 0;
    for (let i = 0; i < 30_000; i++) {
      if (i % 50 === 0) outstanding.push(ca.auep(GW, 'ds/ds1-1/1@tgw1').catch(() => undefined));
      const txid = String(sent.length > 0 ? Math.floor(r() * 1e9) : 1);
      const seed = SEEDS[i % SEEDS.length].replaceAll('%TX', txid);
      const input = i % 13 === 12 ? Buffer.from(Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256))) : mutate(Buffer.from(seed, 'latin1'), r);
      const from = i % 3 === 0 ? GW : i % 3 === 1 ? WRONG_PORT : STRANGER;
      try {
        deliver(input, from);
      } catch (e) {
        throw new Error(`datagram ${i} from ${from.address}:${from.port} threw on ${input.toString('hex')}: ${String(e)}`);
      }
      if (i % 100 === 0) clock.advance(50);
      maxCached = Math.max(maxCached, ca.layer.cachedAnswers);
    }
    // Nothing ever went to a forged source; everything sent decodes cleanly.
    expect(sent.filter((s) => s.to !== GW)).toEqual([]);
    for (const s of sent) for (const m of decode(s.bytes)) expect(m.type, s.bytes.toString('latin1')).not.toBe('error');
    expect(restarts.every((e) => e.gateway === 'tgw1' && e.from === GW)).toBe(true);
    expect(restarts.length).toBeGreaterThan(100);
    expect(maxCached).toBeLessThan(20_000);
    clock.advance(120_000);
    await Promise.all(outstanding);
    expect(ca.layer.cachedAnswers).toBe(0);
    expect(ca.layer.pending).toBe(0);
    await ca.close();
    expect(clock.pending).toBe(0);
    console.log(`pipeline fuzz: ${sent.length} datagrams answered to the gateway, ${restarts.length} restarts raised, max ${maxCached} cached answers`);
  });
});
