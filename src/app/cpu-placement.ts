/**
 * Gives the event loop a CPU of its own (config `runtime.eventLoopCpu`): the main thread is bound
 * to that CPU and every other thread of the process (the SIP UDP I/O thread, V8's helpers, libuv's
 * pool, the deck worker) and every child process (the deck builder, osmo-mgw in the lab) to the
 * rest. Threads and children made later inherit the main thread's binding, so they are moved on a
 * rescan every `rescanMs` (default 250): until then they share the event loop's CPU.
 *
 * The rescans run in a helper (bash, started once, on the other CPUs), not on the event loop: a
 * process forked by the event loop stalls it for the fork (measured: 1.2–8.6 ms per `taskset` spawn
 * from a 350 MB process, on the loop's CPU), and a rescan forks a taskset for every new thread or
 * child (the deck builder on a rate-deck reload, say). The helper reads /proc/PID/task/TID/children
 * (the children of every thread) and ends when its standard input closes, so it never outlives the
 * switch.
 *
 * Why: on a small host the kernel left the event loop runnable but waiting for a CPU while the
 * other CPU idled (measured on a 2-core VM under a 2× offer: waiting 11–15 % of the time with the
 * host 45 % idle), and the switch's own helpers and neighbours preempted it for whole scheduler
 * ticks. Bound this way it waited 0 % (bench overload: capacity 2,751 → 2,980 calls/s).
 *
 * Linux only, through util-linux `taskset` (Node has no affinity call); where either is missing,
 * or the process may use fewer than two CPUs, it says so once and does nothing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from '../util/log.js';

export interface CpuPlacementOptions {
  eventLoopCpu: number;
  /** How often threads and child processes made since are moved off the event loop's CPU (ms). */
  rescanMs?: number;
  log: Logger;
  /** The taskset binary (tests). */
  taskset?: string;
}

