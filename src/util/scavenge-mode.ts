/**
 * Single-threaded young-generation collections while background work runs beside the event loop.
 *
 * V8 runs each scavenge on the main thread together with helpers from its platform's thread pool,
 * and the main thread waits for every helper that joined to finish. The pool serves the whole
 * process, the deck worker's isolate included, and while a rate deck is built the CPUs are held by
 * the builder: a helper that has to wait for a core holds the event loop with it. Measured on a
 * 2-core host during a 1M-prefix reload, the main thread's longest scavenge went from 1.6-1.8 ms to
 * 6-8 ms, and the reload's longest net stall from 4 to 6-11 ms; scavenging on the main thread
 * alone kept it at 3-3.5 ms. V8 reads the flag at every scavenge (Node leaves flags writable after
 * start), so it is switched off for the reload's duration and back on after it.
 *
 * Held by count: the first holder switches parallel scavenges off, the last release (after
 * `settleMs`, which covers the collections right after a table is adopted) switches them back on.
 * A process started with --no-parallel-scavenge (execArgv or NODE_OPTIONS) keeps it throughout.
 */
import { setFlagsFromString } from 'node:v8';

const startedSingleThreaded = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a === '--no-parallel-scavenge' || a === '--no_parallel_scavenge' || a === '--single-threaded-gc' || a === '--single_threaded_gc');

let holders = 0;
let restore: NodeJS.Timeout | undefined;
let off = false;

/** Whether scavenges are single-threaded now because of a holder (for checks and metrics). */
export function scavengesSingleThreaded(): boolean {
  return off;
}

/**
 * Makes scavenges single-threaded until the returned release is called (once; later calls do
 * nothing). `settleMs`: how long after the last release they stay single-threaded.
 */
export function holdSingleThreadedScavenges(settleMs = 1000): () => void {
  holders++;
  if (restore) {
    clearTimeout(restore);
    restore = undefined;
  }
  if (!off && !startedSingleThreaded) {
    setFlagsFromString('--no-parallel-scavenge');
    off = true;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0 || !off) return;
    const back = () => {
      restore = undefined;
      if (holders > 0 || !off) return;
      setFlagsFromString('--parallel-scavenge');
      off = false;
    };
    if (settleMs <= 0) back();
    else {
      restore = setTimeout(back, settleMs);
      restore.unref();
    }
  };
}
