import { acceptSctpOverUdp, connectSctpOverUdp, type SctpOverUdpOptions } from '../../../src/ss7/sctp/udp-transport.js';
import type { SctpTransportAssociation } from '../../../src/ss7/sctp/package-association.js';

export type Tuning = Partial<Omit<SctpOverUdpOptions, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>>;

export function waitFor<T extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for '${event}'`)), ms);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(t);
      resolve(args as T);
    });
  });
}

/** A passive server on an OS-chosen port; the client connects to `via` (a relay) or straight to it. */
export async function pair(
  tuning: Tuning = {},
  via?: (serverPort: number) => Promise<number>,
): Promise<{ client: SctpTransportAssociation; server: SctpTransportAssociation }> {
  const server = await acceptSctpOverUdp({ localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: 0, ...tuning });
  const target = via ? await via(server.localPort) : server.localPort;
  const serverUp = waitFor(server, 'up');
  const client = await connectSctpOverUdp({ localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: target, remoteSctpPort: server.localPort, ...tuning });
  await Promise.all([waitFor(client, 'up', 10_000), serverUp]);
  return { client, server };
}

/** Message i on a stream: 4-byte stream, 4-byte sequence, filler. */
export function numbered(stream: number, seq: number, size = 48): Buffer {
  const b = Buffer.alloc(size, 0x5a);
  b.writeUInt32BE(stream, 0);
  b.writeUInt32BE(seq, 4);
  return b;
}

/** Checks per-stream order of numbered messages as they arrive. */
export class OrderCheck {
  readonly next = new Map<number, number>();
  received = 0;
  errors = 0;
  corrupt = 0;
  accept(data: Buffer, stream: number): void {
    this.received++;
    if (data.length < 8 || data.readUInt32BE(0) !== stream || data.subarray(8).some((x) => x !== 0x5a)) {
      this.corrupt++;
      return;
    }
    const seq = data.readUInt32BE(4);
    const want = this.next.get(stream) ?? 0;
    if (seq !== want) this.errors++;
    this.next.set(stream, seq + 1);
  }
}

/** Per-stream order of M3UA DATA messages numbered by Correlation Id. */
export class M3uaOrderCheck {
  readonly next = new Map<number, number>();
  received = 0;
  errors = 0;
  constructor(private readonly seqOf: (msg: Buffer) => number) {}
  accept(data: Buffer, stream: number): void {
    this.received++;
    const seq = this.seqOf(data);
    const want = this.next.get(stream) ?? 0;
    if (seq !== want) this.errors++;
    this.next.set(stream, seq + 1);
  }
}
