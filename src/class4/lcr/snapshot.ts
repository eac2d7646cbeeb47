/**
 * The compiled route table serialised with protobufjs, so a restart maps typed arrays back in
 * without re-parsing CSV. Decoding treats the file as hostile: every length and index is checked
 * and a bad file yields an error value, never an exception or an out-of-range table.
 */
import protobuf from 'protobufjs';
import { checkTrie, withDirect } from './trie.js';
import type { RouteTable } from './table.js';

export const SNAPSHOT_VERSION = 3;

const root = protobuf.Root.fromJSON({
  nested: {
    RouteTableSnapshot: {
      fields: {
        version: { type: 'uint32', id: 1 },
        fingerprint: { type: 'string', id: 2 },
        carriers: { rule: 'repeated', type: 'string', id: 3 },
        carrierRows: { rule: 'repeated', type: 'uint32', id: 4 },
        nodeCount: { type: 'uint32', id: 5 },
        prefixCount: { type: 'uint32', id: 6 },
        slots: { type: 'bytes', id: 7 },
        entryStart: { type: 'bytes', id: 8 },
        entryCarrier: { type: 'bytes', id: 9 },
        entryRow: { type: 'bytes', id: 10 },
        entryRowCount: { type: 'bytes', id: 11 },
        rowInterstate: { type: 'bytes', id: 12 },
        rowIntrastate: { type: 'bytes', id: 13 },
        rowIndeterminate: { type: 'bytes', id: 14 },
        rowEffective: { type: 'bytes', id: 15 },
        inner: { type: 'bytes', id: 16 },
      },
    },
  },
});
const SnapshotType = root.lookupType('RouteTableSnapshot');

interface SnapshotMessage {
  version: number;
  fingerprint: string;
  carriers: string[];
  carrierRows: number[];
  nodeCount: number;
  prefixCount: number;
  slots: Uint8Array;
  entryStart: Uint8Array;
  entryCarrier: Uint8Array;
  entryRow: Uint8Array;
  entryRowCount: Uint8Array;
  rowInterstate: Uint8Array;
  rowIntrastate: Uint8Array;
  rowIndeterminate: Uint8Array;
  rowEffective: Uint8Array;
  inner: Uint8Array;
}

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function encodeSnapshot(t: RouteTable, fingerprint: string): Uint8Array {
  const msg: SnapshotMessage = {
    version: SNAPSHOT_VERSION,
    fingerprint,
    carriers: t.carriers,
    carrierRows: t.carrierRows,
    nodeCount: t.trie.nodeCount,
    prefixCount: t.trie.prefixCount,
    slots: bytes(t.trie.slots),
    entryStart: bytes(t.entryStart),
    entryCarrier: bytes(t.entryCarrier),
    entryRow: bytes(t.entryRow),
    entryRowCount: bytes(t.entryRowCount),
    rowInterstate: bytes(t.rowInterstate),
    rowIntrastate: bytes(t.rowIntrastate),
    rowIndeterminate: bytes(t.rowIndeterminate),
    rowEffective: bytes(t.rowEffective),
    inner: bytes(t.trie.inner),
  };
  return SnapshotType.encode(SnapshotType.fromObject(msg)).finish();
}

export type SnapshotDecode = { ok: true; table: RouteTable; fingerprint: string } | { ok: false; reason: string };

/** The field's bytes copied into shared memory (shared-memory.ts: a table the main thread adopts lives there). */
function typed<T>(u8: Uint8Array | undefined, width: number, make: (b: SharedArrayBuffer) => T): T | undefined {
  if (!u8 || u8.byteLength % width !== 0) return undefined;
  const copy = new Uint8Array(new SharedArrayBuffer(u8.byteLength));
  copy.set(u8);
  return make(copy.buffer);
}

