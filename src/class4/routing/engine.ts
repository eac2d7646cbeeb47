/**
 * The routing engine: normalisation, blocking, LNP dip, jurisdiction, longest-prefix match over
 * the compiled table, candidate ordering, availability and route advance. Lookups are synchronous
 * and read one table reference. Decks are read, validated and compiled off the event loop, in
 * the deck worker's builder process at background CPU priority (lcr/compiler.ts, lcr/deck-builder.ts); the finished table arrives in shared memory (lcr/shared-memory.ts) and is swapped in with one
 * assignment, so a reload never stalls or fails a lookup.
 */
import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SoftswitchError } from '../../errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { formatDate, formatRate, type DeckRowError } from '../lcr/deck.js';
import { DeckCompiler, type LoadOutcome } from '../lcr/compiler.js';
import type { Adoption, DeckSource, LoadTimings, UploadLimits } from '../lcr/worker-protocol.js';
import { rateOf, rowInEffect, tableSize, type RouteTable, type TableSize } from '../lcr/table.js';
import { matchPath, walkPrefixes } from '../lcr/trie.js';
import { blockedReason } from './blocked.js';
import { routingConfigSchema, type CarrierConfig, type CustomerConfig, type RoutingConfig } from './config.js';
import type { RouteCandidate, RouteDecision, SkipCode, SkippedCarrier } from './decision.js';
import { jurisdictionOf, rateColumnFor } from './jurisdiction.js';
import { Registry } from 'prom-client';
import { lcrMetrics, type LcrMetrics } from './metrics.js';
import { isNanp, normalizeNumber } from './normalize.js';
import { parseLnp, parseStateTable } from './tables.js';
import { activeWindow } from './tod.js';

export type { RouteCandidate, RouteDecision, SkipCode, SkippedCarrier } from './decision.js';

/** Repository root: defaults in the config are relative to it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface EngineOptions {
  dataDir: string;
  logger?: Logger;
  /** Base for relative paths in the config; the repository root by default. */
  baseDir?: string;
  /** Uniform [0,1) source for weighted load sharing; Math.random by default. */
  random?: () => number;
  /** The deck worker (one is started when absent). */
  compiler?: DeckCompiler;
  /** Where lookups and reloads are counted (the switch's registry; default: one of the engine's own). */
  registry?: Registry;
}

export interface LookupQuery {
  called: string;
  calling?: string;
  customer?: string;
  at?: Date;
}

export type ImportResult =
  | { ok: true; carrier: string; rows: number; prefixes: number; buildMs: number }
  | { ok: false; carrier: string; errors: DeckRowError[]; errorCount: number; rowCount: number };

export interface EngineStats extends TableSize {
  carriers: Array<{ id: string; rows: number }>;
  loadedFrom: 'snapshot' | 'decks';
  lastBuildMs: number;
  /** The last load or reload, measured in the deck worker. */
  lastReload?: LoadTimings;
  /** The event loop's share of the last reload: taking delivery of the table and putting it in use. */
  lastAdoption?: Adoption;
  reloads: number;
  lookups: number;
}

const COLUMN_NAMES = ['interstate', 'intrastate', 'indeterminate'] as const;
/** An in-process import (CLI, tests) is not an upload: no caps. */
const UNBOUNDED: UploadLimits = { maxBytes: Number.MAX_SAFE_INTEGER, maxRows: Number.MAX_SAFE_INTEGER, maxLineChars: Number.MAX_SAFE_INTEGER, junkAfterRows: Number.MAX_SAFE_INTEGER };

export class RoutingEngine {
  private table: RouteTable;
  private availability: (trunkGroup: string) => boolean = () => true;
  private readonly carriers = new Map<string, CarrierConfig>();
  private readonly customers = new Map<string, CustomerConfig>();
  private readonly advanceQ850: Set<number>;
  private readonly advanceSip: Set<number>;
  private readonly log: Logger;
  private readonly random: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private loadedFrom: 'snapshot' | 'decks';
  private lastBuildMs: number;
  private lastReload: LoadTimings | undefined;
  private lastAdoption: Adoption | undefined;
  private reloads = 0;
  private lookups = 0;
  private readonly m: LcrMetrics;
  /** Each carrier's active deck version: the first 16 hex digits of the SHA-256 of its file (rated CDRs carry it). */
  private readonly deckVersions = new Map<string, string>();

