import { pino, type Logger } from 'pino';

export type { Logger };

/** The process's root logger; components take a child bound to their identity (callId, cic, endpoint). */
export function createLogger(level: string = process.env.SSW_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'softswitch' } });
}

/** A logger that writes nothing, for library use and tests that don't inspect logs. */
export const silentLogger: Logger = pino({ level: 'silent' });

const MATERIALIZE = Symbol('materialize');
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type Lazy = Logger & { [MATERIALIZE]?: () => Logger };
const materialize = (l: Logger): Logger => (l as Lazy)[MATERIALIZE]?.() ?? l;

/**
 * A child logger for what is short-lived and numerous (a call, a leg): pino builds the child (and
 * serialises its bindings) only when a line is logged at an enabled level, so a call that logs
 * nothing pays nothing for its bindings. Lines that are logged carry them as a `child()` would.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let real: Logger | undefined;
  const get = (): Logger => (real ??= materialize(parent).child(bindings));
  const lazy = Object.create(parent) as Lazy;
  for (const level of LEVELS) {
    Object.defineProperty(lazy, level, {
      value: (...args: unknown[]) => {
        if (parent.isLevelEnabled(level)) (get()[level] as (...a: unknown[]) => void)(...args);
      },
      writable: true,
      configurable: true,
    });
  }
  lazy.child = ((b: Record<string, unknown>, o?: object) => (o ? get().child(b, o) : lazyChild(lazy, b))) as Logger['child'];
  lazy[MATERIALIZE] = get;
  return lazy;
}
