/**
 * The embedded store's writer thread (started by writer-thread.ts): its own connection to the
 * SQLite file, the batches in the order they were posted, and for each a word in shared memory
 * saying how far it has got. A write the store refuses (disk full, read-only) is reported back on
 * the replies port with the batch, then counted as done like any other.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { prepareBatchWrites, type BatchWrites } from './batch-writes.js';
import type { WriterPost, WriterRefusal, WriterStart } from './writer-protocol.js';
import { DONE_WORD } from './writer-protocol.js';

const { path, state, replies, busyTimeoutMs } = workerData as WriterStart & { replies: MessagePort };
const done = new Int32Array(state);

function refusal(err: unknown): Pick<WriterRefusal, 'code' | 'message'> {
  const code = (err as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'UNKNOWN', message: (err as Error)?.message ?? String(err) };
}

let writes: BatchWrites | Pick<WriterRefusal, 'code' | 'message'>;
try {
  const db = new Database(path, { timeout: busyTimeoutMs });
  db.pragma('synchronous = NORMAL');
  writes = prepareBatchWrites(db);
} catch (err) {
  // Every batch is refused with the reason, so the switch spools CDRs and says why.
  writes = refusal(err);
}

parentPort?.on('message', (post: WriterPost) => {
  try {
    if ('code' in writes) throw Object.assign(new Error(writes.message), { code: writes.code });
    if (post.kind === 'journal') writes.journal(post.batch);
    else writes.cdrs(post.batch);
  } catch (err) {
    const r: WriterRefusal = { seq: post.seq, kind: post.kind, batch: post.batch, ...refusal(err) };
    replies.postMessage(r);
  }
  Atomics.store(done, DONE_WORD, post.seq);
  Atomics.notify(done, DONE_WORD);
});
