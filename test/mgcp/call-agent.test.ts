/** What gateways send to the call agent (RSIP, NTFY, unknown verbs), over real UDP sockets on loopback. */
import type { Socket } from 'node:dgram';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MgcpCallAgent, type NotifyEvent, type RestartEvent } from '../../src/mgcp/mgcp/call-agent.js';
import { Registry } from 'prom-client';
import { mgcpMetrics } from '../../src/mgcp/mgcp/metrics.js';

const registry = new Registry();
import { bindOtherLoopback, bindUdp as bind, until } from '../helpers/osmo-mgw.js';

const DOMAIN = 'tgw1.example.net';

const close = (s: Socket) => new Promise<void>((r) => s.close(() => r()));

async function rejected(reason: string): Promise<number> {
  const m = await mgcpMetrics(registry).mgcpRejectedCommands.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Collects what arrives on a socket; `next()` waits for one datagram or undefined after `ms`. */
function inbox(s: Socket) {
  const got: string[] = [];
  const waiters: Array<() => void> = [];
  s.on('message', (m) => {
    got.push(m.toString('latin1'));
    waiters.splice(0).forEach((w) => w());
  });
  return {
    got,
    async next(ms = 1000): Promise<string | undefined> {
      const before = got.length;
      const deadline = Date.now() + ms;
      while (got.length === before && Date.now() < deadline)
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, Math.max(1, deadline - Date.now()));
        });
      return got[before];
    },
  };
}

describe('MGCP call agent: commands from its gateway', () => {
  let ca: MgcpCallAgent;
  let gw: Socket;
  let box: ReturnType<typeof inbox>;
  const restarts: RestartEvent[] = [];

  const exchange = async (text: string): Promise<string | undefined> => {
    gw.send(text, ca.local.port, '127.0.0.1');
    return box.next();
  };

  beforeAll(async () => {
    gw = await bind();
    box = inbox(gw);
    ca = await MgcpCallAgent.open(0, '127.0.0.1', {
      gateways: [{ name: 'tgw1', domain: DOMAIN, addresses: ['127.0.0.1'], port: gw.address().port }],
    });
    ca.on('restart', (e) => restarts.push(e));
  });
  afterAll(async () => {
    await ca.close();
    await close(gw);
  });

  it('RSIP is answered 200 and raised once as a restart, even when retransmitted (§3.5.1)', async () => {
    restarts.length = 0;
    const rsip = `RSIP 1200 *@${DOMAIN} MGCP 1.0\r\nRM: graceful\r\nRD: 300\r\n`;
    expect(await exchange(rsip)).toBe('200 1200 OK\r\n');
    expect(await exchange(rsip)).toBe('200 1200 OK\r\n');
    expect(restarts).toEqual([
      { from: { address: '127.0.0.1', port: gw.address().port }, gateway: 'tgw1', endpoint: `*@${DOMAIN}`, method: 'graceful', delaySeconds: 300 },
    ]);
  });

  it('every RestartMethod of §2.3.12 is raised with its endpoint; an unknown one is 536 and raises nothing', async () => {
    restarts.length = 0;
    let id = 1300;
    for (const m of ['restart', 'forced', 'graceful', 'disconnected', 'cancel-graceful'])
      expect(await exchange(`RSIP ${++id} ds/ds1-3/*@${DOMAIN} MGCP 1.0\r\nRM: ${m}\r\n`)).toBe(`200 ${id} OK\r\n`);
    expect(restarts.map((r) => [r.method, r.endpoint])).toEqual(
      ['restart', 'forced', 'graceful', 'disconnected', 'cancel-graceful'].map((m) => [m, `ds/ds1-3/*@${DOMAIN}`]),
    );
    expect(await exchange(`RSIP 1399 *@${DOMAIN} MGCP 1.0\r\nRM: reboot\r\n`)).toMatch(/^536 1399 /);
    expect(restarts).toHaveLength(5);
  });

  it('tolerance: lower case, LF line ends, unknown and X- parameters are accepted; an unknown X+ parameter is 511 (§3.2.2)', async () => {
    restarts.length = 0;
    expect(await exchange(`rsip 1400 ds/ds1-1/1@TGW1.example.net mgcp 1.0\nrm: Forced\nX-Vendor: 7\nZZ: whatever\n`)).toBe('200 1400 OK\r\n');
    expect(restarts).toMatchObject([{ method: 'forced', endpoint: 'ds/ds1-1/1@TGW1.example.net' }]);
    expect(await exchange(`RSIP 1401 *@${DOMAIN} MGCP 1.0\r\nRM: restart\r\nX+Must: 1\r\n`)).toMatch(/^511 1401 /);
    expect(restarts).toHaveLength(1);
  });

  it('piggy-backed commands in one datagram are each answered (§3.5.5)', async () => {
    restarts.length = 0;
    const before = box.got.length;
    gw.send(`RSIP 1500 *@${DOMAIN} MGCP 1.0\r\nRM: forced\r\n.\r\nNTFY 1501 aaln/1@${DOMAIN} MGCP 1.0\r\nO: L/hd\r\n`, ca.local.port, '127.0.0.1');
    await until(() => box.got.length >= before + 2);
    expect(box.got.slice(before).sort()).toEqual(['200 1500 OK\r\n', '200 1501 OK\r\n']);
    expect(restarts).toHaveLength(1);
  });

  it('NTFY is answered 200 and raised as a notify', async () => {
    const seen: NotifyEvent[] = [];
    ca.on('notify', (e) => seen.push(e));
    expect(await exchange(`NTFY 2002 aaln/1@${DOMAIN} MGCP 1.0\r\nX: 0123456789AC\r\nO: L/hd\r\n`)).toBe('200 2002 OK\r\n');
    expect(seen).toMatchObject([{ gateway: 'tgw1', endpoint: `aaln/1@${DOMAIN}`, requestId: '0123456789AC', observedEvents: 'L/hd' }]);
  });

  it('unknown verbs get 504, gateway-side verbs 504, bad versions 528, bad endpoints 500, junk lines 510', async () => {
    expect(await exchange(`FROB 31 a@${DOMAIN} MGCP 1.0\r\n`)).toMatch(/^504 31 /);
    expect(await exchange(`CRCX 32 a@${DOMAIN} MGCP 1.0\r\nC: x\r\n`)).toMatch(/^504 32 /);
    expect(await exchange(`NTFY 33 a@${DOMAIN} MGCP 3.1\r\n`)).toMatch(/^528 33 /);
    expect(await exchange('NTFY 34 nodomain MGCP 1.0\r\n')).toMatch(/^500 34 /);
    expect(await exchange(`NTFY 35 a@${DOMAIN} MGCP 1.0\r\nthis is not a parameter\r\n`)).toMatch(/^510 35 /);
  });
});

