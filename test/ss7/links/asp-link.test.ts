/**
 * The switch's SIGTRAN link over two signalling gateways (real SCTP over UDP on loopback):
 * both ASPs come up, MSUs are shared between them, traffic fails over when one SG goes away,
 * and the lost ASP reconnects when its SG returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AspTransferLink } from '../../../src/ss7/links/asp-link.js';
import { M3uaSg } from '../../../src/ss7/m3ua/sg.js';
import type { ProtocolData } from '../../../src/ss7/m3ua/messages.js';
import { acceptSctpOverUdp, connectSctpOverUdp } from '../../../src/ss7/sctp/udp-transport.js';
import type { SctpTransportAssociation } from '../../../src/ss7/sctp/package-association.js';
import { freeUdpPort } from '../../helpers/sipp.js';

interface FakeSg {
  port: number;
  sg: M3uaSg;
  assoc: SctpTransportAssociation;
  received: ProtocolData[];
}

async function startSg(port: number): Promise<FakeSg> {
  const assoc = await acceptSctpOverUdp({ localAddress: '127.0.0.1', localPort: port, remoteAddress: '127.0.0.1', remotePort: 0 });
  const sg = new M3uaSg({ ases: [{ pointCodes: [0x010101] }] });
  sg.addAssociation(assoc);
  const received: ProtocolData[] = [];
  sg.on('transfer', (pd: ProtocolData) => received.push(pd));
  return { port, sg, assoc, received };
}

const until = async (cond: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const msu = (sls: number): ProtocolData => ({ opc: 0x010101, dpc: 0x020202, si: 5, ni: 2, mp: 0, sls, data: Buffer.from([sls, 0, 16, 0]) });

describe('AspTransferLink: one ASP per SG with failover', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('shares traffic, fails over when an SG is lost, and reconnects when it returns', async () => {
    const [pa, pb] = [await freeUdpPort(), await freeUdpPort()];
    const a = await startSg(pa);
    let b = await startSg(pb);
    cleanups.push(() => a.assoc.close(), () => b.assoc.close());
    const link = new AspTransferLink({
      sgs: [
        { name: 'sg-a', address: '127.0.0.1', port: pa, localAddress: '127.0.0.1', localPort: 0 },
        { name: 'sg-b', address: '127.0.0.1', port: pb, localAddress: '127.0.0.1', localPort: 0 },
      ],
      connect: (sg) => connectSctpOverUdp({ localAddress: sg.localAddress, localPort: sg.localPort, remoteAddress: sg.address, remotePort: sg.port, setupTimeoutMs: 300, maxAttempts: 3 }),
      asp: { ackTimeoutMs: 500 },
      backoffMs: 100,
      maxBackoffMs: 400,
    });
    cleanups.push(() => link.stop());
    link.start();
    await until(() => link.status().every((s) => s.state === 'ASP_ACTIVE'));
    expect(link.canReach(0x020202)).toBe(true);

    for (let sls = 0; sls < 16; sls++) expect(link.sendTransfer(msu(sls))).toBe(true);
    await until(() => a.received.length + b.received.length === 16);
    expect(a.received.length).toBeGreaterThan(0);
    expect(b.received.length).toBeGreaterThan(0);

    // SG A reports the destination unavailable (DUNA): traffic to it goes only through B; DAVA restores A.
    a.sg.setDestination(0x020202, false);
    const aBefore = a.received.length;
    const bBefore0 = b.received.length;
    await new Promise((r) => setTimeout(r, 100));
    for (let sls = 0; sls < 16; sls++) expect(link.sendTransfer(msu(sls))).toBe(true);
    await until(() => b.received.length === bBefore0 + 16);
    expect(a.received.length).toBe(aBefore);
    a.sg.setDestination(0x020202, true);
    await new Promise((r) => setTimeout(r, 100));

    // SG B goes away (ABORT): everything now goes through A.
    b.assoc.abort('test: SG B lost');
    await until(() => link.status().find((s) => s.sg === 'sg-b')!.state !== 'ASP_ACTIVE');
    await b.assoc.close();
    const before = a.received.length;
    for (let sls = 0; sls < 16; sls++) expect(link.sendTransfer(msu(sls))).toBe(true);
    await until(() => a.received.length === before + 16);

    // SG B returns on the same port: the link reconnects and uses it again.
    b = await startSg(pb);
    await until(() => link.status().every((s) => s.state === 'ASP_ACTIVE'), 10_000);
    const bBefore = b.received.length;
    for (let sls = 0; sls < 16; sls++) link.sendTransfer(msu(sls));
    await until(() => b.received.length > bBefore);
  }, 30_000);

  it('reports the destination unreachable when every SG is down, and sends nothing', async () => {
    const port = await freeUdpPort();
    const link = new AspTransferLink({
      sgs: [{ name: 'nowhere', address: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: 0 }],
      connect: (sg) => connectSctpOverUdp({ localAddress: sg.localAddress, localPort: 0, remoteAddress: sg.address, remotePort: sg.port, setupTimeoutMs: 100, maxAttempts: 2 }),
      asp: {},
      backoffMs: 100,
    });
    cleanups.push(() => link.stop());
    link.start();
    await new Promise((r) => setTimeout(r, 400));
    expect(link.canReach(0x020202)).toBe(false);
    expect(link.sendTransfer(msu(1))).toBe(false);
    expect(link.status()[0].state).not.toBe('ASP_ACTIVE');
  });
});
