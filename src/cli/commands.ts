/**
 * The `softswitch` commands as a table, each with its usage (src/cli/main.ts runs them). Options
 * are parsed with node:util parseArgs.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { TOKEN_CREATE_USAGE } from './api-token.js';
import { CIRCUITS_USAGE } from './circuits.js';
import { CDRS_EXPORT_USAGE, CDRS_LIST_USAGE } from './cdrs.js';
import { DECKS_USAGE } from './decks.js';
import { DIDS_USAGE, EXTENSIONS_USAGE, TENANTS_USAGE } from './tenants.js';
import { TRUNK_CUSTOMERS_USAGE, TRUNK_DIDS_USAGE } from './trunks.js';
import type { CliIo } from './routes.js';

const CONFIG_NOTE = 'configuration: --config FILE or SSW_CONFIG; any key can be overridden with SSW__section__key=value';

export interface Command {
  /** Words that select it, e.g. ['routes', 'lookup']. */
  path: string[];
  usage: string;
  run: (args: string[]) => Promise<number>;
}

/** --config FILE taken out of args (the subcommands parse the rest). */
function splitConfig(args: string[]): { configPath: string | undefined; rest: string[] } {
  const at = args.indexOf('--config');
  if (at < 0) return { configPath: process.env.SSW_CONFIG, rest: args };
  return { configPath: args[at + 1], rest: [...args.slice(0, at), ...args.slice(at + 2)] };
}

export const COMMANDS: Command[] = [
  {
    path: ['circuits'],
    usage: CIRCUITS_USAGE,
    run: async (args) => (await import('./circuits.js')).circuitsCommand(args),
  },
  {
    path: ['cdrs', 'list'],
    usage: CDRS_LIST_USAGE,
    run: async (args) => (await import('./cdrs.js')).cdrsListCommand(args),
  },
  {
    path: ['cdrs', 'export'],
    usage: CDRS_EXPORT_USAGE,
    run: async (args) => (await import('./cdrs.js')).cdrsExportCommand(args),
  },
  {
    path: ['decks'],
    usage: DECKS_USAGE,
    run: async (args) => (await import('./decks.js')).decksCommand(args),
  },
  {
    path: ['tenants'],
    usage: TENANTS_USAGE,
    run: async (args) => (await import('./tenants.js')).tenantsCommand(args),
  },
  {
    path: ['extensions'],
    usage: EXTENSIONS_USAGE,
    run: async (args) => (await import('./tenants.js')).extensionsCommand(args),
  },
  {
    path: ['dids'],
    usage: DIDS_USAGE,
    run: async (args) => (await import('./tenants.js')).didsCommand(args),
  },
  {
    path: ['trunk-customers'],
    usage: TRUNK_CUSTOMERS_USAGE,
    run: async (args) => (await import('./trunks.js')).trunkCustomersCommand(args),
  },
  {
    path: ['trunk-dids'],
    usage: TRUNK_DIDS_USAGE,
    run: async (args) => (await import('./trunks.js')).trunkDidsCommand(args),
  },
  {
    path: ['start'],
    usage: `usage: softswitch start [--config FILE] [--lab]

  Runs the softswitch. With no configuration file it runs the embedded lab profile; a file is
  production unless it says lab: { enabled: true }. --lab runs the lab profile on purpose
  (tandem simulator and osmo-mgw beside the switch, every address on loopback).
  ${CONFIG_NOTE}`,
    run: async (args) => {
      const { values } = parseArgs({ args, options: { config: { type: 'string' }, lab: { type: 'boolean' } } });
      const config = loadConfig(values.config ?? process.env.SSW_CONFIG, process.env, { lab: values.lab });
      // Refuse an exposed API before any socket opens.
      const { preflightApi } = await import('../api/exposure.js');
      preflightApi(config.api, config.lab.enabled);
      const { runSoftswitch } = await import('../app/run.js');
      return runSoftswitch(config);
    },
  },
  {
    path: ['tandem-sim'],
    usage: `usage: softswitch tandem-sim [--config FILE] [--port N]

  Runs the signalling gateway + ILEC tandem simulator alone (SCTP over UDP).
  ${CONFIG_NOTE}`,
    run: async (args) => {
      const { values } = parseArgs({ args, options: { config: { type: 'string' }, port: { type: 'string' } } });
      const config = loadConfig(values.config ?? process.env.SSW_CONFIG);
      if (values.port !== undefined) config.lab.tandemSim.port = Number(values.port);
      const { runTandemSimulator } = await import('../app/lab/tandem-sim/run.js');
      return runTandemSimulator(config);
    },
  },
  {
    path: ['routes', 'lookup'],
    usage: `usage: softswitch routes lookup NUMBER [--caller N] [--customer ID] [--at ISO-TIME] [--json] [--config FILE]

  Shows the route decision for a called number (exit 3 when blocked or no route).`,
    run: async (args) => {
      const { configPath, rest } = splitConfig(args);
      const routes = await import('./routes.js');
      return routes.routesLookupCommand(rest, () => loadConfig(configPath));
    },
  },
  {
    path: ['routes', 'import'],
    usage: `usage: softswitch routes import CARRIER FILE.csv [--json] [--config FILE]

  Validates and loads a carrier's rate deck into dataDir (exit 4 with the bad rows when rejected);
  a running switch uses it after SIGHUP or its next start.`,
    run: async (args) => {
      const { configPath, rest } = splitConfig(args);
      const routes = await import('./routes.js');
      return routes.routesImportCommand(rest, () => loadConfig(configPath));
    },
  },
  {
    path: ['routes', 'export'],
    usage: `usage: softswitch routes export [--carrier ID] [--config FILE]

  Prints the active route table as CSV.`,
    run: async (args) => {
      const { configPath, rest } = splitConfig(args);
      const routes = await import('./routes.js');
      return routes.routesExportCommand(rest, () => loadConfig(configPath));
    },
  },
  {
    path: ['api', 'token', 'create'],
    usage: TOKEN_CREATE_USAGE,
    run: async (args) => (await import('./api-token.js')).apiTokenCreateCommand(args),
  },
  {
    path: ['decode'],
    usage: `usage: softswitch decode HEX | --pcap FILE [--sctp-udp-port N] [--isup-variant ansi|itu]

  Decodes M3UA/ISUP bytes from a trace (hex or pcap) and prints JSON.`,
    run: async (args) => (await import('./decode.js')).decodeCommand(args),
  },
];

