/**
 * Issue 8, bad input over the wire: datagrams a broken or hostile gateway sends to the MGCP call
 * agent over UDP on loopback (free ports). Each is answered with its RFC 3435 §2.4 return code
 * and transaction id, or, when nothing can be answered, dropped with a log line and a metric.
 */
import type { Socket } from 'node:dgram';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MgcpCallAgent } from '../../src/mgcp/mgcp/call-agent.js';
import { Registry } from 'prom-client';
import { mgcpMetrics } from '../../src/mgcp/mgcp/metrics.js';
import { bindOtherLoopback, bindUdp as bind } from '../helpers/osmo-mgw.js';

const DOMAIN = 'tgw1.example.net';
const close = (s: Socket) => new Promise<void>((r) => s.close(() => r()));

/** The agent under test counts into a registry of its own. */
const registry = new Registry();
const metrics = mgcpMetrics(registry);
async function decodeErrors(code: string): Promise<number> {
  return (await metrics.mgcpDecodeErrors.get()).values.find((v) => v.labels.code === code)?.value ?? 0;
}
async function unmatched(): Promise<number> {
  return (await metrics.mgcpUnmatchedResponses.get()).values[0]?.value ?? 0;
}

/** What arrives on a socket; `next(match)` waits for a datagram matching, undefined after `ms`. */
function inbox(s: Socket) {
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString('latin1')));
  return {
    got,
    async next(match: RegExp = /./, ms = 2000): Promise<string | undefined> {
      const from = got.length;
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = got.slice(from).find((g) => match.test(g));
        if (hit !== undefined || Date.now() > deadline) return hit;
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

async function eventually(cond: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('MGCP call agent: bad input over UDP', () => {
  let ca: MgcpCallAgent;
  let gw: Socket;
  let stranger: Socket;
  let box: ReturnType<typeof inbox>;
  const logs: Array<{ level: number; msg: string; reason?: string; txid?: number }> = [];

  const send = (s: Socket, text: string | Buffer) => s.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, ca.local.port, '127.0.0.1');
  /** Sends from the gateway and waits for a response to the same transaction id (any response when it has none). */
  const exchange = async (text: string): Promise<string | undefined> => {
    const txid = text.split(/[ \r\n]/)[1];
    const waiting = box.next(/^\d+$/.test(txid ?? '') ? new RegExp(`^\\d{3} ${txid}\\b`) : /^\d{3} /);
    send(gw, text);
    return waiting;
  };
  const logged = (msg: string, where: (l: (typeof logs)[number]) => boolean = () => true) => logs.some((l) => l.msg === msg && where(l));

  beforeAll(async () => {
    gw = await bind();
    // Another host: responses are matched to the gateway's address.
    stranger = await bindOtherLoopback(0);
    box = inbox(gw);
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    ca = await MgcpCallAgent.open(0, '127.0.0.1', {
      registry,
      gateways: [{ name: 'tgw1', domain: DOMAIN, addresses: ['127.0.0.1'], port: gw.address().port }],
      log,
      policy: { initialRtoMs: 100, minRtoMs: 100, maxRtoMs: 400, maxRetransmits: 4 },
    });
  });
  afterAll(async () => {
    await ca.close();
    await close(gw);
    await close(stranger);
  });

  it('truncated commands: 510 with the transaction id while the command line names one, else dropped, logged, counted', async () => {
    expect(await exchange(`RSIP 1200 *@${DOMAIN}`)).toMatch(/^510 1200 /);
    expect(await exchange(`NTFY 1201 a@${DOMAIN} MGCP 1.0\r\nX`)).toMatch(/^510 1201 /);
    const before = await decodeErrors('510');
    expect(await exchange('RSIP')).toBeUndefined();
    await eventually(() => logged('mgcp decode error', (l) => l.reason === 'missing or malformed transaction id'));
    expect(await decodeErrors('510')).toBe(before + 1);
  });

  it('an oversized datagram (20 KB, limit 8 KB) is answered 510 for its transaction; an oversized response is dropped and counted', async () => {
    const big = `RSIP 1210 *@${DOMAIN} MGCP 1.0\r\nRM: restart\r\nX-Pad: ${'a'.repeat(20_000)}\r\n`;
    expect(await exchange(big)).toMatch(/^510 1210 /);
    const before = await decodeErrors('510');
    expect(await exchange(`200 1211 OK\r\nX-Pad: ${'b'.repeat(20_000)}\r\n`)).toBeUndefined();
    expect(await decodeErrors('510')).toBe(before + 1);
    expect(logged('mgcp decode error', (l) => /larger than 8192/.test(l.reason ?? ''))).toBe(true);
  });

  it('bad SDP in a command is 510; a bad SDP in the answer to our CRCX is dropped and counted, the retransmission gets a good one', async () => {
    expect(await exchange(`NTFY 1220 a@${DOMAIN} MGCP 1.0\r\nX: 1\r\nO: L/hd\r\n\r\nv=0\r\n\x01c=IN IP4 1.2.3.4\r\n`)).toMatch(/^510 1220 /);
    const before = await decodeErrors('510');
    const crcx = ca.crcx({ address: '127.0.0.1', port: gw.address().port }, { endpoint: `ds/ds1-1/1@${DOMAIN}`, callId: 'C1', mode: 'recvonly' });
    const first = await box.next(/^CRCX /);
    const txid = /^CRCX (\d+) /.exec(first!)![1];
    const retransmitted = box.next(new RegExp(`^CRCX ${txid} `), 5000);
    send(gw, `200 ${txid} OK\r\nI: 7\r\n\r\nv=0\r\n\x00garbage\r\n`);
    await eventually(async () => (await decodeErrors('510')) === before + 1);
    expect(await retransmitted).toBeDefined();
    send(gw, `200 ${txid} OK\r\nI: 7\r\n\r\nv=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n`);
    const r = await crcx;
    expect(r.connectionId).toBe('7');
    expect(r.localSdp).toContain('m=audio 4000');
  });

  it('unknown verbs and verbs a call agent does not take are 504; an unknown mandatory extension is 511; a bad version 528', async () => {
    expect(await exchange(`FROB 1230 a@${DOMAIN} MGCP 1.0\r\n`)).toMatch(/^504 1230 /);
    expect(await exchange(`MDCX 1231 a@${DOMAIN} MGCP 1.0\r\nC: 1\r\nI: 2\r\n`)).toMatch(/^504 1231 /);
    expect(await exchange(`RSIP 1232 *@${DOMAIN} MGCP 1.0\r\nX+Secret: 1\r\n`)).toMatch(/^511 1232 /);
    expect(await exchange(`RSIP 1233 *@${DOMAIN} MGCP 2.0\r\n`)).toMatch(/^528 1233 /);
  });

  it('a parameter given twice (conflicting RestartMethods) is 510, and raises no restart', async () => {
    let restarts = 0;
    ca.on('restart', () => restarts++);
    expect(await exchange(`RSIP 1240 *@${DOMAIN} MGCP 1.0\r\nRM: restart\r\nRM: forced\r\n`)).toMatch(/^510 1240 .*RM given twice/);
    expect(await exchange(`RSIP 1241 *@${DOMAIN} MGCP 1.0\r\nRM: graceful\r\nRD: 0\r\n`)).toMatch(/^200 1241 /);
    expect(restarts).toBe(1);
  });

  it('wrong or unknown transaction ids: unanswerable commands and unmatched responses are dropped, logged and counted', async () => {
    const errs = await decodeErrors('510');
    expect(await exchange(`RSIP abc *@${DOMAIN} MGCP 1.0\r\n`)).toBeUndefined();
    expect(await exchange(`RSIP 1000000000 *@${DOMAIN} MGCP 1.0\r\n`)).toBeUndefined();
    expect(await decodeErrors('510')).toBe(errs + 2);

    const before = await unmatched();
    expect(await exchange('200 999999 OK\r\n')).toBeUndefined();
    await eventually(() => logged('mgcp response matches no transaction; dropped', (l) => l.txid === 999999));
    // The right transaction id from another source does not complete our command either.
    const auep = ca.auep({ address: '127.0.0.1', port: gw.address().port }, `ds/ds1-1/2@${DOMAIN}`);
    const cmd = await box.next(/^AUEP /);
    const txid = /^AUEP (\d+) /.exec(cmd!)![1];
    send(stranger, `200 ${txid} OK\r\n`);
    await eventually(async () => (await unmatched()) === before + 2);
    send(gw, `200 ${txid} OK\r\n`);
    await auep;
    expect(logs.filter((l) => l.msg === 'mgcp response matches no transaction; dropped').length).toBeGreaterThanOrEqual(2);
  });
});
