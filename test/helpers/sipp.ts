/**
 * Runs SIPp (sip-tester) as a real peer. Every run gets OS-chosen free ports for -p, -mp and
 * -cp and a -timeout, plus a hard kill a few seconds later, so a stuck scenario cannot hang a test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';

export function hasSipp(): boolean {
  return spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
}

/** A UDP port the OS reports free on 127.0.0.1 (bound, read and released). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A port free for both UDP and TCP (SIPp's control port is UDP, some modes open TCP). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freeUdpPort();
    const ok = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

export interface SippStats {
  successful: number;
  failed: number;
  created: number;
}

export interface SippResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  stats: SippStats;
  /** The -p port SIPp used. */
  localPort: number;
}

export interface SippOptions {
  /** A built-in scenario name (-sn) or a path to an XML scenario (-sf). */
  scenario: 'uac' | 'uas' | 'branchc' | 'branchs' | string;
  /** host:port of the system under test (omitted for a pure uas). */
  target?: string;
  localPort?: number;
  args?: string[];
  /** Passed as -timeout; the process is killed 5 s after it. */
  timeoutS: number;
  /** Called with SIPp's pid once it is spawned (e.g. to sample its CPU time). */
  onSpawn?: (pid: number) => void;
  /** Working directory of SIPp, where its trace files (-trace_rtt, -trace_err) land. */
  cwd?: string;
}

function counter(stdout: string, label: string): number {
  const rows = [...stdout.matchAll(new RegExp(`${label}\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)`, 'g'))];
  const last = rows[rows.length - 1];
  return last ? Number(last[2]) : 0;
}

/**
 * Runs SIPp; when it could not bind a port it was given as free (another process on the shared
 * host took it meanwhile: "errno = 98") before doing anything, it runs again on fresh ports (3 tries).
 */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  for (let attempt = 1; ; attempt++) {
    const r = await runSippOnce(opts);
    const lostPort = r.exitCode !== 0 && /Unable to bind .*errno = 98/.test(r.stdout + r.stderr);
    if (!lostPort || attempt >= 3) return r;
  }
}

async function runSippOnce(opts: SippOptions): Promise<SippResult> {
  const localPort = opts.localPort ?? (await freeUdpPort());
  const mediaPort = await freePortPair();
  const controlPort = await freePortPair();
  const builtIn = ['uac', 'uas', 'branchc', 'branchs', 'regexp', 'uac_pcap', '3pcc-A', '3pcc-B', '3pcc-C-A', '3pcc-C-B'];
  const scenarioArgs = builtIn.includes(opts.scenario) ? ['-sn', opts.scenario] : ['-sf', opts.scenario];
  const argv = [
    ...(opts.target ? [opts.target] : []),
    ...scenarioArgs,
    '-i', '127.0.0.1',
    '-p', String(localPort),
    '-mp', String(mediaPort),
    '-cp', String(controlPort),
    '-nostdin',
    // SIPp 3.6.1 ignores -timeout unless -timeout_error is given too (measured here).
    '-timeout', `${opts.timeoutS}s`,
    '-timeout_error',
    ...(opts.args ?? []),
  ];
  return new Promise((resolve) => {
    // BENCH_PEER_CPUS: a benchmark that gave the switch's event loop a CPU of its own starts SIPp on the others (taskset execs it: same pid).
    const cpus = process.env.BENCH_PEER_CPUS;
    const child = cpus ? spawn('taskset', ['-c', cpus, 'sipp', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd }) : spawn('sipp', argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), (opts.timeoutS + 5) * 1000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({
        exitCode: code,
        stdout,
        stderr,
        localPort,
        stats: { successful: counter(stdout, 'Successful call'), failed: counter(stdout, 'Failed call'), created: counter(stdout, 'Call Rate|Outgoing calls created') },
      });
    });
  });
}

/**
 * Resolves once something listens on UDP `port` (Linux /proc/net/udp{,6}), so a test does not send
 * to a SIPp uas that has been spawned but not yet bound (on a loaded host that took over a second,
 * and the switch's INVITE met ICMP port unreachable). Gives up quietly after `timeoutMs`.
 */
export async function udpBound(port: number, timeoutMs = 10_000): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let readable = 0;
    for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
      let table: string;
      try {
        table = readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      readable++;
      if (table.split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(`:${hex}`))) return;
    }
    if (readable === 0) return; // not Linux: nothing to wait on
    await new Promise((r) => setTimeout(r, 20));
  }
}