  private constructor(
    readonly config: RoutingConfig,
    private readonly opts: EngineOptions,
    readonly compiler: DeckCompiler,
    loaded: Extract<LoadOutcome, { ok: true }>,
    private readonly lnp: ReadonlyMap<string, string>,
    private readonly states: ReadonlyMap<string, string>,
  ) {
    this.m = lcrMetrics(opts.registry ?? new Registry());
    this.table = loaded.table;
    this.lastReload = loaded.timings;
    this.noteDecks(loaded.carriers);
    for (const c of config.carriers) this.carriers.set(c.id, c);
    for (const c of config.customers) this.customers.set(c.id, c);
    this.advanceQ850 = new Set(config.advance.q850);
    this.advanceSip = new Set(config.advance.sip);
    this.log = (opts.logger ?? silentLogger).child({ component: 'lcr' });
    this.random = opts.random ?? Math.random;
    this.loadedFrom = loaded.from;
    this.lastBuildMs = loaded.timings.buildMs;
    this.publishSize();
  }

  /** Loads the snapshot when it matches the current decks, else parses the decks, builds and writes a snapshot (all in the deck worker). */
  static async load(input: unknown, options: EngineOptions): Promise<RoutingEngine> {
    const opts = { ...options, registry: options.registry ?? new Registry() };
    const parsed = routingConfigSchema.safeParse(input ?? {});
    if (!parsed.success) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `routing: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const cfg = parsed.data;
    const log = (opts.logger ?? silentLogger).child({ component: 'lcr' });
    const base = opts.baseDir ?? REPO_ROOT;
    const lnp = await loadTable(cfg.lnp.file, base, parseLnp);
    const states = await loadTable(cfg.jurisdiction.stateTable, base, parseStateTable);
    const compiler = opts.compiler ?? new DeckCompiler();
    let out: LoadOutcome;
    try {
      out = await compiler.load(deckSources(cfg, opts.dataDir, base), snapshotOf(cfg, opts.dataDir, true));
    } catch (err) {
      if (!opts.compiler) await compiler.close();
      throw err;
    }
    if (!out.ok) {
      if (!opts.compiler) await compiler.close();
      const problems = out.carriers.filter((c) => !c.ok).flatMap((c) => c.errors.slice(0, 20).map((e) => `${c.path}:${e.line}: ${e.message}`));
      throw new SoftswitchError('SSW_ERR_RATE_DECK_INVALID', problems.join('; '));
    }
    if (out.snapshotError) log.warn({ reason: out.snapshotError }, 'route table snapshot not written; the next start rebuilds from the decks');
    lcrMetrics(opts.registry).lcrReloadsTotal.inc({ result: 'ok' });
    lcrMetrics(opts.registry).lcrReloadSeconds.observe(out.timings.totalMs / 1000);
    log.info({ prefixes: out.table.trie.prefixCount, from: out.from, ...roundTimings(out.timings) }, out.from === 'snapshot' ? 'route table loaded from snapshot' : 'route table built from rate decks');
    return new RoutingEngine(cfg, opts, compiler, out, lnp, states);
  }

  /** The version of a carrier's active deck (CDRs are rated with it). */
  deckVersion(carrier: string): string | undefined {
    return this.deckVersions.get(carrier);
  }

  private noteDecks(carriers: ReadonlyArray<{ carrier: string; sha256?: string }>): void {
    for (const c of carriers) if (c.sha256) this.deckVersions.set(c.carrier, c.sha256.slice(0, 16));
  }

  /** Stops the deck worker (lookups keep working on the active table). */
  close(): Promise<void> {
    return this.compiler.close();
  }

  /** Plug in destination availability (M3UA DUNA/DAVA, gateway health): false skips the trunk group. */
  setAvailability(probe: (trunkGroup: string) => boolean): void {
    this.availability = probe;
  }

  /** True when a call failing with this Q.850 cause should move to the next candidate. */
  advancesOn(cause: number): boolean {
    return this.advanceQ850.has(cause);
  }

  lookup(q: LookupQuery): RouteDecision {
    this.lookups++;
    const at = q.at && !Number.isNaN(q.at.getTime()) ? q.at : new Date();
    const customerId = q.customer ?? this.config.defaultCustomer;
    const customer = this.customers.get(customerId);
    const decision: RouteDecision = {
      called: q.called,
      customer: customerId,
      normalizedCalled: '',
      routingNumber: '',
      lnpDipped: false,
      jurisdiction: 'indeterminate',
      candidates: [],
      skipped: [],
      at: at.toISOString(),
    };
    if (!customer) return this.finish(decision, `unknown customer "${customerId}"`);
    const called = normalizeNumber(q.called, customer.ingress);
    if (q.calling) {
      const calling = normalizeNumber(q.calling, customer.ingress);
      if (calling.ok) decision.normalizedCalling = calling.digits;
    }
    if (!called.ok) return this.finish(decision, `invalid number: ${called.reason}`);
    const digits = called.digits;
    decision.normalizedCalled = digits;
    decision.routingNumber = digits;
    const blocked = blockedReason(digits, [...this.config.blocked, ...customer.blocked], customer.blockInternational, customer.ingress.countryCode);
    if (isNanp(digits)) {
      decision.lnpDipped = true;
      const lrn = this.lnp.get(digits.slice(1));
      if (lrn && lrn !== digits.slice(1)) {
        decision.lrn = lrn;
        decision.portedNumber = digits;
        decision.routingNumber = '1' + lrn;
      }
    }
    decision.jurisdiction = jurisdictionOf(this.states, decision.normalizedCalling, decision.routingNumber);
    if (blocked) return this.finish(decision, blocked);
    this.route(decision, customer, at);
    return this.finish(decision, undefined);
  }

  private finish(decision: RouteDecision, blocked: string | undefined): RouteDecision {
    if (blocked) decision.blocked = blocked;
    this.m.lcrLookupsTotal.inc({ outcome: blocked ? 'blocked' : decision.candidates.length ? 'routed' : 'no-route' });
    return decision;
  }

  private route(decision: RouteDecision, customer: CustomerConfig, at: Date): void {
    const table = this.table;
    const rt = customer.routeTable ? this.config.routeTables[customer.routeTable] : undefined;
    const allowed = rt?.carriers ? new Set(rt.carriers) : undefined;
    const window = rt ? activeWindow(rt.timeOfDay, at) : undefined;
    if (window) decision.timeOfDay = window.name;
    const column = rateColumnFor(decision.jurisdiction);
    const number = decision.routingNumber;
    const path = matchPath(table.trie, number);
    const seen = new Set<number>();
    const found: Array<{ carrier: string; prefix: string; entry: number }> = [];
    for (let i = path.length - 1; i >= 0; i--) {
      const [depth, pid] = path[i];
      for (let e = table.entryStart[pid]; e < table.entryStart[pid + 1]; e++) {
        const c = table.entryCarrier[e];
        if (seen.has(c)) continue;
        seen.add(c);
        const carrier = table.carriers[c];
        // Tenant isolation: carriers outside the customer's table are not mentioned at all.
        if (allowed && !allowed.has(carrier)) continue;
        found.push({ carrier, prefix: number.slice(0, depth), entry: e });
      }
    }
    if (found.length) decision.matchedPrefix = found[0].prefix;
    const when = at.getTime();
    const keyed: Array<{ c: RouteCandidate; key: number }> = [];
    for (const f of found) {
      const cfg = this.carriers.get(f.carrier);
      const skip = (code: SkipCode, reason: string) => decision.skipped.push({ carrier: f.carrier, prefix: f.prefix, code, reason });
      if (!cfg) {
        skip('not-configured', 'carrier is no longer configured');
        continue;
      }
      if (window && !window.carriers.includes(f.carrier)) {
        skip('time-of-day', `time-of-day window "${window.name}" does not use this carrier`);
        continue;
      }
      const row = rowInEffect(table, f.entry, when);
      if (row < 0) {
        const first = table.rowEffective[table.entryRow[f.entry] + table.entryRowCount[f.entry] - 1];
        skip('not-yet-effective', `rate not effective until ${formatDate(first)}`);
        continue;
      }
      const micro = rateOf(table, row, column);
      const rate = micro / 1_000_000;
      if (customer.maxRate !== undefined && rate > customer.maxRate) {
        skip('rate-cap', `rate ${formatRate(micro)} is above the customer's maximum ${customer.maxRate}`);
        continue;
      }
      const tgs = cfg.trunkGroups.filter((tg) => this.availability(tg));
      if (tgs.length === 0) {
        skip('unavailable', `no available trunk group (${cfg.trunkGroups.join(', ')} unavailable)`);
        continue;
      }
      const priority = rt?.priority[f.carrier] ?? cfg.priority;
      const u = this.random();
      keyed.push({
        key: -Math.log(u > 0 ? u : Number.MIN_VALUE) / cfg.weight,
        c: {
          rank: 0,
          carrier: f.carrier,
          trunkGroup: tgs[0],
          trunkGroups: tgs,
          prefix: f.prefix,
          rate,
          rateColumn: COLUMN_NAMES[column],
          effective: formatDate(table.rowEffective[row]),
          priority,
          weight: cfg.weight,
        },
      });
    }
    // Issue #4: longest prefix, then cost, then priority; weighted random order among equals
    // (Efraimidis-Spirakis keys, so each is first with probability weight / sum of weights).
    keyed.sort((a, b) => b.c.prefix.length - a.c.prefix.length || a.c.rate - b.c.rate || a.c.priority - b.c.priority || a.key - b.key);
    decision.candidates = keyed.map((k, i) => ({ ...k.c, rank: i }));
  }

  /**
   * Route advance: the candidate after `failed` (default the first) whose trunk groups are still
   * available, when `cause` (Q.850) is in the advance list; undefined otherwise.
   */
  nextCandidate(decision: RouteDecision, cause: number, failed?: RouteCandidate): RouteCandidate | undefined {
    if (!this.advanceQ850.has(cause)) return undefined;
    return this.after(decision, failed);
  }

  /** Route advance on a SIP final response status (RFC 3261 §21). */
  nextCandidateForSip(decision: RouteDecision, status: number, failed?: RouteCandidate): RouteCandidate | undefined {
    if (!this.advanceSip.has(status)) return undefined;
    return this.after(decision, failed);
  }

  private after(decision: RouteDecision, failed: RouteCandidate | undefined): RouteCandidate | undefined {
    const from = (failed ?? decision.candidates[0])?.rank ?? -1;
    for (let i = from + 1; i < decision.candidates.length; i++) {
      const c = decision.candidates[i];
      const tgs = c.trunkGroups.filter((tg) => this.availability(tg));
      if (tgs.length) return { ...c, trunkGroup: tgs[0], trunkGroups: tgs };
    }
    return undefined;
  }

  /** Replaces one carrier's deck: all-or-nothing; the previous table stays active on any error. */
  importDeck(carrierId: string, csvText: string): Promise<ImportResult> {
    return this.serial(() => this.doImport(carrierId, csvText));
  }

  /** Runs `job` after every change queued before it (imports, reloads, activations). */
  serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Where a carrier's active deck lives under the data directory (an activated version is copied here). */
  activeDeckPath(carrierId: string): string {
    return overridePath(this.opts.dataDir, carrierId);
  }

  private async doImport(carrierId: string, csvText: string): Promise<ImportResult> {
    if (!this.carriers.has(carrierId)) throw new SoftswitchError('SSW_ERR_UNKNOWN_CARRIER', carrierId);
    const deckFile = this.activeDeckPath(carrierId);
    const staged = `${deckFile}.${process.pid}.staged`;
    await mkdir(dirname(deckFile), { recursive: true });
    const session = await this.compiler.upload(carrierId, staged, UNBOUNDED);
    await session.push(Buffer.from(csvText, 'utf8'));
    const report = await session.end();
    if (!report.valid) {
      this.m.lcrReloadsTotal.inc({ result: 'rejected' });
      this.log.warn({ carrier: carrierId, errorCount: report.rejected }, 'rate deck rejected');
      return { ok: false, carrier: carrierId, errors: report.errors, errorCount: report.rejected, rowCount: report.rowCount };
    }
    await rename(staged, deckFile);
    const results = await this.reloadNow();
    const mine = results.find((r) => r.carrier === carrierId);
    if (!mine?.ok) return mine ?? { ok: false, carrier: carrierId, errors: [], errorCount: 0, rowCount: 0 };
    this.log.info({ carrier: carrierId, rows: report.accepted, buildMs: Math.round(this.lastBuildMs) }, 'rate deck imported');
    return { ok: true, carrier: carrierId, rows: report.accepted, prefixes: this.table.trie.prefixCount, buildMs: this.lastBuildMs };
  }

  /** Re-reads every deck file and rebuilds in the worker (all-or-nothing), then swaps the table in. */
  reload(): Promise<ImportResult[]> {
    return this.serial(() => this.reloadNow());
  }

  /** reload() for a caller already inside serial(). */
  async reloadNow(): Promise<ImportResult[]> {
    const out = await this.compiler.load(deckSources(this.config, this.opts.dataDir, this.opts.baseDir ?? REPO_ROOT), snapshotOf(this.config, this.opts.dataDir, true));
    if (!out.ok) {
      this.m.lcrReloadsTotal.inc({ result: 'rejected' });
      return out.carriers.map((c) => (c.ok ? { ok: true, carrier: c.carrier, rows: c.rows, prefixes: 0, buildMs: 0 } : { ok: false, carrier: c.carrier, errors: c.errors, errorCount: c.errorCount, rowCount: c.rowCount }));
    }
    this.table = out.table;
    this.loadedFrom = out.from;
    this.lastBuildMs = out.timings.buildMs;
    this.lastReload = out.timings;
    this.reloads++;
    this.m.lcrReloadsTotal.inc({ result: 'ok' });
    this.m.lcrReloadSeconds.observe(out.timings.totalMs / 1000);
    this.noteDecks(out.carriers);
    this.publishSize();
    this.lastAdoption = { deliveryMs: out.delivery.deliveryMs, adoptMs: performance.now() - out.delivery.receivedAt };
    if (out.snapshotError) this.log.warn({ reason: out.snapshotError }, 'route table snapshot not written; the next start rebuilds from the decks');
    this.log.info({ prefixes: out.table.trie.prefixCount, from: out.from, ...roundTimings(out.timings), adoptMs: Number(this.lastAdoption.adoptMs.toFixed(3)) }, 'route table reloaded');
    return out.carriers.map((c) => ({ ok: true, carrier: c.carrier, rows: c.rows, prefixes: this.table.trie.prefixCount, buildMs: this.lastBuildMs }));
  }

  /** The active table as one CSV: carrier,prefix,interstate,intrastate,indeterminate,effective. */
  *exportLines(carrier?: string): Generator<string> {
    const t = this.table;
    yield 'carrier,prefix,interstate,intrastate,indeterminate,effective';
    for (const [prefix, pid] of walkPrefixes(t.trie)) {
      for (let e = t.entryStart[pid]; e < t.entryStart[pid + 1]; e++) {
        const id = t.carriers[t.entryCarrier[e]];
        if (carrier && id !== carrier) continue;
        for (let r = t.entryRow[e]; r < t.entryRow[e] + t.entryRowCount[e]; r++)
          yield `${id},${prefix},${formatRate(t.rowInterstate[r])},${formatRate(t.rowIntrastate[r])},${formatRate(t.rowIndeterminate[r])},${formatDate(t.rowEffective[r])}`;
      }
    }
  }

  exportTable(carrier?: string): string {
    return [...this.exportLines(carrier)].join('\n') + '\n';
  }

  stats(): EngineStats {
    return {
      ...tableSize(this.table),
      carriers: this.table.carriers.map((id, i) => ({ id, rows: this.table.carrierRows[i] })),
      loadedFrom: this.loadedFrom,
      lastBuildMs: this.lastBuildMs,
      ...(this.lastReload ? { lastReload: this.lastReload } : {}),
      ...(this.lastAdoption ? { lastAdoption: this.lastAdoption } : {}),
      reloads: this.reloads,
      lookups: this.lookups,
    };
  }

  private publishSize(): void {
    const s = tableSize(this.table);
    this.m.lcrPrefixes.set(s.prefixes);
    this.m.lcrTableBytes.set(s.totalBytes);
    this.m.lcrBuildSeconds.set(this.lastBuildMs / 1000);
  }

}

