/**
 * Rate deck versions: every import is kept as a version with its validation report; a valid
 * version can be activated (its body becomes the carrier's active deck and the table is rebuilt
 * in the deck worker), rolled back to the version active before it, and compared with another.
 * Metadata and history live in the store (store/deck-versions.ts); bodies are files under
 * `<dataDir>/lcr/versions/<carrier>/<sha256>.csv`, written by the worker as the upload streams.
 * With a shared store (PostgreSQL, several nodes) the bodies are kept in the store too, a node
 * fetches a body it lacks before activating it, and each node follows the activations the others
 * record (announced by the store) and, at start, the activation current in the store.
 */
import { randomBytes } from 'node:crypto';
import { access, copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SoftswitchError } from '../../errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { DeckDiff } from '../lcr/diff.js';
import type { UploadSession } from '../lcr/compiler.js';
import type { LoadTimings, UploadLimits, ValidationReport } from '../lcr/worker-protocol.js';
import type { DeckActivation, DeckActivationNotice, DeckVersion, DeckVersionRepository } from '../../store/deck-versions.js';
import type { RoutingEngine } from './engine.js';

export type { DeckActivation, DeckVersion } from '../../store/deck-versions.js';

/** Defaults for uploads: a deck row is short, a deck of junk shows itself within a few hundred rows. */
export const DECK_UPLOAD_DEFAULTS: UploadLimits = { maxBytes: 64 * 1024 * 1024, maxRows: 10_000_000, maxLineChars: 64 * 1024, junkAfterRows: 200 };

export interface DeckVersionsOptions {
  engine: RoutingEngine;
  /** The embedded store (this node's versions) or the shared PostgreSQL one (the cluster's). */
  store: DeckVersionRepository;
  dataDir: string;
  limits?: Partial<UploadLimits>;
  logger?: Logger;
  now?: () => Date;
}

export interface ActivationResult {
  version: DeckVersion;
  activation: DeckActivation;
  /** The version active before (null: the configured deck file). */
  previousVersionId: number | null;
  prefixes: number;
  timings?: LoadTimings;
}

/** An upload in progress: bytes go to the deck worker, which validates them as they come. */
export class DeckVersionUpload {
  private stopped: ValidationReport | undefined;

  constructor(
    private readonly owner: DeckVersions,
    readonly carrier: string,
    private readonly staged: string,
    private readonly session: UploadSession,
  ) {}

  /** Resolves once the worker has the chunk; a report when it refused the deck there (read no more). */
  async push(chunk: Uint8Array): Promise<ValidationReport | undefined> {
    if (this.stopped) return this.stopped;
    const stop = await this.session.push(chunk);
    if (stop) this.stopped = stop;
    return stop;
  }

  /** Ends the upload and stores it as a version (valid or rejected, with its report). */
  async finish(actor: string): Promise<DeckVersion> {
    const report = this.stopped ?? (await this.session.end());
    return this.owner.record(this.carrier, this.staged, report, actor);
  }

  abort(): void {
    this.session.abort();
  }
}

export class DeckVersions {
  private readonly limits: UploadLimits;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(private readonly opts: DeckVersionsOptions) {
    this.limits = { ...DECK_UPLOAD_DEFAULTS, ...opts.limits };
    this.log = (opts.logger ?? silentLogger).child({ component: 'lcr-versions' });
    this.now = opts.now ?? (() => new Date());
  }

  private get engine(): RoutingEngine {
    return this.opts.engine;
  }

  private dir(carrier: string): string {
    return join(this.opts.dataDir, 'lcr', 'versions', encodeURIComponent(carrier));
  }

  /** Throws SSW_ERR_UNKNOWN_CARRIER for a carrier the configuration does not name. */
  checkCarrier(carrier: string): void {
    if (!this.engine.config.carriers.some((c) => c.id === carrier)) throw new SoftswitchError('SSW_ERR_UNKNOWN_CARRIER', carrier);
  }

