/**
 * The deck worker: runs in a worker_thread so that reading, validating and compiling rate decks
 * never holds the event loop that answers calls. It keeps the parsed rows of recent decks (keyed
 * by carrier and content hash), so activating one carrier's new deck re-parses only that deck.
 * Requests and replies: worker-protocol.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { parseDeck, type DeckRows } from './deck.js';
import { diffDecks } from './diff.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { buildTable } from './table.js';
import { DeckUpload } from './upload.js';
import { packTable, wallNow, type CarrierParse, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

const FINGERPRINT_FORMAT = 'lcr-2';
const CACHE_EXTRA = 4;

const port = parentPort;
if (!port) throw new Error('deck-worker.ts runs in a worker thread (see compiler.ts)');

/** This thread's Linux task id, when /proc says (for its nice value and CPU time). */
const tid = (() => {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || undefined;
  } catch {
    return undefined;
  }
})();
// Compiling is background work: on a busy host the thread that answers calls goes first.
if (tid) {
  try {
    setPriority(tid, 10);
  } catch {
    /* not permitted: runs at the process's priority */
  }
}

/** CPU time this thread has used, in ms (utime + stime at 100 ticks/s), or -1 when unknown. */
function threadCpuMs(): number {
  if (!tid) return -1;
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return -1;
  }
}

/** Parsed decks by `${carrier}\0${sha256}`, oldest first. */
const parsed = new Map<string, DeckRows>();
let cacheSize = 8;
const uploads = new Map<number, DeckUpload>();

function remember(key: string, deck: DeckRows): void {
  parsed.delete(key);
  parsed.set(key, deck);
  while (parsed.size > cacheSize) parsed.delete(parsed.keys().next().value as string);
}

function recall(key: string): DeckRows | undefined {
  const d = parsed.get(key);
  if (d) remember(key, d);
  return d;
}

const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function readFirst(paths: string[]): { path: string; bytes: Buffer } | undefined {
  for (const path of paths) {
    try {
      return { path, bytes: readFileSync(path) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return undefined;
}

/** A deck file parsed (from the cache when its content was seen before). */
function parseFile(carrier: string, path: string, bytes: Buffer, hash = sha256(bytes)): { deck?: DeckRows; parse: CarrierParse; fresh: boolean } {
  const key = `${carrier}\0${hash}`;
  const hit = recall(key);
  if (hit) return { deck: hit, fresh: false, parse: { carrier, path, sha256: hash, ok: true, rows: hit.count, errors: [], errorCount: 0, rowCount: hit.count } };
  const r = parseDeck(carrier, bytes.toString('utf8'));
  if (!r.ok) return { fresh: true, parse: { carrier, path, sha256: hash, ok: false, rows: 0, errors: r.errors.slice(0, 100), errorCount: r.errorCount, rowCount: r.rowCount } };
  remember(key, r.deck);
  return { deck: r.deck, fresh: true, parse: { carrier, path, sha256: hash, ok: true, rows: r.deck.count, errors: [], errorCount: 0, rowCount: r.deck.count } };
}

function load(req: Extract<WorkerRequest, { op: 'load' }>): void {
  const t0 = performance.now();
  const c0 = threadCpuMs();
  cacheSize = req.decks.length + CACHE_EXTRA;
  const files: Array<{ carrier: string; path: string; bytes: Buffer; hash: string }> = [];
  const carriers: CarrierParse[] = [];
  const fp = createHash('sha256').update(FINGERPRINT_FORMAT);
  for (const src of req.decks) {
    const f = readFirst(src.paths);
    if (!f) {
      carriers.push({ carrier: src.carrier, path: src.paths[src.paths.length - 1] ?? '', ok: false, rows: 0, errors: [{ line: 0, message: 'cannot be read' }], errorCount: 1, rowCount: 0 });
      continue;
    }
    const hash = sha256(f.bytes);
    fp.update(`\0${src.carrier}\0${hash}`);
    files.push({ carrier: src.carrier, path: f.path, bytes: f.bytes, hash });
  }
  if (carriers.length) return reply({ id: req.id, op: 'load', ok: false, carriers });
  const fingerprint = fp.digest('hex');
  const snap = req.snapshot;
  if (snap?.useExisting && existsSync(snap.path)) {
    const s = decodeSnapshot(readFileSync(snap.path));
    if (s.ok && s.fingerprint === fingerprint) {
      const { table, transfer } = packTable(s.table);
      const ms = performance.now() - t0;
      return reply(
        { id: req.id, op: 'load', ok: true, table, from: 'snapshot', fingerprint, carriers: files.map((f, i) => ({ carrier: f.carrier, path: f.path, sha256: f.hash, ok: true, rows: s.table.carrierRows[i] ?? 0, errors: [], errorCount: 0, rowCount: s.table.carrierRows[i] ?? 0 })), timings: { parseMs: 0, buildMs: 0, snapshotMs: ms, totalMs: ms, parseCpuMs: 0, buildCpuMs: 0 }, sentAt: wallNow() },
        transfer,
      );
    }
  }
  const decks: DeckRows[] = [];
  for (const f of files) {
    const r = parseFile(f.carrier, f.path, f.bytes, f.hash);
    carriers.push(r.parse);
    if (r.deck) decks.push(r.deck);
  }
  if (carriers.some((c) => !c.ok)) return reply({ id: req.id, op: 'load', ok: false, carriers });
  const t1 = performance.now();
  const c1 = threadCpuMs();
  const table = buildTable(decks);
  const t2 = performance.now();
  const c2 = threadCpuMs();
  let snapshotError: string | undefined;
  if (snap) {
    try {
      mkdirSync(dirname(snap.path), { recursive: true });
      const tmp = `${snap.path}.${process.pid}.tmp`;
      writeFileSync(tmp, encodeSnapshot(table, fingerprint));
      renameSync(tmp, snap.path);
    } catch (err) {
      snapshotError = (err as Error).message;
    }
  }
  const t3 = performance.now();
  const { table: packed, transfer } = packTable(table);
  reply(
    { id: req.id, op: 'load', ok: true, table: packed, from: 'decks', fingerprint, carriers, timings: { parseMs: t1 - t0, buildMs: t2 - t1, snapshotMs: t3 - t2, totalMs: t3 - t0, parseCpuMs: c0 < 0 ? -1 : c1 - c0, buildCpuMs: c0 < 0 ? -1 : c2 - c1 }, ...(snapshotError ? { snapshotError } : {}), sentAt: wallNow() },
    transfer,
  );
}

function uploadEnd(id: number): void {
  const u = uploads.get(id);
  if (!u) return reply({ id, op: 'error', message: 'no such upload' });
  uploads.delete(id);
  const { report, deck } = u.end();
  if (deck) remember(`${u.carrier}\0${report.sha256}`, deck);
  reply({ id, op: 'upload-end', report });
}

function diff(req: Extract<WorkerRequest, { op: 'diff' }>): void {
  const side = (s: { carrier: string; path: string }): DeckRows => {
    const bytes = readFileSync(s.path);
    const r = parseFile(s.carrier, s.path, bytes);
    if (!r.deck) throw new Error(`${s.path}: not a valid deck (${r.parse.errorCount} bad rows)`);
    return r.deck;
  };
  reply({ id: req.id, op: 'diff', diff: diffDecks(side(req.from), side(req.to), req.limit) });
}

port.on('message', (req: WorkerRequest) => {
  try {
    switch (req.op) {
      case 'load':
        return load(req);
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
    }
  } catch (err) {
    reply({ id: req.id, op: 'error', message: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
  }
});
