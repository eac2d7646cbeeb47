import { pino, type Logger } from 'pino';

export type { Logger };

/** The process's root logger; components take a child bound to their identity (callId, cic, endpoint). */
export function createLogger(level: string = process.env.SSW_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'softswitch' } });
}

/** A logger that writes nothing, for library use and tests that don't inspect logs. */
export const silentLogger: Logger = pino({ level: 'silent' });

const REAL = Symbol('real');
const BINDINGS = Symbol('bindings');
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type Lazy = Logger & { [REAL]?: Logger; [BINDINGS]: Record<string, unknown>; [PARENT]: Logger };
const PARENT = Symbol('parent');
/** One prototype per parent logger holds the lazy methods, so a lazy child costs one small object. */
const lazyPrototypes = new WeakMap<Logger, object>();

/** The pino logger a (possibly lazy) logger stands for, built on first use. */
function realOf(l: Logger): Logger {
  const lazy = l as Lazy;
  if (!(BINDINGS in lazy)) return l;
  return (lazy[REAL] ??= realOf(lazy[PARENT]).child(lazy[BINDINGS]));
}

function prototypeFor(parent: Logger): object {
  let proto = lazyPrototypes.get(parent);
  if (proto) return proto;
  proto = Object.create(parent) as object;
  for (const level of LEVELS) {
    Object.defineProperty(proto, level, {
      value(this: Lazy, ...args: unknown[]) {
        if (parent.isLevelEnabled(level)) (realOf(this)[level] as (...a: unknown[]) => void)(...args);
      },
    });
  }
  Object.defineProperty(proto, 'child', {
    value(this: Lazy, b: Record<string, unknown>, o?: object) {
      return o ? realOf(this).child(b, o) : lazyChild(this, b);
    },
  });
  lazyPrototypes.set(parent, proto);
  return proto;
}

/**
 * A child logger for what is short-lived and numerous (a call, a leg): pino builds the child (and
 * serialises its bindings) only when a line is logged at an enabled level, so a call that logs
 * nothing pays nothing for its bindings. Lines that are logged carry them as a `child()` would.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  // A lazy child of a lazy child (a leg of a call) hangs off the same real parent with both sets of
  // bindings: one shared prototype per real parent, not a new one (seven property definitions) per call.
  const up = parent as Lazy;
  if (BINDINGS in up) return lazyChild(up[PARENT], { ...up[BINDINGS], ...bindings });
  const lazy = Object.create(prototypeFor(parent)) as Lazy;
  lazy[PARENT] = parent;
  lazy[BINDINGS] = bindings;
  // Own, so a lazy grandchild never sees its parent's pino child through the prototype chain.
  lazy[REAL] = undefined;
  return lazy;
}
