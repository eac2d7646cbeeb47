/**
 * Rate deck versions in the embedded store: one row per import (valid or not) with its
 * validation report, and the activation history per carrier. The deck bodies stay files under
 * the data directory (named by content hash), written and read by the deck worker, so a
 * many-megabyte deck never passes through a synchronous SQLite write on the event loop.
 *
 * Activations form a stack per carrier: each row points at the activation it replaced
 * (`below`), and a rollback re-activates the version below the current one, so repeated
 * rollbacks walk back through history.
 */
import type { Db } from './database.js';

export type DeckVersionStatus = 'valid' | 'rejected';

export interface DeckVersionReport {
  errors: Array<{ line: number; message: string }>;
  stoppedAtLine?: number;
  stopReason?: string;
  refusal?: 'media-type' | 'too-large' | 'invalid';
}

export interface DeckVersion {
  id: number;
  carrier: string;
  createdAt: string;
  createdBy: string;
  status: DeckVersionStatus;
  bytes: number;
  sha256: string;
  rowCount: number;
  accepted: number;
  rejected: number;
  report: DeckVersionReport;
  /** The body (absolute path), for valid versions. */
  file: string | null;
}

export interface DeckActivation {
  id: number;
  carrier: string;
  versionId: number;
  kind: 'activate' | 'rollback';
  below: number | null;
  activatedAt: string;
  activatedBy: string;
}

interface VersionRow {
  id: number;
  carrier: string;
  created_at: string;
  created_by: string;
  status: DeckVersionStatus;
  bytes: number;
  sha256: string;
  row_count: number;
  accepted: number;
  rejected: number;
  report: string;
  file: string | null;
}

interface ActivationRow {
  id: number;
  carrier: string;
  version_id: number;
  kind: 'activate' | 'rollback';
  below: number | null;
  activated_at: string;
  activated_by: string;
}

function version(r: VersionRow): DeckVersion {
  let report: DeckVersionReport = { errors: [] };
  try {
    report = JSON.parse(r.report) as DeckVersionReport;
  } catch {
    /* a damaged report shows as empty */
  }
  return { id: r.id, carrier: r.carrier, createdAt: r.created_at, createdBy: r.created_by, status: r.status, bytes: r.bytes, sha256: r.sha256, rowCount: r.row_count, accepted: r.accepted, rejected: r.rejected, report, file: r.file };
}

function activation(r: ActivationRow): DeckActivation {
  return { id: r.id, carrier: r.carrier, versionId: r.version_id, kind: r.kind, below: r.below, activatedAt: r.activated_at, activatedBy: r.activated_by };
}

export class DeckVersionStore {
  private readonly insertVersion;
  private readonly byId;
  private readonly byCarrier;
  private readonly insertActivation;
  private readonly latestActivation;
  private readonly activationById;

  constructor(db: Db) {
    this.insertVersion = db.prepare(
      `INSERT INTO lcr_deck_versions (carrier, created_at, created_by, status, bytes, sha256, row_count, accepted, rejected, report, file)
       VALUES (@carrier, @createdAt, @createdBy, @status, @bytes, @sha256, @rowCount, @accepted, @rejected, @report, @file)`,
    );
    this.byId = db.prepare('SELECT * FROM lcr_deck_versions WHERE id = ?');
    this.byCarrier = db.prepare('SELECT * FROM lcr_deck_versions WHERE carrier = ? ORDER BY id DESC LIMIT ?');
    this.insertActivation = db.prepare(
      'INSERT INTO lcr_deck_activations (carrier, version_id, kind, below, activated_at, activated_by) VALUES (@carrier, @versionId, @kind, @below, @activatedAt, @activatedBy)',
    );
    this.latestActivation = db.prepare('SELECT * FROM lcr_deck_activations WHERE carrier = ? ORDER BY id DESC LIMIT 1');
    this.activationById = db.prepare('SELECT * FROM lcr_deck_activations WHERE id = ?');
  }

  add(v: Omit<DeckVersion, 'id'>): DeckVersion {
    const id = Number(this.insertVersion.run({ ...v, report: JSON.stringify(v.report) }).lastInsertRowid);
    return { ...v, id };
  }

  get(id: number): DeckVersion | undefined {
    const r = this.byId.get(id) as VersionRow | undefined;
    return r && version(r);
  }

  /** Newest first. */
  list(carrier: string, limit: number): DeckVersion[] {
    return (this.byCarrier.all(carrier, limit) as VersionRow[]).map(version);
  }

  /** The carrier's current activation (undefined: its configured deck, never activated here). */
  current(carrier: string): DeckActivation | undefined {
    const r = this.latestActivation.get(carrier) as ActivationRow | undefined;
    return r && activation(r);
  }

  activationOf(id: number): DeckActivation | undefined {
    const r = this.activationById.get(id) as ActivationRow | undefined;
    return r && activation(r);
  }

  recordActivation(a: Omit<DeckActivation, 'id'>): DeckActivation {
    const id = Number(this.insertActivation.run(a).lastInsertRowid);
    return { ...a, id };
  }
}