/** CPUs in a Linux list ("0-3,6"). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let c = a; c <= (Number.isInteger(b) ? b : a); c++) out.push(c);
  }
  return out;
}

/** The CPUs this process's main thread may run on (/proc/self/status), or undefined off Linux. */
export function allowedCpus(): number[] | undefined {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? parseCpuList(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The helper's script: $1 the switch's pid, $2 the CPUs for everything but its main thread, $3 the
 * rescan period (s). Each scan binds threads and children not bound before and prints `failed ID`
 * for a bind that failed; a line on its input asks for a scan now (answered `scanned`); the end
 * of its input ends it. Bindings of what has ended are forgotten, so a reused id is bound again.
 */
const HELPER_SCRIPT = `
pid=$1; cpus=$2; period=$3
declare -A placed
scan() {
  local -A now
  local t id f kids
  for t in /proc/$pid/task/*; do
    id=\${t##*/}
    [[ $id == "$pid" ]] && continue
    now[$id]=1
    [[ -n \${placed[$id]} ]] && continue
    if taskset -p -c "$cpus" "$id" >/dev/null 2>&1; then placed[$id]=1; else echo "failed $id"; fi
  done
  for f in /proc/$pid/task/*/children; do
    read -r -a kids < "$f" 2>/dev/null
    for id in "\${kids[@]}"; do
      [[ $id == "$$" ]] && continue
      now[$id]=1
      [[ -n \${placed[$id]} ]] && continue
      if taskset -a -p -c "$cpus" "$id" >/dev/null 2>&1; then placed[$id]=1; else echo "failed $id"; fi
    done
    kids=()
  done
  for id in "\${!placed[@]}"; do [[ -n \${now[$id]} ]] || unset "placed[$id]"; done
}
while kill -0 "$pid" 2>/dev/null; do
  scan
  if read -r -t "$period" line; then scan; echo scanned
  elif (( $? <= 128 )); then exit 0
  fi
done
`;

export class CpuPlacement {
  private helper: ChildProcess | undefined;
  private all = '';
  private failures = 0;
  private stopped = false;
  /** Callers of rescan() waiting for the helper's next `scanned`. */
  private waiting: Array<() => void> = [];

  constructor(private readonly o: CpuPlacementOptions) {}

  /** Binds the event loop and starts the helper that moves every other thread; false (and a log line) when it cannot. */
  async start(): Promise<boolean> {
    const cpus = allowedCpus();
    const log = this.o.log;
    if (!cpus) {
      log.warn('runtime.eventLoopCpu: this system does not say which CPUs the process may use (not Linux); the event loop is not bound');
      return false;
    }
    if (!cpus.includes(this.o.eventLoopCpu) || cpus.length < 2) {
      log.warn({ eventLoopCpu: this.o.eventLoopCpu, allowed: cpus }, 'runtime.eventLoopCpu: needs a CPU this process may use and at least one more; the event loop is not bound (fix runtime.eventLoopCpu)');
      return false;
    }
    const others = cpus.filter((c) => c !== this.o.eventLoopCpu).join(',');
    this.all = cpus.join(',');
    const taskset = this.o.taskset ?? 'taskset';
    // The helper starts on the other CPUs, so its scans and tasksets never take the event loop's.
    const helper = spawn(taskset, ['-c', others, 'bash', '-c', HELPER_SCRIPT, 'cpu-placement', String(process.pid), others, String((this.o.rescanMs ?? 250) / 1000)], { stdio: ['pipe', 'pipe', 'ignore'] });
    const spawned = await new Promise<boolean>((resolve) => {
      helper.once('spawn', () => resolve(true));
      helper.once('error', () => resolve(false));
    });
    if (!spawned) {
      log.warn('runtime.eventLoopCpu: taskset (util-linux) or bash is missing; the event loop is not bound');
      return false;
    }
    this.helper = helper;
    helper.stdin!.on('error', () => {}); // a helper that ended: said by its exit
    createInterface({ input: helper.stdout! }).on('line', (line) => this.heard(line));
    helper.once('exit', (code, signal) => {
      this.helper = undefined;
      for (const w of this.waiting.splice(0)) w();
      if (!this.stopped) log.warn({ code, signal }, 'runtime.eventLoopCpu: the placement helper ended; threads made from now on share the event loop\'s CPU (restart the switch to bind them)');
    });
    if (!(await this.bind(process.pid, String(this.o.eventLoopCpu)))) {
      log.warn('runtime.eventLoopCpu: taskset (util-linux) failed; the event loop is not bound');
      await this.stop();
      return false;
    }
    await this.rescan();
    log.info({ eventLoopCpu: this.o.eventLoopCpu, otherThreads: others }, 'event loop bound to its CPU; other threads and child processes on the rest');
    return true;
  }

  /** Ends the helper and lets the main thread run anywhere again (threads and children stay where they are). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const helper = this.helper;
    if (helper) {
      const ended = new Promise<void>((r) => helper.once('exit', () => r()));
      helper.stdin!.end();
      await ended;
    }
    if (this.all) await this.bind(process.pid, this.all);
  }

  /** Resolves once the helper has scanned after this call (at once when there is no helper). */
  rescan(): Promise<void> {
    const helper = this.helper;
    if (!helper || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      helper.stdin!.write('scan\n');
    });
  }

  private heard(line: string): void {
    if (line === 'scanned') {
      this.waiting.shift()?.();
      return;
    }
    // A thread or child that ended before its bind is not worth more than debug.
    if (line.startsWith('failed ') && this.failures++ < 3) this.o.log.debug({ id: Number(line.slice(7)) }, 'taskset failed (the thread or process may have ended)');
  }

  /** `taskset -p -c CPUS ID` for the main thread (at start and stop only: a fork from the event loop stalls it). */
  private bind(id: number, cpus: string): Promise<boolean> {
    return new Promise((resolve) => {
      execFile(this.o.taskset ?? 'taskset', ['-p', '-c', cpus, String(id)], (err) => resolve(!err));
    });
  }
}
