/**
 * The CDR export formats over records: CSV read back with csv-parse, the length-delimited protobuf
 * stream decoded with protobufjs from the .proto file. The transfer fields (transferredBy,
 * transferredFrom) are in both; the protobuf schema stays compatible both ways with the schema of
 * before they were added (fields 30 and 31 are new numbers, skipped by older readers).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { CDR_CSV_COLUMNS, CDR_MESSAGE, CDR_PROTO_PATH, cdrCsvHeader, cdrCsvRow, cdrProtobufFrame, type ExportedCdr } from '../../src/calls/cdr-export.js';

const base: ExportedCdr = {
  id: 7,
  callId: '3f1c-blind',
  direction: 'sip-to-sip',
  customer: 'acme',
  calling: '1001',
  called: '1003',
  startTime: '2026-11-30T12:00:00.000Z',
  answerTime: '2026-11-30T12:00:02.000Z',
  endTime: '2026-11-30T12:01:02.000Z',
  durationMs: 62_000,
  billableMs: 60_000,
  cause: 16,
  releasedBy: 'caller',
};
const blind: ExportedCdr = { ...base, transferredBy: '1002', transferredFrom: 'a1b2-original' };
const attended: ExportedCdr = { ...base, id: 8, callId: '3f1c-joined', transferredBy: '1002', transferredFrom: 'call-with-a,call-with-c' };
const plain: ExportedCdr = { ...base, id: 9, callId: 'no-transfer', interrupted: true };

/** The schema as it was before the transfer fields: the same file without fields 30 and 31. */
const oldSchema = () => {
  const text = readFileSync(CDR_PROTO_PATH, 'utf8')
    .split('\n')
    .filter((l) => !/= 3[01];/.test(l))
    .join('\n');
  expect(text).not.toContain('transferred');
  return protobuf.parse(text).root.lookupType(CDR_MESSAGE);
};
const newSchema = () => protobuf.loadSync(CDR_PROTO_PATH).lookupType(CDR_MESSAGE);

function decodeAll(type: protobuf.Type, bytes: Uint8Array): Array<Record<string, unknown>> {
  const reader = protobuf.Reader.create(bytes);
  const out: Array<Record<string, unknown>> = [];
  while (reader.pos < reader.len) out.push(type.toObject(type.decodeDelimited(reader), { longs: Number }));
  return out;
}
const concat = (frames: Uint8Array[]) => Buffer.concat(frames.map((f) => Buffer.from(f)));

describe('CDR CSV export', () => {
  it('has transferredBy and transferredFrom as the last columns, after every older one', () => {
    expect(CDR_CSV_COLUMNS.slice(-3)).toEqual(['interrupted', 'transferredBy', 'transferredFrom']);
    expect(cdrCsvHeader()).toBe(CDR_CSV_COLUMNS.join(',') + '\r\n');
  });

  it('csv-parse reads the transfer fields back, the comma-separated pair of an attended transfer quoted (RFC 4180 §2)', () => {
    const text = cdrCsvHeader() + [blind, attended, plain].map(cdrCsvRow).join('');
    expect(text).toContain('"call-with-a,call-with-c"');
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => [r.id, r.transferredBy, r.transferredFrom, r.interrupted])).toEqual([
      ['7', '1002', 'a1b2-original', 'false'],
      ['8', '1002', 'call-with-a,call-with-c', 'false'],
      ['9', '', '', 'true'],
    ]);
    expect(rows[1].transferredFrom.split(',')).toEqual(['call-with-a', 'call-with-c']);
    expect(rows[0].called).toBe('1003');
  });
});

describe('CDR protobuf export', () => {
  it('a stream of length-delimited Cdr messages carrying transferred_by and transferred_from (fields 30, 31)', () => {
    const type = newSchema();
    expect(type.fields.transferredBy.id).toBe(30);
    expect(type.fields.transferredFrom.id).toBe(31);
    const records = decodeAll(type, concat([blind, attended, plain].map(cdrProtobufFrame)));
    expect(records.map((r) => [r.id, r.callId, r.transferredBy, r.transferredFrom])).toEqual([
      [7, '3f1c-blind', '1002', 'a1b2-original'],
      [8, '3f1c-joined', '1002', 'call-with-a,call-with-c'],
      [9, 'no-transfer', undefined, undefined],
    ]);
    expect(records[2].interrupted).toBe(true);
  });

  it('a reader of the older schema decodes the new stream (the new fields skipped) and the new schema reads old records (fields absent)', () => {
    const old = oldSchema();
    const seen = decodeAll(old, concat([blind, attended].map(cdrProtobufFrame)));
    expect(seen.map((r) => [r.id, r.callId, r.calling, r.called, r.cause, r.billableMs])).toEqual([
      [7, '3f1c-blind', '1001', '1003', 16, 60_000],
      [8, '3f1c-joined', '1001', '1003', 16, 60_000],
    ]);
    expect(seen[0]).not.toHaveProperty('transferredBy');

    const oldBytes = old.encodeDelimited(old.fromObject({ ...base })).finish();
    const [back] = decodeAll(newSchema(), oldBytes);
    expect(back.callId).toBe('3f1c-blind');
    expect(back.transferredBy).toBeUndefined();
    expect(back.transferredFrom).toBeUndefined();
  });
});
