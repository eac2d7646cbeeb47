/**
 * A drachtio-server child process on loopback for the drachtio adapter's integration tests: the
 * binary built by scripts/build-drachtio.sh (its cache, or $DRACHTIO_BIN), a config file in a temp
 * directory with an admin port and a SIP port picked free. `skipReason` says how to get the binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './sipp.js';

function cacheDir(): string {
  if (process.env.DRACHTIO_CACHE) return process.env.DRACHTIO_CACHE;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'softswitch', 'drachtio');
}

/** The drachtio-server binary to run, or undefined when none has been built. */
export function drachtioBinary(): string | undefined {
  const candidates = [process.env.DRACHTIO_BIN, join(cacheDir(), 'current', 'drachtio')].filter((p): p is string => !!p);
  return candidates.find((p) => existsSync(p));
}

export const drachtioSkipReason = 'no drachtio-server binary: run scripts/build-drachtio.sh (builds ../shared/vendor/drachtio into a cache; about 3 minutes) or set DRACHTIO_BIN';

export interface DrachtioServer {
  readonly host: string;
  readonly adminPort: number;
  readonly sipPort: number;
  readonly secret: string;
  /** Output of the server so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitTcp(port: number, ms: number, child: ChildProcess): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`drachtio-server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`drachtio-server admin port ${port} not open after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts drachtio-server with ports of its own; `ports` pins them (to restart one in place); `homerPort` turns on its HEP3 capture. */
export async function startDrachtioServer(ports: { adminPort?: number; sipPort?: number; homerPort?: number } = {}): Promise<DrachtioServer> {
  const bin = drachtioBinary();
  if (!bin) throw new Error(drachtioSkipReason);
  const adminPort = ports.adminPort ?? (await freeTcpPort());
  const sipPort = ports.sipPort ?? (await freeUdpPort());
  const secret = 'test-secret';
  const dir = mkdtempSync(join(tmpdir(), 'drachtio-'));
  const conf = join(dir, 'drachtio.conf.xml');
  writeFileSync(
    conf,
    `<drachtio>
  <admin port="${adminPort}" secret="${secret}">127.0.0.1</admin>
  <sip>
    <contacts><contact>sip:127.0.0.1:${sipPort};transport=udp</contact></contacts>
    <udp-mtu>4096</udp-mtu>
  </sip>
  <logging><console/><loglevel>${process.env.DRACHTIO_LOGLEVEL ?? 'notice'}</loglevel><sofia-loglevel>1</sofia-loglevel></logging>
</drachtio>
`,
  );
  // $DRACHTIO_LOGLEVEL (e.g. debug) raises the server's log level and keeps all its output, to debug a test.
  // --homer: a HEP3 copy of every SIP message to that UDP port (the switch's call trail takes it).
  const homer = ports.homerPort ? ['--homer', `127.0.0.1:${ports.homerPort}`, '--homer-id', '7'] : [];
  const child = spawn(bin, ['-f', conf, ...homer], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(process.env.DRACHTIO_LOGLEVEL ? -5_000_000 : -20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  try {
    await waitTcp(adminPort, 15_000, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${out}`);
  }
  return {
    host: '127.0.0.1',
    adminPort,
    sipPort,
    secret,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
