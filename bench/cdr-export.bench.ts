/**
 * CDR export encoding over the SQLite store: records per second for CSV and length-delimited
 * protobuf, read in the export's batches; baseline: JSON lines over the same reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { CdrStore } from '../src/store/cdr-store.js';
import { cdrCsvRow, cdrProtobufFrame } from '../src/calls/cdr-export.js';
import type { Cdr } from '../src/calls/cdr.js';
import type { Benchmark, BenchResult } from './harness.js';

const N = 100_000;

function sample(i: number): Cdr {
  const start = Date.UTC(2026, 0, 1) + i * 1000;
  return {
    callId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    sipCallId: `${i}@192.0.2.10`,
    direction: 'sip-to-isup',
    customer: 'lab-trunk',
    calling: '9735551234',
    called: `1212555${String(i % 10_000).padStart(4, '0')}`,
    routedNumber: `212555${String(i % 10_000).padStart(4, '0')}`,
    carrier: 'ilec-tandem',
    trunkGroup: 'tg-ilec',
    cic: 1 + (i % 24),
    rate: 0.0042,
    deckVersion: '0123456789abcdef',
    charge: 0.0042 * 1.5,
    jurisdiction: 'interstate',
    startTime: new Date(start).toISOString(),
    answerTime: new Date(start + 500).toISOString(),
    endTime: new Date(start + 90_500).toISOString(),
    durationMs: 90_500,
    billableMs: 90_000,
    cause: 16,
    sipStatus: 200,
    releasedBy: 'caller',
  };
}

function timeExport(store: CdrStore, encode: (c: Cdr & { id: number }) => number): number {
  const t0 = performance.now();
  let n = 0;
  let bytes = 0;
  for (const c of store.iterate({}, 500)) {
    bytes += encode(c);
    n++;
  }
  if (n !== N || bytes === 0) throw new Error(`exported ${n} of ${N}`);
  return (n / (performance.now() - t0)) * 1000;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'cdr-export',
    async run(): Promise<BenchResult[]> {
      const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-cdr-'));
      try {
        const db = openDatabase(join(dir, 'cdrs.sqlite'));
        const store = new CdrStore(db);
        for (let i = 0; i < N; i++) store.write(sample(i));
        store.flush();
        const json = timeExport(store, (c) => Buffer.byteLength(JSON.stringify(c)) + 1);
        const csv = timeExport(store, (c) => Buffer.byteLength(cdrCsvRow(c)));
        const pb = timeExport(store, (c) => cdrProtobufFrame(c).length);
        db.close();
        const row = (name: string, value: number): BenchResult => ({ name, value: Math.round(value), unit: 'records/s', baseline: Math.round(json), ratio: Number((value / json).toFixed(2)), note: `${N} CDRs from SQLite in batches of 500; baseline JSON lines` });
        return [row('cdr-export csv', csv), row('cdr-export protobuf (length-delimited)', pb)];
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
