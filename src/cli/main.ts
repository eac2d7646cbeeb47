/**
 * The `softswitch` command. Subcommands:
 *   start [--config FILE]                 run the switch (lab profile on embedded defaults)
 *   tandem-sim [--config FILE]            run the SG + ILEC tandem simulator alone
 *   routes lookup NUMBER [--caller N] [--customer ID] [--at ISO]
 *   routes import CARRIER FILE.csv
 *   routes export
 *   decode HEX | --pcap FILE [--sctp-udp-port N] [--isup-variant ansi|itu]
 */
import { parseArgs } from 'node:util';
import { SoftswitchError } from '../errors.js';
import { loadConfig } from '../config/load.js';

const USAGE = `usage: softswitch <command> [options]

commands:
  start [--config FILE]                   run the softswitch (default: embedded lab profile)
  tandem-sim [--config FILE] [--port N]   run the signalling gateway + ILEC tandem simulator
  routes lookup NUMBER [--caller N] [--customer ID] [--at ISO-TIME] [--config FILE]
  routes import CARRIER FILE.csv [--config FILE]
                                          validate and load a carrier's rate deck
  routes export [--config FILE]           print the active route table as CSV
  decode HEX | --pcap FILE [--sctp-udp-port N] [--isup-variant ansi|itu]
                                          decode M3UA/ISUP bytes from a trace as JSON

configuration: --config FILE or SSW_CONFIG; any key can be overridden with SSW__section__key=value`;

/** node:util parseArgs rejects an unknown or malformed option with one of these codes. */
function isArgsError(err: unknown): err is Error {
  return err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
      const config = loadConfig(values.config ?? process.env.SSW_CONFIG);
      const { runSoftswitch } = await import('../app/run.js');
      return runSoftswitch(config);
    }
    case 'tandem-sim': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, port: { type: 'string' } } });
      const config = loadConfig(values.config ?? process.env.SSW_CONFIG);
      if (values.port !== undefined) config.lab.tandemSim.port = Number(values.port);
      const { runTandemSimulator } = await import('../app/lab/tandem-sim/run.js');
      return runTandemSimulator(config);
    }
    case 'routes': {
      const [sub, ...rawArgs] = rest;
      // --config FILE works here as for `start`; the subcommands parse the rest.
      const at = rawArgs.indexOf('--config');
      const configPath = at >= 0 ? rawArgs[at + 1] : process.env.SSW_CONFIG;
      const args = at >= 0 ? [...rawArgs.slice(0, at), ...rawArgs.slice(at + 2)] : rawArgs;
      const routes = await import('./routes.js');
      const load = () => loadConfig(configPath);
      if (sub === 'lookup') return routes.routesLookupCommand(args, load);
      if (sub === 'import') return routes.routesImportCommand(args, load);
      if (sub === 'export') return routes.routesExportCommand(args, load);
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    case 'decode': {
      const { decodeCommand } = await import('./decode.js');
      return decodeCommand(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isArgsError(err)) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof SoftswitchError) process.stderr.write(`${err.describe()}\n`);
    else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
