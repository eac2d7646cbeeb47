/**
 * The deck worker: runs in a worker_thread so that nothing of a reload holds the event loop that
 * answers calls. Loads go to its builder process (deck-builder.ts: reads, validates and compiles
 * the decks at background CPU priority); the worker reads the compiled table it hands over
 * (table-file.ts) straight into shared memory, one read per array, and posts it. Uploads are validated and diffs computed here. Requests and replies:
 * worker-protocol.ts.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { BuilderProcess } from './builder-process.js';
import { DeckCache } from './deck-cache.js';
import type { DeckRows } from './deck.js';
import { diffDecks } from './diff.js';
import { readTableFile, type TableFileRead } from './table-file.js';
import { BACKGROUND_NICE, niceThisThread } from './thread-cpu.js';
import { DeckUpload } from './upload.js';
import { packTable, wallNow, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('deck-worker.ts runs in a worker thread (see compiler.ts)');

// Background work: on a busy host the thread that answers calls goes first.
niceThisThread(BACKGROUND_NICE);

const builder = new BuilderProcess();
const parsed = new DeckCache();
const uploads = new Map<number, DeckUpload>();

const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function load(req: Extract<WorkerRequest, { op: 'load' }>): Promise<void> {
  const t0 = performance.now();
  const r = await builder.build(req.decks, req.snapshot);
  if ('error' in r) return reply({ id: req.id, op: 'error', message: r.error, code: r.code });
  if (!r.ok) return reply({ id: req.id, op: 'load', ok: false, carriers: r.carriers });
  const t1 = performance.now();
  let s: TableFileRead;
  try {
    s = readTableFile(r.tablePath);
  } finally {
    rmSync(r.tablePath, { force: true });
  }
  if (!s.ok) return reply({ id: req.id, op: 'error', message: `the compiled table did not read back (${s.reason}); the active route table is unchanged` });
  const { table, transfer } = packTable(s.table);
  const readMs = performance.now() - t1;
  const timings = { ...r.timings, snapshotMs: r.timings.snapshotMs + readMs, totalMs: performance.now() - t0 };
  reply({ id: req.id, op: 'load', ok: true, table, from: r.from, fingerprint: r.fingerprint, carriers: r.carriers, timings, ...(r.snapshotError ? { snapshotError: r.snapshotError } : {}), sentAt: wallNow() }, transfer);
}

function uploadEnd(id: number): void {
  const u = uploads.get(id);
  if (!u) return reply({ id, op: 'error', message: 'no such upload' });
  uploads.delete(id);
  const { report, deck } = u.end();
  if (deck) parsed.remember(u.carrier, report.sha256, deck);
  reply({ id, op: 'upload-end', report });
}

function diff(req: Extract<WorkerRequest, { op: 'diff' }>): void {
  const side = (s: { carrier: string; path: string }): DeckRows => {
    const bytes = readFileSync(s.path);
    const r = parsed.parseFile(s.carrier, s.path, bytes);
    if (!r.deck) throw new Error(`${s.path}: not a valid deck (${r.parse.errorCount} bad rows)`);
    return r.deck;
  };
  reply({ id: req.id, op: 'diff', diff: diffDecks(side(req.from), side(req.to), req.limit) });
}

port.on('message', (req: WorkerRequest) => {
  try {
    switch (req.op) {
      case 'load':
        return void load(req).catch((err: Error & { code?: string }) => reply({ id: req.id, op: 'error', message: err.message, code: err.code }));
      case 'upload-begin':
        mkdirSync(dirname(req.file), { recursive: true });
        uploads.set(req.id, new DeckUpload(req.carrier, req.file, req.limits));
        return reply({ id: req.id, op: 'upload-ack' });
      case 'upload-chunk': {
        const u = uploads.get(req.id);
        if (!u) return reply({ id: req.id, op: 'upload-ack' });
        const stop = u.push(req.chunk);
        if (stop) uploads.delete(req.id);
        return reply({ id: req.id, op: 'upload-ack', ...(stop ? { stop } : {}) });
      }
      case 'upload-end':
        return uploadEnd(req.id);
      case 'upload-abort':
        uploads.get(req.id)?.abort();
        uploads.delete(req.id);
        return undefined;
      case 'diff':
        return diff(req);
      case 'close':
        return void builder.close().then(() => reply({ id: req.id, op: 'closed' }));
    }
  } catch (err) {
    reply({ id: req.id, op: 'error', message: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
  }
});
