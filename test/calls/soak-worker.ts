/** One soak in a worker thread (see soak.test.ts): runs it and posts its report. */
import { parentPort, workerData } from 'node:worker_threads';
import { runSoak, type SoakOptions } from './soak-rig.js';

parentPort!.postMessage(await runSoak(workerData as SoakOptions));
