/**
 * The deck worker's side of its builder process (deck-builder.ts): started on first use, one
 * request at a time in order, replaced on the next request if it dies (out of memory on a hostile
 * deck, say), in which case the requests in flight fail and the active table is untouched.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { accessSync, existsSync, constants as fsConstants, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildReply, BuildRequest, DeckSource } from './worker-protocol.js';

type Waiter = { resolve: (r: BuildReply) => void; reject: (e: Error) => void };

/** Where a built table waits to be read: memory-backed /dev/shm when there is one (no disk writeback), else the temp dir. */
export function scratchDir(): string {
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', fsConstants.W_OK);
      return '/dev/shm';
    }
  } catch {
    /* no /dev/shm here */
  }
  return tmpdir();
}

/**
 * Removes hand-over files whose builder is gone (a worker terminated between the builder's reply
 * and its read leaves one; in /dev/shm it holds memory until removed). Linux only: elsewhere a
 * builder's liveness is not looked up, and nothing is removed.
 */
function removeOrphans(dir: string): void {
  if (!existsSync('/proc/self')) return;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^lcr-table-(\d+)-\d+\.bin$/.exec(n);
    if (m && !existsSync(`/proc/${m[1]}`)) rmSync(join(dir, n), { force: true });
  }
}

/** Starts deck-builder beside this file: the .ts source through tsx (development, tests), or the built .js. */
function startBuilder(): ChildProcess {
  const here = import.meta.url;
  // (Loaded through tsx's tsImport, the URL carries a query: judge the path alone.)
  const ts = new URL(here).pathname.endsWith('.ts');
  const entry = fileURLToPath(new URL(ts ? './deck-builder.ts' : './deck-builder.js', here));
  // Its own V8 flags, not the switch's (an inspector port or heap limit meant for the switch).
  return fork(entry, [], { execArgv: ts ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

export class BuilderProcess {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly scratch = scratchDir();

  private get live(): ChildProcess {
    if (this.child) return this.child;
    removeOrphans(this.scratch);
    const c = startBuilder();
    c.on('message', (m: BuildReply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.resolve(m);
    });
    c.on('error', (err) => this.failAll(c, new Error(`the deck builder process failed: ${err.message}`)));
    c.on('exit', (code, signal) => this.failAll(c, new Error(`the deck builder process exited (${signal ?? `code ${code}`}); the active route table is unchanged`)));
    this.child = c;
    return c;
  }

  private failAll(c: ChildProcess, err: Error): void {
    if (this.child !== c) return;
    this.child = undefined;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  /** The builder's process id, once started (for checks of its priority). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  build(decks: DeckSource[], snapshot?: { path: string; useExisting: boolean }): Promise<BuildReply> {
    const c = this.live;
    const req: BuildRequest = { id: this.nextId++, decks, scratchDir: this.scratch, ...(snapshot ? { snapshot } : {}) };
    return new Promise<BuildReply>((resolve, reject) => {
      this.waiting.set(req.id, { resolve, reject });
      c.send(req, (err) => {
        if (err) this.failAll(c, new Error(`the deck builder process cannot be reached: ${err.message}`));
      });
    });
  }

  /** Ends the builder; resolves once it has exited (and been reaped). */
  close(): Promise<void> {
    const c = this.child;
    if (!c) return Promise.resolve();
    this.failAll(c, new Error('the deck worker was closed'));
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill();
    return exited;
  }
}
