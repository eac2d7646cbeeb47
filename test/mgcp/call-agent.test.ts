/** What gateways send to the call agent (RSIP, NTFY, unknown verbs), over a real UDP socket pair. */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MgcpCallAgent, type NotifyEvent, type RestartEvent } from '../../src/mgcp/mgcp/call-agent.js';

describe('MGCP call agent: commands from gateways', () => {
  let ca: MgcpCallAgent;
  let gw: Socket;
  const inbox: string[] = [];
  const waiters: Array<() => void> = [];

  const exchange = async (text: string): Promise<string> => {
    const before = inbox.length;
    gw.send(text, ca.local.port, '127.0.0.1');
    while (inbox.length === before) await new Promise<void>((r) => waiters.push(r));
    return inbox[before];
  };

  beforeAll(async () => {
    ca = await MgcpCallAgent.open(0, '127.0.0.1');
    gw = createSocket('udp4');
    gw.on('message', (m) => {
      inbox.push(m.toString('latin1'));
      waiters.splice(0).forEach((w) => w());
    });
    await new Promise<void>((r) => gw.bind(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await ca.close();
    await new Promise<void>((r) => gw.close(() => r()));
  });

  it('RSIP is answered 200 and raised once as a restart, even when retransmitted', async () => {
    const restarts: RestartEvent[] = [];
    ca.on('restart', (e) => restarts.push(e));
    const rsip = 'RSIP 1200 *@tgw1.example.net MGCP 1.0\r\nRM: graceful\r\nRD: 300\r\n';
    expect(await exchange(rsip)).toBe('200 1200 OK\r\n');
    expect(await exchange(rsip)).toBe('200 1200 OK\r\n');
    expect(restarts).toEqual([
      { from: { address: '127.0.0.1', port: gw.address().port }, endpoint: '*@tgw1.example.net', method: 'graceful', delaySeconds: 300 },
    ]);
  });

  it('NTFY is answered 200 and raised as a notify', async () => {
    const seen: NotifyEvent[] = [];
    ca.on('notify', (e) => seen.push(e));
    expect(await exchange('NTFY 2002 aaln/1@rgw MGCP 1.0\r\nX: 0123456789AC\r\nO: L/hd\r\n')).toBe('200 2002 OK\r\n');
    expect(seen).toMatchObject([{ endpoint: 'aaln/1@rgw', requestId: '0123456789AC', observedEvents: 'L/hd' }]);
  });

  it('unknown verbs get 504, gateway-side verbs 504, bad versions 528, bad endpoints 500, junk lines 510', async () => {
    expect(await exchange('FROB 31 a@gw MGCP 1.0\r\n')).toMatch(/^504 31 /);
    expect(await exchange('CRCX 32 a@gw MGCP 1.0\r\nC: x\r\n')).toMatch(/^504 32 /);
    expect(await exchange('NTFY 33 a@gw MGCP 3.1\r\n')).toMatch(/^528 33 /);
    expect(await exchange('NTFY 34 nodomain MGCP 1.0\r\n')).toMatch(/^500 34 /);
    expect(await exchange('NTFY 35 a@gw MGCP 1.0\r\nthis is not a parameter\r\n')).toMatch(/^510 35 /);
  });
});