export const USAGE = `usage: softswitch <command> [options]   (softswitch <command> --help for its options)

commands:
  start [--config FILE] [--lab]           run the softswitch (no file: embedded lab profile)
  tandem-sim [--config FILE] [--port N]   run the signalling gateway + ILEC tandem simulator
  routes lookup NUMBER [--caller N] [--customer ID] [--at ISO-TIME] [--config FILE]
  routes import CARRIER FILE.csv [--config FILE]
                                          validate and load a carrier's rate deck
  routes export [--config FILE]           print the active route table as CSV
  decks list|show|import|diff|activate|rollback ...
                                          rate deck versions on a running switch (admin API)
  api token create --name NAME --role read-only|operator|admin
                                          a new admin API token and its api.tokens entry
  decode HEX | --pcap FILE [--sctp-udp-port N] [--isup-variant ansi|itu]
                                          decode M3UA/ISUP bytes from a trace as JSON
  tenants list|show|create|delete ...     hosted-PBX tenants of a running switch (admin API)
  extensions list|add|remove --tenant ID ...
                                          a tenant's extensions (password from env or stdin)
  dids list|add|remove --tenant ID ...    DIDs delivered to a tenant's extension or hunt group
  trunk-customers list|show|create|update|delete ...
                                          SIP trunk customers of a running switch (admin API)
  trunk-dids list|add|remove --customer ID ...
                                          a trunk customer's DIDs and their delivery targets
  cdrs list [--from ISO] [--to ISO] [--customer ID] [--trunk-group ID] [--cause N]
                                          CDRs of a running switch (admin API), a page at a time
  cdrs export --format csv|protobuf --out FILE [filters]
                                          stream CDRs into a file, progress on stderr

${CONFIG_NOTE}`;

/** The command argv selects and the arguments after its words; or the group usage for a partial path. */
export function select(argv: string[]): { command: Command; args: string[] } | { group: string[] } {
  for (const command of COMMANDS) {
    if (command.path.every((w, i) => argv[i] === w)) return { command, args: argv.slice(command.path.length) };
  }
  let depth = 0;
  while (depth < argv.length && COMMANDS.some((c) => c.path.length > depth + 1 && argv.slice(0, depth + 1).every((w, i) => c.path[i] === w))) depth++;
  return { group: argv.slice(0, depth) };
}

export function groupUsage(group: string[]): string {
  const members = COMMANDS.filter((c) => group.every((w, i) => c.path[i] === w));
  return members.map((c) => c.usage.split('\n')[0]).join('\n');
}

const HELP = new Set(['--help', '-h']);

/** Runs the command argv names; `onCommand` learns which (for the usage after a bad option). */
export async function runCommand(argv: string[], io: CliIo, onCommand: (c: Command) => void = () => undefined): Promise<number> {
  const wantsHelp = argv.some((a) => HELP.has(a));
  if (argv.length === 0 || argv[0] === 'help' || (wantsHelp && HELP.has(argv[0]))) {
    io.out(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const found = select(argv);
  if ('group' in found) {
    if (found.group.length === 0) {
      io.err(`unknown command "${argv[0]}"\n${USAGE}\n`);
      return 2;
    }
    if (wantsHelp) {
      io.out(`${groupUsage(found.group)}\n`);
      return 0;
    }
    const next = argv[found.group.length];
    io.err(`${next === undefined ? 'a subcommand is needed' : `unknown command "${[...found.group, next].join(' ')}"`}\n${groupUsage(found.group)}\n`);
    return 2;
  }
  onCommand(found.command);
  if (wantsHelp) {
    io.out(`${found.command.usage}\n`);
    return 0;
  }
  return found.command.run(found.args);
}
