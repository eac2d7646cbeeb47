/**
 * Gives the event loop a CPU of its own (config `runtime.eventLoopCpu`): the main thread is bound
 * to that CPU and every other thread of the process (the SIP UDP I/O thread, V8's helpers, libuv's
 * pool, the deck worker) and every child process (the deck builder, osmo-mgw in the lab) to the
 * rest. Threads and children made later inherit the main thread's binding, so they are moved on a
 * rescan every `rescanMs` (default 250): until then they share the event loop's CPU.
 *
 * Why: on a small host the kernel left the event loop runnable but waiting for a CPU while the
 * other CPU idled (measured on a 2-core VM under a 2× offer: waiting 11–15 % of the time with the
 * host 45 % idle), and the switch's own helpers and neighbours preempted it for whole scheduler
 * ticks. Bound this way it waited 0 % (bench overload: capacity 2,751 → 2,980 calls/s).
 *
 * Linux only, through util-linux `taskset` (Node has no affinity call); where either is missing,
 * or the process may use fewer than two CPUs, it says so once and does nothing.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
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

export class CpuPlacement {
  private readonly placed = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private others = '';
  private knownChildren: number[] = [];
  /** Process ids of the taskset runs this placement started and that have not ended. */
  private readonly ownTasksets = new Set<number>();
  /** Process ids present at the last rescan. */
  private seen = new Set<number>();
  private all = '';
  private failures = 0;
  private stopped = false;
  private scanning = false;

  constructor(private readonly o: CpuPlacementOptions) {}

  /** Binds the threads there are now; false (and a log line) when it cannot. */
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
    this.others = cpus.filter((c) => c !== this.o.eventLoopCpu).join(',');
    this.all = cpus.join(',');
    if (!(await this.bind(process.pid, String(this.o.eventLoopCpu), false))) {
      log.warn('runtime.eventLoopCpu: taskset (util-linux) failed or is missing; the event loop is not bound');
      return false;
    }
    this.placed.add(process.pid);
    await this.rescan();
    log.info({ eventLoopCpu: this.o.eventLoopCpu, otherThreads: this.others }, 'event loop bound to its CPU; other threads and child processes on the rest');
    this.timer = setInterval(() => void this.rescan(), this.o.rescanMs ?? 250);
    this.timer.unref();
    return true;
  }

  /** Stops rescanning and lets the main thread run anywhere again (threads and children stay where they are). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    if (this.all) await this.bind(process.pid, this.all, false);
  }

  /** Moves threads and child processes not seen before off the event loop's CPU (one rescan at a time: a slow one is not overtaken). */
  async rescan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      await this.placeNew();
    } finally {
      this.scanning = false;
    }
  }

  private async placeNew(): Promise<void> {
    const tids = (await readdir('/proc/self/task').catch(() => [] as string[])).map(Number);
    const children = await this.children();
    // Forget what has ended, so the set stays as large as what runs (and a reused id is bound again).
    const now = new Set([...tids, ...children]);
    for (const id of this.placed) if (id !== process.pid && !now.has(id)) this.placed.delete(id);
    for (const tid of tids) {
      if (this.placed.has(tid) || this.stopped) continue;
      if (await this.bind(tid, this.others, false)) this.placed.add(tid);
    }
    for (const child of children) {
      if (this.placed.has(child) || this.stopped) continue;
      if (await this.bind(child, this.others, true)) this.placed.add(child);
    }
  }

  /**
   * Process ids whose parent is this process: the known ones still there, and new ones. Only ids
   * absent from the previous rescan are read, so a rescan reads a handful of files rather than the
   * whole process table (ids do not only grow: they wrap, and this host had 31,318 beside 15,000).
   */
  private async children(): Promise<number[]> {
    const ids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => n.charCodeAt(0) <= 57).map(Number);
    const present = new Set(ids);
    this.knownChildren = this.knownChildren.filter((c) => present.has(c));
    for (const id of ids) {
      if (this.seen.has(id) || this.knownChildren.includes(id) || this.ownTasksets.has(id)) continue;
      const stat = await readFile(`/proc/${id}/stat`, 'latin1').catch(() => '');
      // Fields after the command name: state, then the parent's pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) this.knownChildren.push(id);
    }
    this.seen = present;
    return this.knownChildren.slice();
  }

  /** `taskset -p [-a] -c CPUS ID`; false when it failed (counted, the first failures logged). */
  private bind(id: number, cpus: string, allThreads: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const helper = execFile(this.o.taskset ?? 'taskset', [...(allThreads ? ['-a'] : []), '-p', '-c', cpus, String(id)], (err) => {
        if (helper.pid !== undefined) this.ownTasksets.delete(helper.pid);
        // A missing taskset is said once by start(); a thread or child that ended before its bind is not worth more than debug.
        if (err && (err as NodeJS.ErrnoException).code !== 'ENOENT' && this.failures++ < 3) {
          this.o.log.debug({ id, cpus, err: err.message }, 'taskset failed (the thread or process may have ended)');
        }
        resolve(!err);
      });
      // Its own taskset runs are children too: never bound themselves (that would start a taskset for every taskset).
      if (helper.pid !== undefined) this.ownTasksets.add(helper.pid);
    });
  }
}
