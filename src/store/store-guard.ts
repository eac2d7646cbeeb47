/**
 * What the switch does when its store cannot be written (disk full, file system read-only, I/O
 * error): CDRs the store refuses go to a spool file (appended and fsync'd, one JSON line each)
 * on a path the operator may put on another volume, so no CDR the switch has accepted is lost;
 * the store is retried every `retryMs` and, once it takes writes again, the spool is replayed
 * into it and removed. While degraded: an error log line (once per outage), a metric, /healthz
 * `store: false`, and — with `onWriteFailure: refuse-calls` — new calls refused.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { perRegistry } from '../util/metrics.js';
import type { StoreConfig as StoreSectionConfig } from './config.js';
import type { Cdr } from '../calls/cdr.js';

/** The guard's part of the `store:` section (src/store/config.ts). */
export type StoreConfig = Pick<StoreSectionConfig, 'onWriteFailure' | 'spoolPath' | 'retryMs'>;

/** The store guard's metrics, declared on the registry passed in. */
export const storeMetrics = perRegistry((registry: Registry) => ({
  writeFailures: new Counter({ name: 'softswitch_store_write_failures_total', help: 'Writes the embedded store refused, by SQLite error code', labelNames: ['code'] as const, registers: [registry] }),
  degradedGauge: new Gauge({ name: 'softswitch_store_degraded', help: '1 while the embedded store cannot be written (CDRs go to the spool file)', registers: [registry] }),
  spooledGauge: new Gauge({ name: 'softswitch_cdr_spooled', help: 'CDRs waiting in the spool file for the store to take writes again', registers: [registry] }),
  spoolFailures: new Counter({ name: 'softswitch_cdr_spool_failures_total', help: 'CDRs neither the store nor the spool file could take (held in memory and retried)', registers: [registry] }),
}));

/** The store operations the guard needs: a batch insert that throws when the store refuses it. */
export interface CdrSink {
  insertBatch(cdrs: Cdr[]): void;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

export class StoreGuard {
  private degradedSince?: { at: number; code: string };
  private spooled = 0;
  /** CDRs the spool file could not take either; retried with the spool. */
  private held: Cdr[] = [];
  private retry?: TimerHandle;
  private readonly listeners: Array<(degraded: boolean) => void> = [];
  private readonly m: ReturnType<typeof storeMetrics>;

  constructor(
    private readonly sink: CdrSink,
    private readonly cfg: StoreConfig & { spoolPath: string },
    private readonly clock: Clock,
    private readonly log: Logger,
    registry: Registry = new Registry(),
  ) {
    this.m = storeMetrics(registry);
    this.m.degradedGauge.set(0);
    this.m.spooledGauge.set(0);
  }

  /** At start-up: CDRs spooled by a previous run go into the store now (or stay spooled). */
  start(): void {
    if (!existsSync(this.cfg.spoolPath)) return;
    this.spooled = this.readSpool().length;
    this.m.spooledGauge.set(this.spooled);
    if (this.spooled > 0) this.log.warn({ spooled: this.spooled, spool: this.cfg.spoolPath }, 'CDRs spooled by a previous run: replaying them into the store');
    this.tryRecover();
  }

  get degraded(): boolean {
    return this.degradedSince !== undefined;
  }

  /** New calls are refused while the store is degraded and the configuration says so. */
  get refusingCalls(): boolean {
    return this.degraded && this.cfg.onWriteFailure === 'refuse-calls';
  }

  status(): { degraded: boolean; code?: string; since?: string; spooled: number; onWriteFailure: string } {
    const d = this.degradedSince;
    return { degraded: d !== undefined, code: d?.code, since: d && new Date(d.at).toISOString(), spooled: this.spooled + this.held.length, onWriteFailure: this.cfg.onWriteFailure };
  }

  onChange(fn: (degraded: boolean) => void): void {
    this.listeners.push(fn);
  }

  /** A store write other than CDRs (journal, heartbeat) that may fail: marks the store degraded instead of throwing. */
  attempt(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.failed(err, what);
    }
  }

  /** The store refused this batch of CDRs: spool them (fsync'd) and retry the store later. */
  refused(batch: Cdr[], err: unknown): void {
    this.failed(err, 'CDR write');
    this.spool(batch);
  }

  /** A store write that failed elsewhere (e.g. an asynchronous heartbeat): the store is degraded. */
  report(what: string, err: unknown): void {
    this.failed(err, what);
  }

  private failed(err: unknown, what: string): void {
    const code = errorCode(err);
    this.m.writeFailures.inc({ code });
    if (!this.degradedSince) {
      this.degradedSince = { at: this.clock.now(), code };
      this.m.degradedGauge.set(1);
      this.log.error(
        { code, what, err: (err as Error).message, spool: this.cfg.spoolPath, onWriteFailure: this.cfg.onWriteFailure },
        `store cannot be written (${code}): CDRs go to the spool file until it recovers; ${this.cfg.onWriteFailure === 'refuse-calls' ? 'new calls are refused' : 'calls continue'}. Free disk space or make dataDir writable`,
      );
      for (const fn of this.listeners) fn(true);
    }
    this.scheduleRetry();
  }

  private spool(batch: Cdr[]): void {
    const all = [...this.held.splice(0), ...batch];
    try {
      mkdirSync(dirname(this.cfg.spoolPath), { recursive: true });
      const fd = openSync(this.cfg.spoolPath, 'a');
      try {
        appendFileSync(fd, all.map((c) => JSON.stringify(c) + '\n').join(''));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.spooled += all.length;
      this.m.spooledGauge.set(this.spooled);
    } catch (err) {
      // Neither the store nor the spool: keep them in memory and keep trying both.
      this.m.spoolFailures.inc(all.length);
      this.held = all;
      this.log.error({ err: (err as Error).message, held: all.length, spool: this.cfg.spoolPath }, 'CDR spool file cannot be written either: CDRs held in memory until the store or the spool recovers (store.spoolPath should be on another volume)');
    }
  }

  private readSpool(): Cdr[] {
    const out: Cdr[] = [];
    for (const line of readFileSync(this.cfg.spoolPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as Cdr);
      } catch {
        // A torn last line (crash mid-append) was never acknowledged: skip it.
      }
    }
    return out;
  }

  private scheduleRetry(): void {
    if (this.retry) return;
    this.retry = this.clock.setTimeout(() => {
      this.retry = undefined;
      this.tryRecover();
    }, this.cfg.retryMs);
  }

  /** Replays the spool (and held CDRs) into the store in one transaction; on success the store is healthy again. */
  tryRecover(): void {
    const pending = [...(existsSync(this.cfg.spoolPath) ? this.readSpool() : []), ...this.held];
    try {
      this.sink.insertBatch(pending);
    } catch (err) {
      this.m.writeFailures.inc({ code: errorCode(err) });
      if (!this.degradedSince) this.failed(err, 'spool replay');
      else this.scheduleRetry();
      return;
    }
    this.held = [];
    if (existsSync(this.cfg.spoolPath)) rmSync(this.cfg.spoolPath);
    const replayed = pending.length;
    this.spooled = 0;
    this.m.spooledGauge.set(0);
    if (this.degradedSince) {
      this.log.info({ replayed, downMs: this.clock.now() - this.degradedSince.at }, 'store takes writes again; spooled CDRs replayed into it');
      this.degradedSince = undefined;
      this.m.degradedGauge.set(0);
      for (const fn of this.listeners) fn(false);
    } else if (replayed > 0) this.log.info({ replayed }, 'spooled CDRs replayed into the store');
  }

  stop(): void {
    this.clock.clearTimeout(this.retry);
    this.retry = undefined;
  }
}