export function decodeSnapshot(buf: Uint8Array): SnapshotDecode {
  let m: SnapshotMessage;
  try {
    m = SnapshotType.toObject(SnapshotType.decode(buf), { defaults: true, arrays: true }) as SnapshotMessage;
  } catch (e) {
    return { ok: false, reason: `not a route table snapshot (${(e as Error).message})` };
  }
  if (m.version !== SNAPSHOT_VERSION) return { ok: false, reason: `snapshot version ${m.version}, expected ${SNAPSHOT_VERSION}` };
  const slots = typed(m.slots, 4, (b) => new Int32Array(b));
  const inner = typed(m.inner, 12, (b) => new Int32Array(b));
  const entryStart = typed(m.entryStart, 4, (b) => new Uint32Array(b));
  const entryCarrier = typed(m.entryCarrier, 2, (b) => new Uint16Array(b));
  const entryRow = typed(m.entryRow, 4, (b) => new Uint32Array(b));
  const entryRowCount = typed(m.entryRowCount, 2, (b) => new Uint16Array(b));
  const rowInterstate = typed(m.rowInterstate, 4, (b) => new Int32Array(b));
  const rowIntrastate = typed(m.rowIntrastate, 4, (b) => new Int32Array(b));
  const rowIndeterminate = typed(m.rowIndeterminate, 4, (b) => new Int32Array(b));
  const rowEffective = typed(m.rowEffective, 8, (b) => new Float64Array(b));
  if (!slots || !inner || !entryStart || !entryCarrier || !entryRow || !entryRowCount || !rowInterstate || !rowIntrastate || !rowIndeterminate || !rowEffective)
    return { ok: false, reason: 'an array field has a length that is not a whole number of elements' };
  const parts: TableArrays = { carriers: m.carriers, carrierRows: m.carrierRows, prefixCount: m.prefixCount, slots, inner, entryStart, entryCarrier, entryRow, entryRowCount, rowInterstate, rowIntrastate, rowIndeterminate, rowEffective };
  if (m.nodeCount < 1 || slots.length !== m.nodeCount) return { ok: false, reason: 'node array length does not match node count' };
  const bad = checkTableArrays(parts);
  if (bad) return { ok: false, reason: bad };
  return { ok: true, fingerprint: m.fingerprint, table: tableOf(parts) };
}

/** A table's arrays as read from a file, before they are checked. */
export interface TableArrays {
  carriers: string[];
  carrierRows: number[];
  prefixCount: number;
  slots: Int32Array;
  inner: Int32Array;
  entryStart: Uint32Array;
  entryCarrier: Uint16Array;
  entryRow: Uint32Array;
  entryRowCount: Uint16Array;
  rowInterstate: Int32Array;
  rowIntrastate: Int32Array;
  rowIndeterminate: Int32Array;
  rowEffective: Float64Array;
}

/** Why arrays read from a file do not make a table (lengths that disagree, an index out of range), or undefined when they do. */
export function checkTableArrays(a: TableArrays): string | undefined {
  const { prefixCount, slots, inner, entryStart, entryCarrier, entryRow, entryRowCount, rowInterstate, rowIntrastate, rowIndeterminate, rowEffective } = a;
  const rows = rowEffective.length;
  const entries = entryCarrier.length;
  if (slots.length < 1) return 'the trie has no nodes';
  if (inner.length % 3 !== 0) return 'inner-node array length is not a whole number of nodes';
  if (entryStart.length !== prefixCount + 1 || entryRow.length !== entries || entryRowCount.length !== entries) return 'entry arrays disagree in length';
  if (rowInterstate.length !== rows || rowIntrastate.length !== rows || rowIndeterminate.length !== rows) return 'rate arrays disagree in length';
  if (a.carrierRows.length !== a.carriers.length) return 'carrier row counts disagree with carriers';
  const bad = checkTrie(slots, inner, prefixCount);
  if (bad) return bad;
  for (let p = 0; p < prefixCount; p++) if (entryStart[p] > entryStart[p + 1]) return 'entry index is not ascending';
  if (entryStart[prefixCount] !== entries) return 'entry index does not cover the entries';
  for (let e = 0; e < entries; e++) {
    if (entryCarrier[e] >= a.carriers.length) return `entry ${e} names an unknown carrier`;
    if (entryRow[e] + entryRowCount[e] > rows) return `entry ${e} points outside the rate rows`;
  }
  return undefined;
}

/** Checked arrays as a route table (the trie's direct-index table computed here). */
export function tableOf(a: TableArrays): RouteTable {
  return {
    trie: withDirect(a.slots, a.inner, a.prefixCount),
    carriers: a.carriers,
    carrierRows: a.carrierRows,
    entryStart: a.entryStart,
    entryCarrier: a.entryCarrier,
    entryRow: a.entryRow,
    entryRowCount: a.entryRowCount,
    rowInterstate: a.rowInterstate,
    rowIntrastate: a.rowIntrastate,
    rowIndeterminate: a.rowIndeterminate,
    rowEffective: a.rowEffective,
  };
}
