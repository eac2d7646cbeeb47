/**
 * The routing engine: normalisation, blocking, LNP dip, jurisdiction, longest-prefix match over
 * the compiled table, candidate ordering, availability and route advance. Lookups are synchronous
 * and read one table reference, so a rebuild (which runs in slices between lookups) is swapped in
 * atomically and never blocks or fails a lookup.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SoftswitchError } from '../../errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { formatDate, formatRate, parseDeck, type DeckRowError, type DeckRows } from '../lcr/deck.js';
import { decodeSnapshot, encodeSnapshot } from '../lcr/snapshot.js';
import { buildTableAsync, extractDecks, rateOf, rowInEffect, tableSize, type RouteTable, type TableSize } from '../lcr/table.js';
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
  reloads: number;
  lookups: number;
}

const COLUMN_NAMES = ['interstate', 'intrastate', 'indeterminate'] as const;
const SNAPSHOT_FORMAT = 'lcr-1';

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
  private reloads = 0;
  private lookups = 0;
  private readonly m: LcrMetrics;
  /** Per carrier, the version (content hash) of the deck in the active table. */
  private readonly deckVersions = new Map<string, string>();

  private constructor(
    readonly config: RoutingConfig,
    private readonly opts: EngineOptions,
    table: RouteTable,
    private readonly lnp: ReadonlyMap<string, string>,
    private readonly states: ReadonlyMap<string, string>,
    loadedFrom: 'snapshot' | 'decks',
    buildMs: number,
  ) {
    this.table = table;
    this.m = lcrMetrics(opts.registry ?? new Registry());
    for (const c of config.carriers) this.carriers.set(c.id, c);
    for (const c of config.customers) this.customers.set(c.id, c);
    this.advanceQ850 = new Set(config.advance.q850);
    this.advanceSip = new Set(config.advance.sip);
    this.log = (opts.logger ?? silentLogger).child({ component: 'lcr' });
    this.random = opts.random ?? Math.random;
    this.loadedFrom = loadedFrom;
    this.lastBuildMs = buildMs;
    this.publishSize();
  }

  /** Loads the snapshot when it matches the current decks, else parses the decks, builds and writes a snapshot. */
  static async load(input: unknown, options: EngineOptions): Promise<RoutingEngine> {
    const opts = { ...options, registry: options.registry ?? new Registry() };
    const parsed = routingConfigSchema.safeParse(input ?? {});
    if (!parsed.success) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `routing: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const cfg = parsed.data;
    const log = (opts.logger ?? silentLogger).child({ component: 'lcr' });
    const base = opts.baseDir ?? REPO_ROOT;
    const lnp = await loadTable(cfg.lnp.file, base, parseLnp);
    const states = await loadTable(cfg.jurisdiction.stateTable, base, parseStateTable);
    const texts = await readDecks(cfg, opts.dataDir, base);
    const fingerprint = fingerprintOf(texts);
    const snapPath = join(opts.dataDir, cfg.snapshot.file);
    if (cfg.snapshot.enabled) {
      const buf = await readFile(snapPath).catch(() => undefined);
      if (buf) {
        const snap = decodeSnapshot(buf);
        if (snap.ok && snap.fingerprint === fingerprint) {
          log.info({ snapshot: snapPath, prefixes: snap.table.trie.prefixCount }, 'route table loaded from snapshot');
          return new RoutingEngine(cfg, opts, snap.table, lnp, states, 'snapshot', 0).noteDecks(texts);
        }
        log.warn({ snapshot: snapPath, reason: snap.ok ? 'decks changed since it was written' : snap.reason }, 'route table snapshot not used; rebuilding');
      }
    }
    const decks: DeckRows[] = [];
    const problems: string[] = [];
    for (const { carrier, path, text } of texts) {
      const r = parseDeck(carrier, text);
      if (r.ok) decks.push(r.deck);
      else problems.push(...r.errors.slice(0, 20).map((e) => `${path}:${e.line}: ${e.message}`));
    }
    if (problems.length) throw new SoftswitchError('SSW_ERR_RATE_DECK_INVALID', problems.join('; '));
    const t0 = performance.now();
    const table = await buildTableAsync(decks);
    const ms = performance.now() - t0;
    lcrMetrics(opts.registry).lcrReloadsTotal.inc({ result: 'ok' });
    lcrMetrics(opts.registry).lcrReloadSeconds.observe(ms / 1000);
    const engine = new RoutingEngine(cfg, opts, table, lnp, states, 'decks', ms).noteDecks(texts);
    if (cfg.snapshot.enabled) await engine.writeSnapshot(fingerprint);
    log.info({ prefixes: table.trie.prefixCount, buildMs: Math.round(ms) }, 'route table built from rate decks');
    return engine;
  }

  /** The version of a carrier's rate deck in the active table (what CDRs are rated with). */
  deckVersion(carrier: string): string | undefined {
    return this.deckVersions.get(carrier);
  }

  private noteDecks(texts: DeckText[]): this {
    for (const t of texts) this.deckVersions.set(t.carrier, deckVersionOf(t.text));
    return this;
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
    const run = this.chain.then(() => this.doImport(carrierId, csvText));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doImport(carrierId: string, csvText: string): Promise<ImportResult> {
    if (!this.carriers.has(carrierId)) throw new SoftswitchError('SSW_ERR_UNKNOWN_CARRIER', carrierId);
    const parsed = parseDeck(carrierId, csvText);
    if (!parsed.ok) {
      this.m.lcrReloadsTotal.inc({ result: 'rejected' });
      this.log.warn({ carrier: carrierId, errorCount: parsed.errorCount }, 'rate deck rejected');
      return { ok: false, carrier: carrierId, errors: parsed.errors, errorCount: parsed.errorCount, rowCount: parsed.rowCount };
    }
    const t0 = performance.now();
    await this.rebuild((existing) => this.config.carriers.map((c) => (c.id === carrierId ? parsed.deck : (existing.get(c.id) ?? emptyDeck(c.id)))));
    const buildMs = performance.now() - t0;
    this.deckVersions.set(carrierId, deckVersionOf(csvText));
    const deckFile = overridePath(this.opts.dataDir, carrierId);
    await mkdir(dirname(deckFile), { recursive: true });
    await writeAtomic(deckFile, csvText);
    if (this.config.snapshot.enabled) await this.writeSnapshot(fingerprintOf(await readDecks(this.config, this.opts.dataDir, this.opts.baseDir ?? REPO_ROOT)));
    this.log.info({ carrier: carrierId, rows: parsed.deck.count, buildMs: Math.round(buildMs) }, 'rate deck imported');
    return { ok: true, carrier: carrierId, rows: parsed.deck.count, prefixes: this.table.trie.prefixCount, buildMs };
  }

  /** Rebuilds from the current table with the decks `change` returns, then swaps it in. */
  private async rebuild(change: (existing: Map<string, DeckRows>) => DeckRows[]): Promise<void> {
    const existing = new Map(extractDecks(this.table).map((d) => [d.carrier, d]));
    const t0 = performance.now();
    const next = await buildTableAsync(change(existing));
    this.lastBuildMs = performance.now() - t0;
    this.m.lcrReloadSeconds.observe(this.lastBuildMs / 1000);
    this.table = next;
    this.loadedFrom = 'decks';
    this.reloads++;
    this.m.lcrReloadsTotal.inc({ result: 'ok' });
    this.publishSize();
  }

  /** Re-reads every deck file and rebuilds (all-or-nothing). */
  reload(): Promise<ImportResult[]> {
    const run = this.chain.then(async () => {
      const texts = await readDecks(this.config, this.opts.dataDir, this.opts.baseDir ?? REPO_ROOT);
      const results: ImportResult[] = [];
      const decks: DeckRows[] = [];
      for (const { carrier, text } of texts) {
        const r = parseDeck(carrier, text);
        if (r.ok) {
          decks.push(r.deck);
          results.push({ ok: true, carrier, rows: r.deck.count, prefixes: 0, buildMs: 0 });
        } else results.push({ ok: false, carrier, errors: r.errors, errorCount: r.errorCount, rowCount: r.rowCount });
      }
      if (results.some((r) => !r.ok)) {
        this.m.lcrReloadsTotal.inc({ result: 'rejected' });
        return results;
      }
      await this.rebuild(() => decks);
      this.noteDecks(texts);
      if (this.config.snapshot.enabled) await this.writeSnapshot(fingerprintOf(texts));
      return results.map((r) => ({ ...r, prefixes: this.table.trie.prefixCount, buildMs: this.lastBuildMs }));
    });
    this.chain = run.catch(() => undefined);
    return run;
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

  private async writeSnapshot(fingerprint: string): Promise<void> {
    const path = join(this.opts.dataDir, this.config.snapshot.file);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeAtomic(path, encodeSnapshot(this.table, fingerprint));
    } catch (err) {
      this.log.warn({ err, snapshot: path }, 'route table snapshot not written; the next start rebuilds from the decks');
    }
  }
}

function emptyDeck(carrier: string): DeckRows {
  return { carrier, count: 0, prefixes: [], interstate: new Int32Array(0), intrastate: new Int32Array(0), indeterminate: new Int32Array(0), effective: new Float64Array(0) };
}

function overridePath(dataDir: string, carrier: string): string {
  return join(dataDir, 'lcr', 'decks', `${encodeURIComponent(carrier)}.csv`);
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

interface DeckText {
  carrier: string;
  path: string;
  text: string;
}

/** Each carrier's deck: an imported copy under the data dir wins over the configured file. */
async function readDecks(cfg: RoutingConfig, dataDir: string, base: string): Promise<DeckText[]> {
  const out: DeckText[] = [];
  for (const c of cfg.carriers) {
    const imported = overridePath(dataDir, c.id);
    const configured = resolve(base, c.deck);
    let text = await readFile(imported, 'utf8').catch(() => undefined);
    let path = imported;
    if (text === undefined) {
      path = configured;
      text = await readFile(configured, 'utf8').catch(() => undefined);
    }
    if (text === undefined) throw new SoftswitchError('SSW_ERR_RATE_DECK_INVALID', `${configured}: cannot be read (carrier ${c.id})`);
    out.push({ carrier: c.id, path, text });
  }
  return out;
}

/** A deck's version: the first 16 hex digits of the SHA-256 of its text. */
function deckVersionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function fingerprintOf(texts: DeckText[]): string {
  const h = createHash('sha256').update(SNAPSHOT_FORMAT);
  for (const t of texts) h.update('\0' + t.carrier + '\0').update(t.text);
  return h.digest('hex');
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
