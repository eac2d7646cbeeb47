import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { SoftswitchError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

/** Prefix of environment variables that override config keys: SSW__sip__port=5070 sets sip.port. */
export const ENV_PREFIX = 'SSW__';

/** Parses an env value as JSON where it is JSON (numbers, booleans, arrays), else as a string. */
function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Applies SSW__a__b=value overrides onto a raw config object (before validation). */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    if (path.length === 0) continue;
    let node: Record<string, unknown> = raw;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = parseEnvValue(value);
  }
  return raw;
}

/** "sip.port: Expected number, received string" — one line per problem, naming the key. */
export function describeZodError(err: ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export function validateConfig(raw: unknown): Config {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', describeZodError(parsed.error));
  return parsed.data;
}

export interface LoadOptions {
  /** `softswitch start --lab`: the lab profile on purpose, whatever the file or environment says. */
  lab?: boolean;
}

/**
 * Loads the config: file (YAML or JSON; none = embedded defaults), then SSW__* environment
 * overrides, then validation with errors naming the bad key.
 *
 * Profiles are explicit: with no file the embedded defaults are the lab profile; a file is
 * production (`lab.enabled: false`) unless it says `lab: { enabled: true }` (or the environment
 * sets SSW__lab__enabled, or `--lab` is given).
 */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Config {
  let raw: Record<string, unknown> = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new SoftswitchError('SSW_ERR_CONFIG_UNREADABLE', `${path}: ${(err as Error).message}`);
    }
    try {
      const doc = parseYaml(text) as unknown;
      if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
        throw new Error('top level must be a mapping of sections');
      }
      raw = (doc ?? {}) as Record<string, unknown>;
    } catch (err) {
      throw new SoftswitchError('SSW_ERR_CONFIG_UNREADABLE', `${path}: ${(err as Error).message}`);
    }
    raw = withLabOff(raw);
  }
  raw = applyEnvOverrides(raw, env);
  if (opts.lab) raw = { ...raw, lab: { ...asSection(raw.lab), enabled: true } };
  return validateConfig(raw);
}

function asSection(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A file that does not name its profile is production. */
function withLabOff(raw: Record<string, unknown>): Record<string, unknown> {
  // A malformed lab section is left for validation to name.
  if (raw.lab !== undefined && (typeof raw.lab !== 'object' || raw.lab === null || Array.isArray(raw.lab))) return raw;
  const lab = asSection(raw.lab);
  return 'enabled' in lab ? raw : { ...raw, lab: { ...lab, enabled: false } };
}
