/** One target's run inside a worker thread, so the CLI's watchdog can stop an input that never ends. */
import { parentPort, workerData } from 'node:worker_threads';
import { runTarget, type RunOptions } from './engine.js';
import { targetByName } from './targets.js';

interface Job extends Omit<RunOptions, 'progress' | 'onFinding'> {
  target: string;
  progress: SharedArrayBuffer;
}

const job = workerData as Job;
const target = targetByName(job.target);
if (!target) throw new Error(`no fuzz target ${job.target}`);
const stats = runTarget(target, {
  ...job,
  progress: new Int32Array(job.progress),
  onFinding: (f) => parentPort!.postMessage({ type: 'finding', finding: f }),
});
parentPort!.postMessage({ type: 'done', stats });
