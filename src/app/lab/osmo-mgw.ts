/**
 * osmo-mgw as the lab profile's TDM gateway stand-in (and the tests' real MGCP peer), started
 * from a generated config.
 * MGCP listens on 127.0.0.1 at a port the OS says is free; VTY, CTRL and RTP sockets bind to a
 * random 127.x.y.z address of their own so several gateways can run side by side (osmo-mgw
 * ignores a VTY port in its config and its CTRL port is fixed at 4267).
 * Endpoints are `rtpbridge/<hex>@mgw` (from 1) or `rtpbridge/*@mgw`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OsmoMgw {
  /** MGCP UDP port on `address`. */
  port: number;
  /** Always 127.0.0.1. */
  address: string;
  /** Endpoint domain ("mgw"). */
  domain: string;
  /** Address its RTP sockets bind to (appears in its SDP c= lines). */
  rtpAddress: string;
  /** Last lines osmo-mgw wrote (for failure messages). */
  log(): string;
  /** Sends a signal to the osmo-mgw process (fault tests: SIGKILL, SIGSTOP, SIGCONT). */
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

let setprivPresent: boolean | undefined;

/** util-linux setpriv with --pdeathsig (Debian's util-linux has it). */
function hasSetpriv(): boolean {
  if (setprivPresent === undefined) {
    try {
      setprivPresent = /pdeathsig/.test(execFileSync('setpriv', ['--help'], { encoding: 'utf8', stdio: 'pipe', timeout: 5000 }));
    } catch {
      setprivPresent = false;
    }
  }
  return setprivPresent;
}

let cached: boolean | undefined;

/** True when the osmo-mgw binary runs here; tests skip with a clear message otherwise. */
export function hasOsmoMgw(): boolean {
  if (cached === undefined) {
    try {
      execFileSync('osmo-mgw', ['--version'], { stdio: 'pipe', timeout: 5000 });
      cached = true;
    } catch {
      cached = false;
    }
  }
  return cached;
}

export const OSMO_MGW_MISSING = 'osmo-mgw is not installed (apt-get install osmo-mgw)';

function freeUdpPort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, address, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function tcpFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, address, () => srv.close(() => resolve(true)));
  });
}

async function privateLoopback(): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const a = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 256)}.${2 + Math.floor(Math.random() * 250)}`;
    if ((await tcpFree(a, 4243)) && (await tcpFree(a, 4267))) return a;
  }
  throw new Error('no free 127.x.y.z address for osmo-mgw VTY/CTRL');
}

function config(port: number, side: string): string {
  return [
    'log stderr',
    ' logging filter all 1',
    ' logging color 0',
    ' logging print category 1',
    ' logging timestamp 0',
    ' logging print file 0',
    ' logging level set-all notice',
    ' logging level lmgcp info',
    'line vty',
    ` bind ${side}`,
    'ctrl',
    ` bind ${side}`,
    'mgcp',
    ' domain mgw',
    ' bind ip 127.0.0.1',
    ` bind port ${port}`,
    ' rtp port-range 16002 17999',
    ` rtp bind-ip ${side}`,
    ' number endpoints 64',
    ' force-realloc 1',
    ' conn-timeout 0',
    '',
  ].join('\n');
}

/** Sends AUEP until the gateway answers 200, or fails after `timeoutMs`. */
function waitReady(port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    let n = 0;
    const started = Date.now();
    const done = (err?: Error): void => {
      clearInterval(timer);
      s.close();
      if (err) reject(err);
      else resolve();
    };
    s.on('message', (m) => {
      if (/^200 /.test(m.toString('latin1'))) done();
    });
    const timer = setInterval(() => {
      if (exited()) return done(new Error('osmo-mgw exited during start-up'));
      if (Date.now() - started > timeoutMs) return done(new Error('osmo-mgw did not answer AUEP'));
      s.send(`AUEP ${++n} rtpbridge/1@mgw MGCP 1.0\r\n`, port, '127.0.0.1');
    }, 50);
    s.bind(0, '127.0.0.1');
  });
}

/** Starts osmo-mgw; `port` fixes its MGCP port (to restart a gateway where a call agent expects it), else a free one. */
export async function startOsmoMgw(opts: { startTimeoutMs?: number; port?: number } = {}): Promise<OsmoMgw> {
  const dir = mkdtempSync(join(tmpdir(), 'osmo-mgw-'));
  const side = await privateLoopback();
  const port = opts.port ?? (await freeUdpPort('127.0.0.1'));
  const cfg = join(dir, 'osmo-mgw.cfg');
  writeFileSync(cfg, config(port, side));
  // The gateway dies with the switch, even on kill -9 (issue 10, defect 8): util-linux setpriv sets
  // the kernel's parent-death signal for it (PR_SET_PDEATHSIG) before it starts.
  const [cmd, args] = hasSetpriv() ? ['setpriv', ['--pdeathsig', 'KILL', 'osmo-mgw', '-c', cfg]] : ['osmo-mgw', ['-c', cfg]];
  const child: ChildProcess = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exit;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(port, opts.startTimeoutMs ?? 5000, () => exited);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; its output:\n${output}`);
  }
  return { port, address: '127.0.0.1', domain: 'mgw', rtpAddress: side, log: () => output, signal: (sig) => void child.kill(sig), stop };
}
