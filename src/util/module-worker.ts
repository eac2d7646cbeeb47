/**
 * Starts a worker thread on a module of this tree: the .ts source through tsx when the tree runs
 * from source (development, tests: about 0.3 s to start), or the built .js beside it.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `entry`: the module's URL as written in the source tree (ending .ts when running from source). */
export function startModuleWorker(entry: URL, options: WorkerOptions & { name: string }): Worker {
  if (entry.pathname.endsWith('.ts')) {
    const href = JSON.stringify(entry.href);
    return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${href}, ${href}))`, { ...options, eval: true });
  }
  return new Worker(entry, options);
}

/** The URL of the module `name` (without extension) beside `here` (an import.meta.url), in the tree's own extension. */
export function siblingModule(here: string, name: string): URL {
  return new URL(`./${name}${here.endsWith('.ts') ? '.ts' : '.js'}`, here);
}
