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

export interface VersionRow {
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

export interface ActivationRow {
  id: number;
  carrier: string;
  version_id: number;
  kind: 'activate' | 'rollback';
  below: number | null;
  activated_at: string;
  activated_by: string;
}

export function version(r: VersionRow): DeckVersion {
  let report: DeckVersionReport = { errors: [] };
  try {
    report = JSON.parse(r.report) as DeckVersionReport;
  } catch {
    /* a damaged report shows as empty */
  }
  return { id: r.id, carrier: r.carrier, createdAt: r.created_at, createdBy: r.created_by, status: r.status, bytes: r.bytes, sha256: r.sha256, rowCount: r.row_count, accepted: r.accepted, rejected: r.rejected, report, file: r.file };
}

export function activation(r: ActivationRow): DeckActivation {
  return { id: r.id, carrier: r.carrier, versionId: r.version_id, kind: r.kind, below: r.below, activatedAt: r.activated_at, activatedBy: r.activated_by };
}

/** An activation another node recorded (shared stores only). */
export interface DeckActivationNotice {
  carrier: string;
  versionId: number;
  activationId: number;
  node: string;
}

/**
 * Where deck versions and activations are kept: the embedded store (this file, one node) or
 * PostgreSQL (pg-deck-versions.ts, shared by the nodes of a cluster, which also holds the
 * bodies and tells the other nodes of each activation).
 */
export interface DeckVersionRepository {
  /** True when other nodes share it: bodies are stored in it and activations are announced. */
  readonly shared: boolean;
  add(v: Omit<DeckVersion, 'id'>): Promise<DeckVersion>;
  get(id: number): Promise<DeckVersion | undefined>;
  /** Newest first. */
  list(carrier: string, limit: number): Promise<DeckVersion[]>;
  /** The carrier's current activation (undefined: its configured deck, never activated here). */
  current(carrier: string): Promise<DeckActivation | undefined>;
  activationOf(id: number): Promise<DeckActivation | undefined>;
  recordActivation(a: Omit<DeckActivation, 'id'>): Promise<DeckActivation>;
  /** Shared stores: keeps a valid version's body (the file) for the other nodes. */
  putBody?(carrier: string, sha256: string, file: string): Promise<void>;
  /** Shared stores: writes a version's body to `file`; false when the store has none. */
  fetchBody?(carrier: string, sha256: string, file: string): Promise<boolean>;
  /** Shared stores: calls `listener` for each activation another node records. */
  onActivation?(listener: (n: DeckActivationNotice) => void): void;
  close?(): Promise<void>;
}

/** The embedded store's deck versions (SQLite, synchronous underneath). */
export class DeckVersionStore implements DeckVersionRepository {
  readonly shared = false;
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

  async add(v: Omit<DeckVersion, 'id'>): Promise<DeckVersion> {
    const id = Number(this.insertVersion.run({ ...v, report: JSON.stringify(v.report) }).lastInsertRowid);
    return { ...v, id };
  }

  async get(id: number): Promise<DeckVersion | undefined> {
    const r = this.byId.get(id) as VersionRow | undefined;
    return r && version(r);
  }

  async list(carrier: string, limit: number): Promise<DeckVersion[]> {
    return (this.byCarrier.all(carrier, limit) as VersionRow[]).map(version);
  }

  async current(carrier: string): Promise<DeckActivation | undefined> {
    const r = this.latestActivation.get(carrier) as ActivationRow | undefined;
    return r && activation(r);
  }

  async activationOf(id: number): Promise<DeckActivation | undefined> {
    const r = this.activationById.get(id) as ActivationRow | undefined;
    return r && activation(r);
  }

  async recordActivation(a: Omit<DeckActivation, 'id'>): Promise<DeckActivation> {
    const id = Number(this.insertActivation.run(a).lastInsertRowid);
    return { ...a, id };
  }
}
