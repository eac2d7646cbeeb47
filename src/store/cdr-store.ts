import type { Db } from './database.js';

/** A call detail record as written when a call ends. Times are ISO-8601 UTC. */
export interface Cdr {
  callId: string;
  sipCallId?: string;
  direction: 'sip-to-isup' | 'isup-to-sip';
  customer?: string;
  calling?: string;
  called: string;
  routedNumber?: string;
  lrn?: string;
  carrier?: string;
  trunkGroup?: string;
  cic?: number;
  rate?: number;
  jurisdiction?: string;
  startTime: string;
  answerTime?: string;
  endTime: string;
  durationMs: number;
  billableMs: number;
  /** Q.850 release cause. */
  cause: number;
  sipStatus?: number;
  releasedBy?: 'caller' | 'callee' | 'switch';
  gatewayEndpoint?: string;
}

export interface StoredCdr extends Cdr {
  id: number;
}

const COLUMNS: Array<[keyof Cdr, string]> = [
  ['callId', 'call_id'],
  ['sipCallId', 'sip_call_id'],
  ['direction', 'direction'],
  ['customer', 'customer'],
  ['calling', 'calling'],
  ['called', 'called'],
  ['routedNumber', 'routed_number'],
  ['lrn', 'lrn'],
  ['carrier', 'carrier'],
  ['trunkGroup', 'trunk_group'],
  ['cic', 'cic'],
  ['rate', 'rate'],
  ['jurisdiction', 'jurisdiction'],
  ['startTime', 'start_time'],
  ['answerTime', 'answer_time'],
  ['endTime', 'end_time'],
  ['durationMs', 'duration_ms'],
  ['billableMs', 'billable_ms'],
  ['cause', 'cause'],
  ['sipStatus', 'sip_status'],
  ['releasedBy', 'released_by'],
  ['gatewayEndpoint', 'gateway_endpoint'],
];

/** CDR persistence in the embedded store. */
export class CdrStore {
  private readonly insertStmt;
  private readonly listStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO cdrs (${COLUMNS.map(([, c]) => c).join(', ')}) VALUES (${COLUMNS.map(([k]) => '@' + k).join(', ')})`,
    );
    this.listStmt = db.prepare('SELECT * FROM cdrs WHERE id > ? ORDER BY id DESC LIMIT ?');
  }

  insert(cdr: Cdr): number {
    const row: Record<string, unknown> = {};
    for (const [k] of COLUMNS) row[k] = cdr[k] ?? null;
    return Number(this.insertStmt.run(row).lastInsertRowid);
  }

  /** Newest first. */
  list(opts: { limit?: number; afterId?: number } = {}): StoredCdr[] {
    const rows = this.listStmt.all(opts.afterId ?? 0, Math.min(Math.max(opts.limit ?? 100, 1), 10_000)) as Record<string, unknown>[];
    return rows.map((r) => {
      const out: Record<string, unknown> = { id: r.id };
      for (const [k, c] of COLUMNS) if (r[c] !== null) out[k] = r[c];
      return out as unknown as StoredCdr;
    });
  }
}
