/**
 * The `softswitch` command: `--help` (or `-h`) after any command prints that command's usage and
 * exits 0; a missing or unknown command prints the overview and exits 2; an operator error
 * prints its code and what to do, and exits 1.
 */
import { SoftswitchError } from '../errors.js';
import { runCommand, USAGE, type Command } from './commands.js';

/** node:util parseArgs rejects an unknown or malformed option with one of these codes. */
function isArgsError(err: unknown): err is Error {
  return err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}

let current: Command | undefined;

runCommand(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }, (c) => (current = c)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isArgsError(err)) {
      process.stderr.write(`${err.message}\n${current?.usage ?? USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof SoftswitchError) process.stderr.write(`${err.describe()}\n`);
    else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
