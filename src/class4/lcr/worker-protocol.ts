/**
 * Messages between the routing engine and its deck worker (deck-worker.ts). A compiled table
 * crosses as SharedArrayBuffers (shared, not copied, and not counted as the main isolate's
 * external memory: see shared-memory.ts), so taking delivery of a five-million-prefix table costs
 * the event loop the same as a ten-prefix one.
 */
import type { DeckRowError } from './deck.js';
import type { DeckDiff } from './diff.js';
import { inSharedMemory } from './shared-memory.js';
import type { RouteTable } from './table.js';
import type { TableArrays } from './snapshot.js';

/** One carrier's deck: the first of `paths` that exists. */
export interface DeckSource {
  carrier: string;
  paths: string[];
}

export interface CarrierParse {
  carrier: string;
  path: string;
  /** SHA-256 (hex) of the deck file's bytes, when it was read. */
  sha256?: string;
  ok: boolean;
  rows: number;
  errors: DeckRowError[];
  errorCount: number;
  rowCount: number;
}

export interface UploadLimits {
  maxBytes: number;
  maxRows: number;
  maxLineChars: number;
  junkAfterRows: number;
}

/** What an upload was found to be: counts, the first bad rows, and where reading stopped if it did. */
export interface ValidationReport {
  carrier: string;
  valid: boolean;
  bytes: number;
  sha256: string;
  rowCount: number;
  accepted: number;
  rejected: number;
  errors: DeckRowError[];
  /** Present when the upload was refused while streaming: the counts cover the lines up to it. */
  stoppedAtLine?: number;
  stopReason?: string;
  /** Why it was refused while streaming: not text at all, over the byte cap, or rows that are not a deck. */
  refusal?: 'media-type' | 'too-large' | 'invalid';
}

export type WorkerRequest =
  | { op: 'load'; id: number; decks: DeckSource[]; snapshot?: { path: string; useExisting: boolean } }
  | { op: 'upload-begin'; id: number; carrier: string; file: string; limits: UploadLimits }
  | { op: 'upload-chunk'; id: number; chunk: Uint8Array }
  | { op: 'upload-end'; id: number }
  | { op: 'upload-abort'; id: number }
  | { op: 'diff'; id: number; from: { carrier: string; path: string }; to: { carrier: string; path: string }; limit: number }
  /** Ends the builder process (and waits for it: only the thread that started a child reaps it) before the worker is terminated. */
  | { op: 'close'; id: number };

/** A table's arrays (as a file holds them) with the direct-index table built over them. */
export interface PackedTable extends TableArrays {
  direct: Int32Array;
  directDigits: number;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between threads (each has its own timeOrigin). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * What taking delivery of a table cost the main thread: from the worker posting it to the main
 * thread seeing it (queueing behind the task running then, plus deserialising the message), and
 * from seeing it to the new table in use.
 */
export interface Adoption {
  deliveryMs: number;
  adoptMs: number;
}

export interface LoadTimings {
  /** Reading and validating the deck files that changed since the last build. */
  parseMs: number;
  /** From parsed rows to the compiled table (0 when it came from the snapshot). */
  buildMs: number;
  snapshotMs: number;
  totalMs: number;
  /** CPU time of the builder process's main thread for the parse and the build (-1 where the OS does not say): wall time on a busy host includes waiting for a core. */
  parseCpuMs: number;
  buildCpuMs: number;
}

export type WorkerReply =
  | { id: number; op: 'load'; ok: true; table: PackedTable; from: 'snapshot' | 'decks'; fingerprint: string; carriers: CarrierParse[]; timings: LoadTimings; snapshotError?: string; sentAt: number }
  | { id: number; op: 'load'; ok: false; carriers: CarrierParse[]; error?: string }
  | { id: number; op: 'upload-ack'; stop?: ValidationReport }
  | { id: number; op: 'upload-end'; report: ValidationReport }
  | { id: number; op: 'diff'; diff: DeckDiff }
  | { id: number; op: 'closed' }
  | { id: number; op: 'error'; message: string; code?: string };

/**
 * The deck worker asks its builder process (deck-builder.ts) for a table; the builder answers with
 * the file in `scratchDir` where it wrote it (table-file.ts), which the worker deletes once read.
 */
export interface BuildRequest {
  id: number;
  decks: DeckSource[];
  snapshot?: { path: string; useExisting: boolean };
  scratchDir: string;
}

export type BuildReply =
  | { id: number; ok: true; tablePath: string; from: 'snapshot' | 'decks'; fingerprint: string; carriers: CarrierParse[]; timings: LoadTimings; snapshotError?: string }
  | { id: number; ok: false; carriers: CarrierParse[] }
  | { id: number; error: string; code?: string };

/** The table with every array in shared memory (a table read from a snapshot is copied there); nothing to transfer. */
export function packTable(t: RouteTable): { table: PackedTable; transfer: ArrayBuffer[] } {
  const table: PackedTable = {
    slots: inSharedMemory(t.trie.slots),
    inner: inSharedMemory(t.trie.inner),
    direct: inSharedMemory(t.trie.direct),
    directDigits: t.trie.directDigits,
    prefixCount: t.trie.prefixCount,
    carriers: t.carriers,
    carrierRows: t.carrierRows,
    entryStart: inSharedMemory(t.entryStart),
    entryCarrier: inSharedMemory(t.entryCarrier),
    entryRow: inSharedMemory(t.entryRow),
    entryRowCount: inSharedMemory(t.entryRowCount),
    rowInterstate: inSharedMemory(t.rowInterstate),
    rowIntrastate: inSharedMemory(t.rowIntrastate),
    rowIndeterminate: inSharedMemory(t.rowIndeterminate),
    rowEffective: inSharedMemory(t.rowEffective),
  };
  return { table, transfer: [] };
}

export function unpackTable(p: PackedTable): RouteTable {
  return {
    trie: { slots: p.slots, inner: p.inner, direct: p.direct, directDigits: p.directDigits, prefixCount: p.prefixCount, nodeCount: p.slots.length, innerCount: p.inner.length / 3 },
    carriers: p.carriers,
    carrierRows: p.carrierRows,
    entryStart: p.entryStart,
    entryCarrier: p.entryCarrier,
    entryRow: p.entryRow,
    entryRowCount: p.entryRowCount,
    rowInterstate: p.rowInterstate,
    rowIntrastate: p.rowIntrastate,
    rowIndeterminate: p.rowIndeterminate,
    rowEffective: p.rowEffective,
  };
}
