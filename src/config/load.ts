import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
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
      const doc = parseConfigText(text);
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

/** Larger than any real config; keeps a mistaken or hostile file from stalling start-up. */
const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * YAML (or JSON) text to a plain value; the first problem is thrown with its line and column.
 * The yaml package's own duplicate-key check compares every key with every earlier one of its
 * map (32,000 keys took 33 s of CPU, found by `npm run fuzz`), and it formats a context snippet
 * for every error; here duplicates are found with one Set per map and only the first error is
 * reported.
 */
function parseConfigText(text: string): unknown {
  if (text.length > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES / 1024} KiB; a config file is a few KiB`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, lineCounter: lines });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return `line ${p.line}, column ${p.col}`;
  };
  const first: YAMLError | undefined = doc.errors[0];
  if (first) throw new Error(`${first.message} at ${at(first.pos[0])}`);
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
        if (seen.has(key)) throw new Error(`duplicate key "${key.slice(0, 40)}" at ${at(isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0)}`);
        seen.add(key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) stack.push(...node.items);
  }
  return doc.toJS();
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
