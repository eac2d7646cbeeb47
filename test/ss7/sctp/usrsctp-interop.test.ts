/**
 * Interop with an independent SCTP stack: usrsctp (the FreeBSD stack in user space) as an echo
 * peer over UDP encapsulation, traffic captured on loopback and judged by tshark.
 */
import { canCapture } from '../../helpers/capture.js';
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectSctpOverUdp } from '../../../src/ss7/sctp/udp-transport.js';
import { PPID_M3UA } from '../../../src/ss7/sctp/association.js';
import { M3uaOrderCheck, waitFor } from './pair.js';
import { correlationIdOf, m3uaData } from './m3ua-payload.js';
import { freeUdpPort } from './free-port.js';

const here = dirname(fileURLToPath(import.meta.url));
const haveHeader = existsSync('/usr/include/usrsctp.h');
const haveTools = ['gcc', 'dumpcap', 'tshark'].every((t) => spawnSync('which', [t]).status === 0) && canCapture();
const reason = !haveHeader ? 'usrsctp.h missing (apt-get install libusrsctp-dev)' : !haveTools ? 'gcc, dumpcap or tshark missing, or capture on lo not permitted' : '';
if (reason) console.warn(`skipping usrsctp interop: ${reason}`);

function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const t = setTimeout(() => reject(new Error(`no ${pattern} from child within ${ms} ms; got: ${seen}`)), ms);
    child[stream]!.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = seen.match(pattern);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    });
  });
}

function exited(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

describe.skipIf(!!reason)('interop with usrsctp over UDP encapsulation', () => {
  it('carries 10,000 M3UA DATA (PPID 3) messages each way in order, shuts down cleanly, and every packet has a good CRC32c', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'usrsctp-'));
    const peerBin = join(dir, 'usrsctp-peer');
    const pcap = join(dir, 'lo.pcapng');
    let peer: ChildProcess | undefined;
    let capture: ChildProcess | undefined;
    try {
      execFileSync('gcc', ['-O2', '-o', peerBin, join(here, 'usrsctp-peer.c'), '-lusrsctp', '-lpthread'], { stdio: 'pipe' });
      const port = await freeUdpPort();

      capture = spawn('dumpcap', ['-i', 'lo', '-f', `udp port ${port}`, '-w', pcap, '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const capturing = waitForLine(capture, 'stderr', /Capturing on/, 10_000);
      await capturing;

      peer = spawn(peerBin, [String(port), String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const done = waitForLine(peer, 'stdout', /DONE \d+ \d+/, 25_000);
      await waitForLine(peer, 'stdout', /READY/, 5000);

      const t0 = Date.now();
      const client = await connectSctpOverUdp({ localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: port, streams: 4 });
      await waitFor(client, 'up', 5000);
      const setupMs = Date.now() - t0;
      expect(client.outboundStreams).toBe(4);

      const check = new M3uaOrderCheck(correlationIdOf);
      const ppids = new Set<number>();
      client.on('message', (d: Buffer, s: number, p: number) => (check.accept(d, s), ppids.add(p)));
      const n = 10_000;
      const t1 = Date.now();
      const size = m3uaData(0).length;
      for (let i = 0; i < n; i++) client.send(m3uaData(i >> 2), i % 4, PPID_M3UA);
      for (let t = 0; t < 800 && check.received < n; t++) await new Promise((r) => setTimeout(r, 25));
      const echoMs = Date.now() - t1;
      expect(check).toMatchObject({ received: n, errors: 0 });
      for (let s = 0; s < 4; s++) expect(check.next.get(s)).toBe(n / 4);
      expect([...ppids]).toEqual([PPID_M3UA]);

      const down = waitFor<[string]>(client, 'down', 5000);
      await client.close();
      expect((await down)[0]).toBe('shutdown');
      expect(await done).toBe(`DONE ${n} ${n * size}`);
      expect(await exited(peer, 5000)).toBe(0);
      console.info(`usrsctp interop: up in ${setupMs} ms, ${n} echoes in ${echoMs} ms`);

      await new Promise((r) => setTimeout(r, 200));
      capture.kill('SIGINT');
      await exited(capture, 5000);

      const tshark = (filter: string) =>
        execFileSync('tshark', ['-r', pcap, '-o', 'sctp.checksum:CRC 32c', '-d', `udp.port==${port},sctp`, '-Y', filter], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
          .trim()
          .split('\n')
          .filter((l) => l.length > 0).length;
      expect(tshark('sctp.checksum.status == 0 || _ws.malformed')).toBe(0);
      expect(tshark('sctp.checksum.status == 1')).toBeGreaterThan(100);
      expect(tshark('sctp.chunk_type == 0 && sctp.data_payload_proto_id == 3')).toBeGreaterThan(50);
      expect(tshark('sctp.chunk_type == 7')).toBeGreaterThanOrEqual(1); // SHUTDOWN
      expect(tshark('sctp.chunk_type == 8')).toBeGreaterThanOrEqual(1); // SHUTDOWN ACK
      expect(tshark('sctp.chunk_type == 14')).toBeGreaterThanOrEqual(1); // SHUTDOWN COMPLETE
    } finally {
      peer?.kill('SIGKILL');
      capture?.kill('SIGKILL');
      if (!process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
      else console.info(`kept ${dir}`);
    }
  }, 45_000);
});
