/**
 * `softswitch routes lookup|import|export`: offline use of the routing engine against the
 * configured decks and data directory. An import is persisted under the data directory (as the
 * API does), so the running switch uses it from its next start or reload.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SoftswitchError } from '../errors.js';
import { RoutingEngine } from '../class4/routing/engine.js';
import type { RouteDecision } from '../class4/routing/decision.js';

export interface RoutesCliConfig {
  routing?: unknown;
  dataDir: string;
}
export type LoadConfig = () => RoutesCliConfig | Promise<RoutesCliConfig>;

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}
const stdio: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

async function engineFrom(load: LoadConfig): Promise<RoutingEngine> {
  const cfg = await load();
  return RoutingEngine.load(cfg.routing ?? {}, { dataDir: cfg.dataDir });
}

function fail(io: CliIo, err: unknown): number {
  io.err(err instanceof SoftswitchError ? `${err.describe()}\n` : `${(err as Error).message}\n`);
  return 1;
}

export function describeDecision(d: RouteDecision): string {
  const lines = [
    `called ${d.called} -> ${d.normalizedCalled || '(invalid)'} customer ${d.customer} at ${d.at}`,
    d.lrn ? `ported: LRN ${d.lrn} (routing on ${d.routingNumber})` : `not ported${d.lnpDipped ? ' (LNP dipped)' : ''}`,
    `jurisdiction ${d.jurisdiction}${d.normalizedCalling ? ` (caller ${d.normalizedCalling})` : ''}${d.timeOfDay ? `, time-of-day "${d.timeOfDay}"` : ''}`,
  ];
  if (d.blocked) lines.push(`BLOCKED: ${d.blocked}`);
  else lines.push(`matched prefix ${d.matchedPrefix ?? '(none)'}`);
  for (const c of d.candidates) lines.push(`  ${c.rank + 1}. ${c.carrier} via ${c.trunkGroup} prefix ${c.prefix} ${c.rateColumn} ${c.rate}/min (eff ${c.effective}, priority ${c.priority}, weight ${c.weight})`);
  for (const s of d.skipped) lines.push(`  skipped ${s.carrier}${s.prefix ? ` prefix ${s.prefix}` : ''}: ${s.reason}`);
  if (!d.blocked && d.candidates.length === 0) lines.push('  no route');
  return lines.join('\n') + '\n';
}

/** routes lookup NUMBER [--caller N] [--customer ID] [--at ISO] [--json] */
export async function routesLookupCommand(args: string[], load: LoadConfig, io: CliIo = stdio): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { caller: { type: 'string' }, customer: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' } } });
    if (positionals.length !== 1) {
      io.err('usage: softswitch routes lookup NUMBER [--caller N] [--customer ID] [--at ISO-TIME] [--json]\n');
      return 2;
    }
    const at = values.at === undefined ? undefined : new Date(values.at);
    if (at && Number.isNaN(at.getTime())) {
      io.err(`--at "${values.at}" is not an ISO 8601 time\n`);
      return 2;
    }
    const engine = await engineFrom(load);
    const d = engine.lookup({ called: positionals[0], calling: values.caller, customer: values.customer, at });
    io.out(values.json ? JSON.stringify(d, null, 2) + '\n' : describeDecision(d));
    return d.blocked || d.candidates.length === 0 ? 3 : 0;
  } catch (err) {
    return fail(io, err);
  }
}

/** routes import CARRIER FILE.csv [--json]; exit 0 loaded, 4 rejected (bad rows listed). */
export async function routesImportCommand(args: string[], load: LoadConfig, io: CliIo = stdio): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
    if (positionals.length !== 2) {
      io.err('usage: softswitch routes import CARRIER FILE.csv [--json]\n');
      return 2;
    }
    const [carrier, file] = positionals;
    const text = await readFile(file, 'utf8');
    const engine = await engineFrom(load);
    const r = await engine.importDeck(carrier, text);
    if (values.json) io.out(JSON.stringify(r, null, 2) + '\n');
    else if (r.ok) io.out(`imported ${r.rows} rows for ${carrier}; table now has ${r.prefixes} prefixes (built in ${r.buildMs.toFixed(0)} ms)\n`);
    else {
      io.err(`rejected: ${r.errorCount} bad rows of ${r.rowCount}; nothing loaded\n`);
      for (const e of r.errors) io.err(`  ${file}:${e.line}: ${e.message}\n`);
    }
    return r.ok ? 0 : 4;
  } catch (err) {
    return fail(io, err);
  }
}

/** routes export [--carrier ID]: the active table as CSV on stdout. */
export async function routesExportCommand(args: string[], load: LoadConfig, io: CliIo = stdio): Promise<number> {
  try {
    const { values } = parseArgs({ args, options: { carrier: { type: 'string' } } });
    const engine = await engineFrom(load);
    for (const line of engine.exportLines(values.carrier)) io.out(line + '\n');
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}
