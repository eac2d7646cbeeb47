/**
 * Live capture on loopback with dumpcap (classic pcap, so our own pcap reader can read it too),
 * for tests that let tshark judge what really crossed the wire. Needs root or CAP_NET_RAW.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Capture {
  /** Stops capturing and returns the pcap path once dumpcap has flushed it. */
  stop(): Promise<string>;
}

let captureProbe: boolean | undefined;

/** True when dumpcap can really capture on loopback here (tried once: a one-second capture). */
export function canCapture(): boolean {
  if (captureProbe !== undefined) return captureProbe;
  if (spawnSync('which', ['dumpcap']).status !== 0) return (captureProbe = false);
  const probe = spawnSync('dumpcap', ['-i', 'lo', '-a', 'duration:1', '-q', '-w', '/dev/null'], { encoding: 'utf8', timeout: 10_000 });
  return (captureProbe = probe.status === 0);
}

export async function startCapture(filter: string): Promise<Capture> {
  const path = join(mkdtempSync(join(tmpdir(), 'ssw-cap-')), 'capture.pcap');
  const child: ChildProcess = spawn('dumpcap', ['-i', 'lo', '-f', filter, '-P', '-w', path, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`dumpcap did not start capturing: ${err}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Capturing on/.test(err)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`dumpcap exited (${code}): ${err}`));
    });
  });
  return {
    async stop() {
      // Let the last packets reach the capture buffer before stopping.
      await new Promise((r) => setTimeout(r, 300));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await exited;
      return path;
    },
  };
}
