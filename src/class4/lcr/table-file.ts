/**
 * The compiled table as the deck builder hands it to the deck worker: a length-prefixed JSON
 * header, then each typed array's bytes at an 8-byte-aligned offset. The worker reads every
 * array straight into shared memory, one read per array: no whole-file buffer, no decoder's
 * objects and no second copy in the switch's process (its collector threads serve the call
 * path too). A hand-over between two processes of one switch, written and read by the same
 * version; the stored format that survives restarts is snapshot.ts. Reading still treats the
 * file as untrusted: every length, offset and index is checked (checkTableArrays).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { sharedArray } from './shared-memory.js';
import { checkTableArrays, tableOf, type TableArrays } from './snapshot.js';
import type { RouteTable } from './table.js';

const TYPES = { Int32Array, Uint32Array, Uint16Array, Float64Array } as const;
type TypeName = keyof typeof TYPES;
const FIELDS = ['slots', 'inner', 'entryStart', 'entryCarrier', 'entryRow', 'entryRowCount', 'rowInterstate', 'rowIntrastate', 'rowIndeterminate', 'rowEffective'] as const;
type Field = (typeof FIELDS)[number];
const FIELD_TYPE: Record<Field, TypeName> = {
  slots: 'Int32Array',
  inner: 'Int32Array',
  entryStart: 'Uint32Array',
  entryCarrier: 'Uint16Array',
  entryRow: 'Uint32Array',
  entryRowCount: 'Uint16Array',
  rowInterstate: 'Int32Array',
  rowIntrastate: 'Int32Array',
  rowIndeterminate: 'Int32Array',
  rowEffective: 'Float64Array',
};
const MAX_HEADER = 1 << 20;

interface Header {
  carriers: string[];
  carrierRows: number[];
  prefixCount: number;
  arrays: Array<{ field: Field; length: number; offset: number }>;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function arrayOf(t: RouteTable, f: Field): ArrayBufferView & { length: number } {
  return f === 'slots' ? t.trie.slots : f === 'inner' ? t.trie.inner : t[f];
}

function writeAll(fd: number, b: Uint8Array, at: number): void {
  for (let done = 0; done < b.byteLength; ) done += writeSync(fd, b, done, b.byteLength - done, at + done);
}

function readAll(fd: number, b: Uint8Array, at: number): boolean {
  for (let done = 0; done < b.byteLength; ) {
    const n = readSync(fd, b, done, b.byteLength - done, at + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

export function writeTableFile(path: string, t: RouteTable): void {
  const header: Header = { carriers: t.carriers, carrierRows: t.carrierRows, prefixCount: t.trie.prefixCount, arrays: [] };
  // Offsets depend on the header's length, which depends on the offsets: lay out after a header of generous fixed size.
  const sizes = FIELDS.map((f) => arrayOf(t, f).byteLength);
  const draft = JSON.stringify({ ...header, arrays: FIELDS.map((field, i) => ({ field, length: arrayOf(t, field).length, offset: 1e15 + i })) });
  let at = align8(4 + Buffer.byteLength(draft) + 64);
  for (let i = 0; i < FIELDS.length; i++) {
    header.arrays.push({ field: FIELDS[i], length: arrayOf(t, FIELDS[i]).length, offset: at });
    at = align8(at + sizes[i]);
  }
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.byteLength);
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, head, 0);
    writeAll(fd, json, 4);
    for (let i = 0; i < FIELDS.length; i++) {
      const a = arrayOf(t, FIELDS[i]);
      writeAll(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength), header.arrays[i].offset);
    }
  } finally {
    closeSync(fd);
  }
}

export type TableFileRead = { ok: true; table: RouteTable } | { ok: false; reason: string };

/** Reads a table file into shared memory (typed arrays over SharedArrayBuffers), checked as untrusted input. */
export function readTableFile(path: string): TableFileRead {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(4);
    if (!readAll(fd, head, 0)) return { ok: false, reason: 'table file is truncated' };
    const len = head.readUInt32LE(0);
    if (len > MAX_HEADER || 4 + len > size) return { ok: false, reason: 'table file header is too long' };
    const json = Buffer.alloc(len);
    if (!readAll(fd, json, 4)) return { ok: false, reason: 'table file is truncated' };
    let h: Header;
    try {
      h = JSON.parse(json.toString('utf8')) as Header;
    } catch {
      return { ok: false, reason: 'table file header is not JSON' };
    }
    if (!Array.isArray(h.carriers) || !h.carriers.every((c) => typeof c === 'string') || !Array.isArray(h.carrierRows) || !h.carrierRows.every((n) => Number.isInteger(n) && n >= 0) || !Number.isInteger(h.prefixCount) || h.prefixCount < 0 || !Array.isArray(h.arrays))
      return { ok: false, reason: 'table file header lacks a field' };
    const got = new Map<Field, Int32Array | Uint32Array | Uint16Array | Float64Array>();
    for (const a of h.arrays) {
      const type = FIELD_TYPE[a?.field as Field];
      if (!type || got.has(a.field) || !Number.isSafeInteger(a.length) || a.length < 0 || !Number.isSafeInteger(a.offset) || a.offset < 4 + len) return { ok: false, reason: 'table file names an array it cannot hold' };
      const bytes = a.length * TYPES[type].BYTES_PER_ELEMENT;
      if (a.offset + bytes > size) return { ok: false, reason: `table file is shorter than its ${a.field} array` };
      const arr = sharedArray(TYPES[type] as never, a.length) as Int32Array | Uint32Array | Uint16Array | Float64Array;
      if (!readAll(fd, new Uint8Array(arr.buffer, 0, bytes), a.offset)) return { ok: false, reason: 'table file is truncated' };
      got.set(a.field, arr);
    }
    if (got.size !== FIELDS.length) return { ok: false, reason: 'table file lacks an array' };
    const slots = got.get('slots') as Int32Array;
    const inner = got.get('inner') as Int32Array;
    const parts: TableArrays = {
      carriers: h.carriers,
      carrierRows: h.carrierRows,
      prefixCount: h.prefixCount,
      slots,
      inner,
      entryStart: got.get('entryStart') as Uint32Array,
      entryCarrier: got.get('entryCarrier') as Uint16Array,
      entryRow: got.get('entryRow') as Uint32Array,
      entryRowCount: got.get('entryRowCount') as Uint16Array,
      rowInterstate: got.get('rowInterstate') as Int32Array,
      rowIntrastate: got.get('rowIntrastate') as Int32Array,
      rowIndeterminate: got.get('rowIndeterminate') as Int32Array,
      rowEffective: got.get('rowEffective') as Float64Array,
    };
    const bad = checkTableArrays(parts);
    if (bad) return { ok: false, reason: bad };
    return { ok: true, table: tableOf(parts) };
  } finally {
    closeSync(fd);
  }
}