describe('MGCP call agent: forged gateway commands (security regression)', () => {
  let ca: MgcpCallAgent;
  let gw: Socket;
  let gwBox: ReturnType<typeof inbox>;
  let secondary: Socket;
  const restarts: RestartEvent[] = [];
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    gw = await bind();
    gwBox = inbox(gw);
    secondary = await bindOtherLoopback(gw.address().port);
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    ca = await MgcpCallAgent.open(0, '127.0.0.1', {
      log,
      registry,
      gateways: [
        { name: 'tgw1', domain: DOMAIN, addresses: ['127.0.0.1', secondary.address().address], port: gw.address().port },
        { name: 'tgw2', domain: 'tgw2.example.net', addresses: ['192.0.2.20'], port: 2427 },
      ],
    });
    ca.on('restart', (e) => restarts.push(e));
  });
  afterAll(async () => {
    await ca.close();
    await close(gw);
    await close(secondary);
  });

  it('RSIP forced from another port of the gateway host: dropped, unanswered, counted as wrong_port, logged once', async () => {
    restarts.length = 0;
    logs.length = 0;
    const before = await rejected('wrong_port');
    const forger = await bind();
    const box = inbox(forger);
    for (let i = 0; i < 50; i++) forger.send(`RSIP ${i + 1} *@${DOMAIN} MGCP 1.0\r\nRM: forced\r\n`, ca.local.port, '127.0.0.1');
    expect(await box.next(300)).toBeUndefined();
    expect(restarts).toEqual([]);
    expect((await rejected('wrong_port')) - before).toBe(50);
    const warned = logs.filter((l) => l.reason === 'wrong_port');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, firstLine: `RSIP 1 *@${DOMAIN} MGCP 1.0`, gateway: 'tgw1', from: `127.0.0.1:${forger.address().port}` });
    expect(String(warned[0].msg)).toContain('mgcp.gateways[].port');
    await close(forger);
  });

  it('RSIP restart from an address that is no gateway: dropped, unanswered, unknown_source; garbage from there is not answered either', async () => {
    restarts.length = 0;
    const before = await rejected('unknown_source');
    const forger = await bindOtherLoopback(0);
    const box = inbox(forger);
    forger.send(`RSIP 7 *@${DOMAIN} MGCP 1.0\r\nRM: restart\r\n`, ca.local.port, '127.0.0.1');
    forger.send(`FROB 8 a@${DOMAIN} MGCP 1.0\r\n`, ca.local.port, '127.0.0.1');
    forger.send(`NTFY 9 a@${DOMAIN} MGCP 9.9\r\n`, ca.local.port, '127.0.0.1');
    expect(await box.next(300)).toBeUndefined();
    expect(restarts).toEqual([]);
    expect((await rejected('unknown_source')) - before).toBe(3);
    expect(logs.some((l) => l.reason === 'unknown_source' && String(l.msg).includes('mgcp.gateways[].addresses'))).toBe(true);
    await close(forger);
  });

  it("from the real gateway but for another gateway's domain: 500 to the gateway, nothing raised, foreign_endpoint", async () => {
    restarts.length = 0;
    const before = await rejected('foreign_endpoint');
    gw.send('RSIP 70 *@tgw2.example.net MGCP 1.0\r\nRM: forced\r\n', ca.local.port, '127.0.0.1');
    expect(await gwBox.next()).toBe('500 70 Endpoint unknown\r\n');
    expect(restarts).toEqual([]);
    expect((await rejected('foreign_endpoint')) - before).toBe(1);
  });

  it("the real gateway's address and port work, and so does its second configured address", async () => {
    restarts.length = 0;
    gw.send(`RSIP 71 *@${DOMAIN} MGCP 1.0\r\nRM: forced\r\n`, ca.local.port, '127.0.0.1');
    expect(await gwBox.next()).toBe('200 71 OK\r\n');
    const box2 = inbox(secondary);
    secondary.send(`RSIP 72 *@${DOMAIN} MGCP 1.0\r\nRM: restart\r\n`, ca.local.port, '127.0.0.1');
    expect(await box2.next()).toBe('200 72 OK\r\n');
    expect(restarts.map((r) => [r.gateway, r.method, r.from.address])).toEqual([
      ['tgw1', 'forced', '127.0.0.1'],
      ['tgw1', 'restart', secondary.address().address],
    ]);
  });

  it('a call agent with no gateway configured accepts no command at all', async () => {
    const bare = await MgcpCallAgent.open(0, '127.0.0.1');
    const seen: RestartEvent[] = [];
    bare.on('restart', (e) => seen.push(e));
    const s = await bind();
    const box = inbox(s);
    s.send(`RSIP 1 *@${DOMAIN} MGCP 1.0\r\nRM: forced\r\n`, bare.local.port, '127.0.0.1');
    expect(await box.next(300)).toBeUndefined();
    expect(seen).toEqual([]);
    await bare.close();
    await close(s);
  });

  it('measured: forged datagrams refused per second', async () => {
    const forger = await bind();
    const before = await rejected('wrong_port');
    const n = 20_000;
    const started = process.hrtime.bigint();
    const bytes = Buffer.from(`RSIP 1 *@${DOMAIN} MGCP 1.0\r\nRM: forced\r\n`);
    for (let i = 0; i < n; i++) ca.layer.receive(bytes, forger.address());
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    expect((await rejected('wrong_port')) - before).toBe(n);
    expect(restarts.filter((r) => r.from.port === forger.address().port)).toEqual([]);
    console.log(`forged RSIP refused: ${Math.round(n / secs)} per second (screen before decoding, in process)`);
    await close(forger);
  });
});