function overridePath(dataDir: string, carrier: string): string {
  return join(dataDir, 'lcr', 'decks', `${encodeURIComponent(carrier)}.csv`);
}

/** Each carrier's deck: an imported (or activated) copy under the data dir wins over the configured file. */
function deckSources(cfg: RoutingConfig, dataDir: string, base: string): DeckSource[] {
  return cfg.carriers.map((c) => ({ carrier: c.id, paths: [overridePath(dataDir, c.id), resolve(base, c.deck)] }));
}

function snapshotOf(cfg: RoutingConfig, dataDir: string, useExisting: boolean): { path: string; useExisting: boolean } | undefined {
  return cfg.snapshot.enabled ? { path: join(dataDir, cfg.snapshot.file), useExisting } : undefined;
}

function roundTimings(t: LoadTimings): Record<string, number> {
  return { parseMs: Math.round(t.parseMs), buildMs: Math.round(t.buildMs), snapshotMs: Math.round(t.snapshotMs), totalMs: Math.round(t.totalMs) };
}

async function loadTable(file: string | undefined, base: string, parse: typeof parseLnp): Promise<Map<string, string>> {
  if (!file) return new Map();
  const path = resolve(base, file);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) throw new SoftswitchError('SSW_ERR_ROUTING_DATA_INVALID', `${path}: cannot be read`);
  const r = parse(text);
  if (!r.ok) throw new SoftswitchError('SSW_ERR_ROUTING_DATA_INVALID', r.errors.slice(0, 20).map((e) => `${path}:${e.line}: ${e.message}`).join('; '));
  return r.value;
}
