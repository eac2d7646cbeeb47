/**
 * The deck builder: a child process of the deck worker (deck-worker.ts) that reads, validates and
 * compiles rate decks (writing the snapshot, snapshot.ts, when configured) and hands the compiled
 * table over in a file (table-file.ts) that the worker reads straight into shared memory. It
 * runs at background CPU priority (nice 10), every thread of it: a thread of the switch's own process could be niced, but V8's garbage-collection helper
 * threads are shared by every isolate of a process and run at its normal priority, so a build in
 * a worker thread still took a CPU from the thread that answers calls whenever its heap was
 * collected (issue #9: a 1M-prefix reload held the event loop 28 ms, nearly all of it waiting for
 * a CPU). In a process of its own the build's collections are niced with it. The process stays
 * in its parent's session (so in its scheduling group, where nice values compare) and exits when
 * the worker goes. It keeps the parsed rows of recent decks, so activating one carrier's new deck
 * re-parses only that deck. Requests and replies: BuildRequest / BuildReply (worker-protocol.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DeckCache, sha256 } from './deck-cache.js';
import type { DeckRows } from './deck.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { writeTableFile } from './table-file.js';
import { buildTable } from './table.js';
import { BACKGROUND_NICE, niceWholeProcess, threadCpuMs } from './thread-cpu.js';
import type { BuildReply, BuildRequest, CarrierParse } from './worker-protocol.js';

const FINGERPRINT_FORMAT = 'lcr-2';
const CACHE_EXTRA = 4;

if (!process.send) throw new Error('deck-builder.ts runs as a child process of the deck worker (see builder-process.ts)');
niceWholeProcess(BACKGROUND_NICE);

const cache = new DeckCache();
const reply = (m: BuildReply) => process.send?.(m);

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

const scratchFile = (req: BuildRequest) => join(req.scratchDir, `lcr-table-${process.pid}-${req.id}.bin`);

function build(req: BuildRequest): BuildReply {
  const t0 = performance.now();
  const c0 = threadCpuMs();
  cache.size = req.decks.length + CACHE_EXTRA;
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
  if (carriers.length) return { id: req.id, ok: false, carriers };
  const fingerprint = fp.digest('hex');
  const snap = req.snapshot;
  if (snap?.useExisting && existsSync(snap.path)) {
    const s = decodeSnapshot(readFileSync(snap.path));
    if (s.ok && s.fingerprint === fingerprint) {
      const tablePath = scratchFile(req);
      writeTableFile(tablePath, s.table);
      const ms = performance.now() - t0;
      return {
        id: req.id,
        ok: true,
        tablePath,
        from: 'snapshot',
        fingerprint,
        carriers: files.map((f, i) => ({ carrier: f.carrier, path: f.path, sha256: f.hash, ok: true, rows: s.table.carrierRows[i] ?? 0, errors: [], errorCount: 0, rowCount: s.table.carrierRows[i] ?? 0 })),
        timings: { parseMs: 0, buildMs: 0, snapshotMs: ms, totalMs: ms, parseCpuMs: 0, buildCpuMs: 0 },
      };
    }
  }
  const decks: DeckRows[] = [];
  for (const f of files) {
    const r = cache.parseFile(f.carrier, f.path, f.bytes, f.hash);
    carriers.push(r.parse);
    if (r.deck) decks.push(r.deck);
  }
  if (carriers.some((c) => !c.ok)) return { id: req.id, ok: false, carriers };
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
  const tablePath = scratchFile(req);
  writeTableFile(tablePath, table);
  const t3 = performance.now();
  return {
    id: req.id,
    ok: true,
    tablePath,
    from: 'decks',
    fingerprint,
    carriers,
    timings: { parseMs: t1 - t0, buildMs: t2 - t1, snapshotMs: t3 - t2, totalMs: t3 - t0, parseCpuMs: c0 < 0 ? -1 : c1 - c0, buildCpuMs: c0 < 0 ? -1 : c2 - c1 },
    ...(snapshotError ? { snapshotError } : {}),
  };
}

process.on('message', (req: BuildRequest) => {
  try {
    reply(build(req));
  } catch (err) {
    reply({ id: req.id, error: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
  }
});
// The worker that started this process has gone (or the switch has exited): so has the reason to build.
process.on('disconnect', () => process.exit(0));