  /** Starts an upload for a configured carrier; `maxBytes` caps it (the route's body limit). */
  async upload(carrier: string, maxBytes = this.limits.maxBytes): Promise<DeckVersionUpload> {
    this.checkCarrier(carrier);
    const dir = this.dir(carrier);
    await mkdir(dir, { recursive: true });
    const staged = join(dir, `.upload-${randomBytes(6).toString('hex')}.csv`);
    const session = await this.engine.compiler.upload(carrier, staged, { ...this.limits, maxBytes });
    return new DeckVersionUpload(this, carrier, staged, session);
  }

  /** Stores an ended upload as a version; a valid body moves to its content-addressed name. */
  async record(carrier: string, staged: string, report: ValidationReport, actor: string): Promise<DeckVersion> {
    let file: string | null = null;
    if (report.valid) {
      file = join(this.dir(carrier), `${report.sha256}.csv`);
      await rename(staged, file);
    } else await rm(staged, { force: true });
    if (file && this.opts.store.putBody) await this.opts.store.putBody(carrier, report.sha256, file);
    const v = await this.opts.store.add({
      carrier,
      createdAt: this.now().toISOString(),
      createdBy: actor,
      status: report.valid ? 'valid' : 'rejected',
      bytes: report.bytes,
      sha256: report.sha256,
      rowCount: report.rowCount,
      accepted: report.accepted,
      rejected: report.rejected,
      report: { errors: report.errors, ...(report.stoppedAtLine !== undefined ? { stoppedAtLine: report.stoppedAtLine, stopReason: report.stopReason, refusal: report.refusal } : {}) },
      file,
    });
    this.log.info({ carrier, version: v.id, status: v.status, rows: v.rowCount, rejected: v.rejected, actor }, 'rate deck version stored');
    return v;
  }

  async get(id: number): Promise<DeckVersion> {
    const v = await this.opts.store.get(id);
    if (!v) throw new SoftswitchError('SSW_ERR_DECK_VERSION_NOT_FOUND', String(id));
    return v;
  }

  list(carrier: string, limit: number): Promise<DeckVersion[]> {
    this.checkCarrier(carrier);
    return this.opts.store.list(carrier, limit);
  }

  /** The version id active for a carrier (null: its configured deck). */
  async activeVersion(carrier: string): Promise<number | null> {
    return (await this.opts.store.current(carrier))?.versionId ?? null;
  }

  activate(id: number, actor: string): Promise<ActivationResult> {
    return this.engine.serial(async () => this.activateNow(await this.get(id), actor, 'activate', undefined));
  }

  /**
   * The local body of a valid version: its file here, fetched from a shared store when this node
   * has not got it (imported on another node). Undefined for rejected versions or lost bodies.
   */
  private async bodyOf(v: DeckVersion): Promise<string | undefined> {
    if (v.status !== 'valid') return undefined;
    const file = v.file ?? join(this.dir(v.carrier), `${v.sha256}.csv`);
    if (await access(file).then(() => true, () => false)) return file;
    if (!this.opts.store.fetchBody) return undefined;
    await mkdir(this.dir(v.carrier), { recursive: true });
    return (await this.opts.store.fetchBody(v.carrier, v.sha256, file)) ? file : undefined;
  }

