/**
 * Erlang/OTP megaco as the tests' H.248 peer: compiles test/peers/megaco/*.erl with erlc into a
 * temp dir once per process, then starts
 *  - an MG (ssw_mg): registers with ServiceChange, answers Add/Modify/Subtract/Audit, takes
 *    commands on stdin and reports what it sees as "EVENT name k=v ..." lines;
 *  - the codec oracle (ssw_oracle): OTP's pretty and compact text encoders behind a line protocol.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PEERS = join(dirname(fileURLToPath(import.meta.url)), '..', 'peers', 'megaco');

let present: boolean | undefined;
let compiledDir: string | undefined;

/** True when erl, erlc and OTP's megaco application (with its headers) are installed. */
export function hasErlangMegaco(): boolean {
  if (present !== undefined) return present;
  const erl = spawnSync('erl', ['-noshell', '-eval', 'io:format("~s", [code:lib_dir(megaco)]), halt().'], { encoding: 'utf8', timeout: 20_000 });
  const lib = erl.status === 0 ? erl.stdout.trim() : '';
  present = lib.length > 0 && existsSync(join(lib, 'include', 'megaco_message_v1.hrl')) && spawnSync('erlc', ['-h'], { stdio: 'ignore' }).error === undefined;
  return present;
}

export const MEGACO_MISSING = 'Erlang/OTP megaco is not installed (apt-get install erlang-base erlang-megaco erlang-dev): H.248 interop tests skipped';

/** Compiles the peer modules (once per process) and returns the directory holding the .beam files. */
export function compilePeers(): string {
  if (compiledDir) return compiledDir;
  const dir = mkdtempSync(join(tmpdir(), 'ssw-megaco-'));
  const sources = readdirSync(PEERS).filter((f) => f.endsWith('.erl')).map((f) => join(PEERS, f));
  execFileSync('erlc', ['-o', dir, ...sources], { stdio: 'pipe', timeout: 60_000 });
  compiledDir = dir;
  return dir;
}

export interface MgEvent {
  name: string;
  fields: Record<string, string>;
  line: string;
}

export interface MegacoMg {
  /** The MG's own UDP port (from its "ready" event). */
  readonly port: number;
  /** Name of its MID, e.g. "mg1" for "<mg1>". */
  readonly name: string;
  readonly events: MgEvent[];
  /** Sends one stdin command (see ssw_mg.erl). */
  command(line: string): void;
  /** Resolves with the first event (already seen or to come) named `name` whose fields match. */
  waitFor(name: string, match?: (e: MgEvent) => boolean, timeoutMs?: number): Promise<MgEvent>;
  /** Everything the MG printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface MgOptions {
  mgcPort: number;
  mgcHost?: string;
  encoding: 'pretty' | 'compact';
  name?: string;
  /** Speak H.248 v3 and segment replies over 200 bytes, one segment outstanding (ssw_mg v3seg). */
  segmentation?: boolean;
}

function parseEvent(line: string): MgEvent | undefined {
  const m = /^EVENT (\S+)(?: (.*))?$/.exec(line);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const kv of (m[2] ?? '').split(' ')) {
    const i = kv.indexOf('=');
    if (i > 0) fields[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { name: m[1], fields, line };
}

export async function startMegacoMg(opts: MgOptions): Promise<MegacoMg> {
  const dir = compilePeers();
  const name = opts.name ?? 'mg1';
  const child: ChildProcess = spawn(
    'erl',
    ['-noshell', '-pa', dir, '-s', 'ssw_mg', 'start', opts.mgcHost ?? '127.0.0.1', String(opts.mgcPort), opts.encoding, name, ...(opts.segmentation ? ['v3seg'] : [])],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const events: MgEvent[] = [];
  const waiters: Array<{ name: string; match: (e: MgEvent) => boolean; resolve: (e: MgEvent) => void }> = [];
  const lines: string[] = [];
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const onLine = (line: string): void => {
    lines.push(line);
    if (lines.length > 2000) lines.shift();
    const e = parseEvent(line);
    if (!e) return;
    events.push(e);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w.name === e.name && w.match(e)) {
        waiters.splice(i, 1);
        w.resolve(e);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(`stderr: ${l}`));

  const mg: MegacoMg = {
    port: 0,
    name,
    events,
    command(line) {
      if (!exited) child.stdin!.write(line + '\n');
    },
    waitFor(evName, match = () => true, timeoutMs = 10_000) {
      const seen = events.find((e) => e.name === evName && match(e));
      if (seen) return Promise.resolve(seen);
      return new Promise<MgEvent>((resolve, reject) => {
        const w = {
          name: evName,
          match,
          resolve: (e: MgEvent) => {
            clearTimeout(t);
            resolve(e);
          },
        };
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`megaco MG: no "${evName}" event within ${timeoutMs} ms; output:\n${lines.slice(-40).join('\n')}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    output: () => lines.join('\n'),
    async stop() {
      if (exited) return;
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedP;
      clearTimeout(t);
    },
  };
  try {
    const ready = await mg.waitFor('ready', () => true, 20_000);
    return { ...mg, port: Number(ready.fields.port) };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

/** OTP's text encoders behind a line protocol (ssw_oracle.erl). */
export interface MegacoOracle {
  /** OTP decodes `bytes`; on success, OTP's own pretty and compact encodings of what it read. */
  decode(bytes: Buffer): Promise<{ ok: true; pretty: Buffer; compact: Buffer } | { ok: false; reason: string }>;
  /** Messages OTP built from records, in both encodings. */
  samples(): Promise<Array<{ name: string; pretty: Buffer; compact: Buffer }>>;
  stop(): Promise<void>;
}

export async function startMegacoOracle(): Promise<MegacoOracle> {
  const dir = compilePeers();
  const child = spawn('erl', ['-noshell', '-pa', dir, '-s', 'ssw_oracle', 'main'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const queue: Array<(line: string) => void> = [];
  const unread: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const w = queue.shift();
    if (w) w(line);
    else unread.push(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = (): Promise<string> => {
    const l = unread.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`megaco oracle did not answer; stderr: ${stderr}`)), 20_000);
      queue.push((line) => {
        clearTimeout(t);
        resolve(line);
      });
    });
  };
  return {
    async decode(bytes) {
      const answer = next();
      child.stdin.write(`D ${bytes.toString('base64')}\n`);
      const line = await answer;
      if (line.startsWith('OK ')) {
        const [, p, c] = line.split(' ');
        return { ok: true, pretty: Buffer.from(p, 'base64'), compact: Buffer.from(c, 'base64') };
      }
      return { ok: false, reason: line.replace(/^ERR /, '') };
    },
    async samples() {
      const out: Array<{ name: string; pretty: Buffer; compact: Buffer }> = [];
      const lines: string[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const take = (): void => {
          next().then((l) => {
            if (l === 'END') resolve();
            else {
              lines.push(l);
              take();
            }
          }, reject);
        };
        take();
      });
      child.stdin.write('S\n');
      await done;
      for (const l of lines) {
        const [, name, p, c] = l.split(' ');
        out.push({ name, pretty: Buffer.from(p, 'base64'), compact: Buffer.from(c, 'base64') });
      }
      return out;
    },
    async stop() {
      child.stdin.end('Q\n');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
