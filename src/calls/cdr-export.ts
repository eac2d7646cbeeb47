/**
 * CDR export formats, pure over records: CSV (RFC 4180, one header line, columns in a fixed order)
 * and a length-delimited protobuf stream (each `softswitch.cdr.v1.Cdr` of ./cdr.proto preceded by
 * its varint length). The .proto file is the contract; it is loaded from beside this module.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Cdr } from './cdr.js';

export type ExportedCdr = Cdr & { id: number };

/**
 * CSV columns, in order: the stored record's fields. New columns go at the end, so a reader that
 * takes columns by position keeps working (transferredBy/transferredFrom came after interrupted).
 */
export const CDR_CSV_COLUMNS = [
  'id', 'callId', 'sipCallId', 'direction', 'customer', 'calling', 'called', 'routedNumber', 'lrn', 'carrier',
  'trunkGroup', 'cic', 'rate', 'deckVersion', 'charge', 'jurisdiction', 'startTime', 'answerTime', 'endTime',
  'durationMs', 'billableMs', 'cause', 'sipStatus', 'releasedBy', 'gatewayEndpoint', 'inTrunkGroup', 'inCic',
  'target', 'interrupted', 'transferredBy', 'transferredFrom',
] as const satisfies ReadonlyArray<keyof ExportedCdr>;

/** RFC 4180 §2: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function cdrCsvHeader(): string {
  return CDR_CSV_COLUMNS.join(',') + '\r\n';
}

export function cdrCsvRow(cdr: ExportedCdr): string {
  return CDR_CSV_COLUMNS.map((c) => csvField(c === 'interrupted' ? (cdr.interrupted ? 'true' : 'false') : cdr[c])).join(',') + '\r\n';
}

export const CDR_PROTO_PATH = fileURLToPath(new URL('./cdr.proto', import.meta.url));
export const CDR_MESSAGE = 'softswitch.cdr.v1.Cdr';

let cdrType: protobuf.Type | undefined;

/** The Cdr message type of ./cdr.proto (loaded once). */
export function cdrMessageType(): protobuf.Type {
  cdrType ??= protobuf.loadSync(CDR_PROTO_PATH).lookupType(CDR_MESSAGE);
  return cdrType;
}

/** One CDR as its varint length followed by the encoded message. */
export function cdrProtobufFrame(cdr: ExportedCdr): Uint8Array {
  const type = cdrMessageType();
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cdr)) if (v !== undefined && v !== null) fields[k] = v;
  return type.encodeDelimited(type.fromObject(fields)).finish();
}