  /** Puts a version's body in place as the carrier's active deck (the previous one kept aside until the reload succeeds). */
  private async install(v: DeckVersion, body: string): Promise<void> {
    const target = this.engine.activeDeckPath(v.carrier);
    const backup = `${target}.previous`;
    await mkdir(join(target, '..'), { recursive: true });
    const hadPrevious = await rename(target, backup).then(
      () => true,
      () => false,
    );
    await copyFile(body, `${target}.tmp`);
    await rename(`${target}.tmp`, target);
    const results = await this.engine.reloadNow();
    const bad = results.filter((r) => !r.ok);
    if (bad.length) {
      // Another carrier's deck stopped loading (edited by hand?): put this carrier's file back.
      if (hadPrevious) await rename(backup, target);
      else await rm(target, { force: true });
      const first = bad[0];
      throw new SoftswitchError('SSW_ERR_RATE_DECK_INVALID', `after activating version ${v.id}: carrier ${first.carrier}: ${first.ok ? '' : first.errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`).join('; ')}`);
    }
    if (hadPrevious) await rm(backup, { force: true });
  }

  /**
   * Shared stores: follows every activation other nodes record from now on, and installs the
   * activations current in the store now (a node that was down while the cluster moved on).
   */
  async followStore(): Promise<void> {
    const store = this.opts.store;
    if (!store.shared) return;
    store.onActivation?.((n) => void this.follow(n));
    for (const c of this.engine.config.carriers) {
      const cur = await store.current(c.id);
      if (cur) await this.follow({ carrier: c.id, versionId: cur.versionId, activationId: cur.id, node: 'store' });
    }
  }

  /** Installs an activation recorded elsewhere (no new activation row). Failures are logged: the deck in use stays. */
  private follow(n: DeckActivationNotice): Promise<void> {
    return this.engine
      .serial(async () => {
        const cur = await this.opts.store.current(n.carrier);
        // Several announcements in a row: only the carrier's latest activation matters.
        if (cur && cur.id !== n.activationId) return;
        const v = await this.get(n.versionId);
        const body = await this.bodyOf(v);
        if (!body) throw new SoftswitchError('SSW_ERR_DECK_VERSION_REJECTED', `version ${v.id} has no body in the store`);
        await this.install(v, body);
        this.log.info({ carrier: n.carrier, version: v.id, by: n.node, prefixes: this.engine.stats().prefixes }, 'rate deck version activated on another node; following it');
      })
      .catch((err: Error) => this.log.error({ err: err.message, carrier: n.carrier, version: n.versionId, by: n.node }, 'cannot follow a rate deck activation of another node; this node keeps routing with its current deck'));
  }

  /** Re-activates the version that was active before the current one. */
  rollback(carrier: string, actor: string): Promise<ActivationResult> {
    this.checkCarrier(carrier);
    return this.engine.serial(async () => {
      const cur = await this.opts.store.current(carrier);
      const below = cur?.below == null ? undefined : await this.opts.store.activationOf(cur.below);
      if (!cur || !below) throw new SoftswitchError('SSW_ERR_DECK_NO_ROLLBACK', carrier);
      return this.activateNow(await this.get(below.versionId), actor, 'rollback', below.below);
    });
  }

  private async activateNow(v: DeckVersion, actor: string, kind: 'activate' | 'rollback', below: number | null | undefined): Promise<ActivationResult> {
    this.checkCarrier(v.carrier);
    if (v.status !== 'valid') throw new SoftswitchError('SSW_ERR_DECK_VERSION_REJECTED', `version ${v.id} has ${v.rejected} bad rows`);
    const body = await this.bodyOf(v);
    if (!body) throw new SoftswitchError('SSW_ERR_DECK_VERSION_REJECTED', `version ${v.id}: its body is missing (not on this node, not in the store)`);
    await this.install(v, body);
    const cur = await this.opts.store.current(v.carrier);
    const activation = await this.opts.store.recordActivation({
      carrier: v.carrier,
      versionId: v.id,
      kind,
      below: kind === 'rollback' ? (below ?? null) : (cur?.id ?? null),
      activatedAt: this.now().toISOString(),
      activatedBy: actor,
    });
    const stats = this.engine.stats();
    this.log.info({ carrier: v.carrier, version: v.id, kind, previous: cur?.versionId ?? null, actor, prefixes: stats.prefixes }, 'rate deck version activated');
    return { version: v, activation, previousVersionId: cur?.versionId ?? null, prefixes: stats.prefixes, ...(stats.lastReload ? { timings: stats.lastReload } : {}) };
  }

  /** What changed from one valid version to another (computed in the deck worker). */
  async diff(fromId: number, toId: number, limit: number): Promise<DeckDiff> {
    const a = await this.get(fromId);
    const b = await this.get(toId);
    const [pa, pb] = [await this.bodyOf(a), await this.bodyOf(b)];
    if (!pa) throw new SoftswitchError('SSW_ERR_DECK_VERSION_REJECTED', `version ${a.id} has no valid body to compare`);
    if (!pb) throw new SoftswitchError('SSW_ERR_DECK_VERSION_REJECTED', `version ${b.id} has no valid body to compare`);
    return this.engine.compiler.diff({ carrier: a.carrier, path: pa }, { carrier: b.carrier, path: pb }, limit);
  }
}
