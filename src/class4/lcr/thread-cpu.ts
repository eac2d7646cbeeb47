/**
 * Per-thread facts from Linux /proc for the deck builder: this thread's task id, its CPU time, and
 * its nice value. Under NPTL the nice value is per thread (setpriority on a task id), so lowering
 * it in one thread leaves the event loop's thread alone. Where /proc says nothing (not Linux),
 * the CPU time is unknown and niceness applies to the whole process.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The priority of background work (the deck worker and builder): a tenth of a normal thread's
 * CPU share when they compete, so the switch's own threads go first. Not the lowest (19, a 1/68
 * share): with the host busy (tests running beside a switch, say) that starved a 1M-prefix build
 * for over a minute.
 */
export const BACKGROUND_NICE = 10;

/** The calling thread's Linux task id, when /proc says. */
export function threadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || undefined;
  } catch {
    return undefined;
  }
}

/** CPU time the calling thread has used, in ms (utime + stime at 100 ticks/s), or -1 when unknown. */
export function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return -1;
  }
}

/** Sets the calling thread's nice value (the whole process's where threads have none of their own); false if not permitted. */
export function niceThisThread(nice: number): boolean {
  try {
    setPriority(threadId() ?? 0, nice);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sets the nice value of every thread of this process as it stands (V8's platform threads, which
 * run garbage collection, exist before any code runs). Threads started later inherit it from the
 * thread that starts them.
 */
export function niceWholeProcess(nice: number): void {
  let tasks: string[] = [];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    /* not Linux: the process's priority below covers it */
  }
  for (const t of tasks) {
    try {
      setPriority(Number(t), nice);
    } catch {
      /* a thread that has just ended, or not permitted */
    }
  }
  if (tasks.length === 0) {
    try {
      setPriority(nice);
    } catch {
      /* not permitted */
    }
  }
}

/** Nice values of this process's threads by task id (field 19 of /proc/self/task/ID/stat), for checks. */
export function threadNiceValues(pid: number | 'self' = 'self'): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), Number(f[16]));
    }
  } catch {
    /* not Linux, or the process ended */
  }
  return out;
}
