/**
 * Defect "one SCTP packet kills the SS7 link silently": a DATA chunk with no user data, sent
 * with the live verification tag, ends the association. The switch's ASP must leave ASP-ACTIVE at
 * once (so /healthz, which asks link.status() for an ASP_ACTIVE SG, turns unhealthy) even with
 * M3UA BEAT disabled, and the link must reconnect. Real SCTP over UDP on loopback between the
 * switch's AspTransferLink and an M3uaSg set up as the tandem simulator does (acceptSctpOverUdp,
 * remotePort 0), a relay between them to read the tags and inject the packet as an on-path attacker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { AspTransferLink } from '../../../src/ss7/links/asp-link.js';
import { M3uaSg } from '../../../src/ss7/m3ua/sg.js';
import type { ProtocolData } from '../../../src/ss7/m3ua/messages.js';
import { acceptSctpOverUdp, connectSctpOverUdp } from '../../../src/ss7/sctp/udp-transport.js';
import type { SctpTransportAssociation } from '../../../src/ss7/sctp/package-association.js';
import { freeUdpPort } from '../sctp/free-port.js';
import { startRelay, type Direction } from '../sctp/udp-relay.js';
import { CAUSE, CHUNK, dataChunk, decodePacket, errorCauses, sctpPacket, type WirePacket } from '../sctp/sctp-wire.js';

const msu = (sls: number): ProtocolData => ({ opc: 0x010101, dpc: 0x020202, si: 5, ni: 2, mp: 0, sls, data: Buffer.from([sls, 0, 16, 0]) });

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

/** The switch's link (BEAT off, fixed local port) up and ASP-ACTIVE toward one SG, through a recording relay. */
async function linkUp() {
  const sgPort = await freeUdpPort();
  const aspPort = await freeUdpPort();
  const sgAssoc = await acceptSctpOverUdp({ localAddress: '127.0.0.1', localPort: sgPort, remoteAddress: '127.0.0.1', remotePort: 0 });
  cleanups.push(() => sgAssoc.close());
  const sg = new M3uaSg({ ases: [{ pointCodes: [0x010101] }] });
  sg.addAssociation(sgAssoc);
  const received: ProtocolData[] = [];
  sg.on('transfer', (pd: ProtocolData) => received.push(pd));
  const seen: Array<{ dir: Direction; p: WirePacket }> = [];
  const relay = await startRelay(sgPort, (dir, _i, m) => {
    const p = decodePacket(m);
    if (p) seen.push({ dir, p });
    return m;
  });
  cleanups.push(() => relay.close());
  const assocs: SctpTransportAssociation[] = [];
  const link = new AspTransferLink({
    sgs: [{ name: 'tandem', address: '127.0.0.1', port: relay.port, localAddress: '127.0.0.1', localPort: aspPort }],
    connect: async (s) => {
      const a = await connectSctpOverUdp({ localAddress: s.localAddress, localPort: s.localPort, remoteAddress: s.address, remotePort: s.port, remoteSctpPort: sgPort, setupTimeoutMs: 300, maxAttempts: 3 });
      assocs.push(a);
      return a;
    },
    asp: { beatIntervalMs: 0, ackTimeoutMs: 500 },
    backoffMs: 100,
    maxBackoffMs: 400,
  });
  cleanups.push(async () => {
    await link.stop();
    // The last SHUTDOWN COMPLETE may still be crossing the relay.
    await until(() => !sgAssoc.isUp, 1000);
  });
  const states: Array<{ state: string; at: number }> = [];
  link.on('state', (_sg: string, state: string) => states.push({ state, at: performance.now() }));
  link.start();
  await until(() => link.status()[0].state === 'ASP_ACTIVE');
  // As src/app/softswitch.ts computes /healthz's sigtran flag.
  const healthy = () => link.status().some((s) => s.state === 'ASP_ACTIVE');
  const tagSeen = (dir: Direction) => [...seen].reverse().find((s) => s.dir === dir && s.p.vtag !== 0)!.p.vtag;
  return { link, sg, sgAssoc, sgPort, aspPort, relay, seen, states, assocs, received, healthy, aspTag: tagSeen('s2c'), sgTag: tagSeen('c2s') };
}

