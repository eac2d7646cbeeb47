/** Messages between the store's writer thread (writer-worker.ts) and the switch (writer-thread.ts). */
import type { Cdr } from '../calls/cdr.js';

/** What the writer thread starts with. */
export interface WriterStart {
  /** The SQLite file (already created and migrated by the switch's own connection). */
  path: string;
  /** Shared words: DONE_WORD holds the sequence number of the last batch written or refused. */
  state: SharedArrayBuffer;
  /** How long a write waits for the switch's own connection to release the database (ms). */
  busyTimeoutMs: number;
}

/** Index of the done word in `state` (an Int32Array view). */
export const DONE_WORD = 0;
export const STATE_BYTES = 4;

/** A batch to write; `seq` counts up by one per post (wrapping as a 32-bit integer). */
export interface WriterPost {
  seq: number;
  kind: 'journal' | 'cdrs';
  batch: Cdr[];
}

/** A batch the store refused, sent back before its `seq` is marked done. */
export interface WriterRefusal extends WriterPost {
  code: string;
  message: string;
}