function noUserDataAborts(seen: Array<{ dir: Direction; p: WirePacket }>, dir: Direction) {
  return seen
    .filter((s) => s.dir === dir)
    .flatMap((s) => s.p.chunks.filter((c) => c.type === CHUNK.ABORT).map((c) => ({ vtag: s.p.vtag, crcOk: s.p.crcOk, causes: errorCauses(c.value) })));
}

describe('AspTransferLink: an association killed by one packet (M3UA BEAT disabled)', () => {
  it('empty DATA at the switch: ASP leaves ASP-ACTIVE at once, the SG gets ABORT "No User Data", the link reconnects from the same port', async () => {
    const { link, sgPort, aspPort, relay, seen, states, assocs, received, healthy, aspTag, sgTag } = await linkUp();
    expect(healthy()).toBe(true);
    const mark = seen.length;
    const before = states.length;
    const t0 = performance.now();
    relay.inject('s2c', sctpPacket({ srcPort: sgPort, dstPort: aspPort, vtag: aspTag }, [dataChunk({ tsn: 4242 })]));
    await until(() => link.status()[0].state !== 'ASP_ACTIVE', 1000);
    const down = states.slice(before).find((s) => s.state === 'ASP_DOWN')!;
    const lossMs = down.at - t0;
    expect(lossMs).toBeLessThan(100);
    expect(healthy()).toBe(false);
    expect(link.sendTransfer(msu(1))).toBe(false);

    await until(() => noUserDataAborts(seen.slice(mark), 'c2s').length > 0, 1000);
    const [abort] = noUserDataAborts(seen.slice(mark), 'c2s');
    expect(abort).toMatchObject({ vtag: sgTag, crcOk: true });
    expect(abort.causes.map((c) => [c.code, c.length, c.info.readUInt32BE(0)])).toEqual([[CAUSE.NO_USER_DATA, 8, 4242]]);

    await until(() => link.status()[0].state === 'ASP_ACTIVE', 5000);
    const backMs = performance.now() - t0;
    console.log(`switch side: ASP_DOWN ${lossMs.toFixed(1)} ms after the packet, ASP_ACTIVE again after ${backMs.toFixed(0)} ms`);
    expect(assocs.length).toBeGreaterThanOrEqual(2);
    expect(assocs.at(-1)!.localPort).toBe(aspPort);
    const n = received.length;
    expect(link.sendTransfer(msu(2))).toBe(true);
    await until(() => received.length > n, 2000);
  }, 10_000);

  it('empty DATA at the SG: its ABORT reaches the switch, which leaves ASP-ACTIVE at once; the SG listens again and takes the reconnection', async () => {
    const { link, sgAssoc, sgPort, aspPort, relay, seen, states, received, healthy, sgTag, aspTag } = await linkUp();
    const mark = seen.length;
    const before = states.length;
    const sgDown: string[] = [];
    sgAssoc.on('down', (r: string) => sgDown.push(r));
    const t0 = performance.now();
    relay.inject('c2s', sctpPacket({ srcPort: aspPort, dstPort: sgPort, vtag: sgTag }, [dataChunk({ tsn: 99 })]));
    await until(() => link.status()[0].state !== 'ASP_ACTIVE', 1000);
    const lossMs = states.slice(before).find((s) => s.state === 'ASP_DOWN')!.at - t0;
    expect(lossMs).toBeLessThan(100);
    expect(healthy()).toBe(false);
    expect(sgDown).toEqual(['ABORT sent: DATA chunk without user data (RFC 9260 §6.2)']);
    const [abort] = noUserDataAborts(seen.slice(mark), 's2c');
    expect(abort).toMatchObject({ vtag: aspTag, crcOk: true });
    expect(abort.causes.map((c) => [c.code, c.info.readUInt32BE(0)])).toEqual([[CAUSE.NO_USER_DATA, 99]]);

    await until(() => link.status()[0].state === 'ASP_ACTIVE', 5000);
    console.log(`SG side: switch ASP_DOWN ${lossMs.toFixed(1)} ms after the packet, ASP_ACTIVE again after ${(performance.now() - t0).toFixed(0)} ms`);
    expect(sgAssoc.isUp).toBe(true);
    const n = received.length;
    expect(link.sendTransfer(msu(3))).toBe(true);
    await until(() => received.length > n, 2000);
  }, 10_000);
});
