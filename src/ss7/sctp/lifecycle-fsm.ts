/**
 * Life cycle of one association as the transport sees it, above the package's own RFC 4960
 * state machine: set-up attempts with a bound (the package never gives up on INIT and has no
 * T1-cookie timer), a graceful close bounded by a timer, then ABORT. Pure: events in, actions out.
 */

export type LifecycleState = 'idle' | 'connecting' | 'listening' | 'up' | 'closing' | 'down';

export type LifecycleEvent =
  | { type: 'START_ACTIVE' }
  | { type: 'START_PASSIVE' }
  | { type: 'SETUP_TIMEOUT' }
  /** RFC 4960 §10.2 COMMUNICATION UP notification. */
  | { type: 'COMM_UP' }
  /** RFC 4960 §10.2 COMMUNICATION LOST notification. */
  | { type: 'COMM_LOST'; reason: string }
  /** RFC 4960 §10.2 SHUTDOWN COMPLETE notification. */
  | { type: 'SHUTDOWN_COMPLETE' }
  | { type: 'CLOSE_REQ' }
  | { type: 'CLOSE_TIMEOUT' }
  | { type: 'ABORT_REQ'; reason: string };

export type LifecycleAction =
  | { type: 'associate'; attempt: number }
  | { type: 'discard-attempt' }
  | { type: 'start-timer'; timer: 'setup' | 'close'; ms: number }
  | { type: 'stop-timer' }
  | { type: 'notify-up' }
  | { type: 'notify-down'; reason: string }
  | { type: 'notify-setup-failed'; attempts: number }
  | { type: 'shutdown' }
  | { type: 'abort'; reason: string }
  | { type: 'release' };

export interface LifecycleConfig {
  passive: boolean;
  maxAttempts: number;
  setupTimeoutMs: number;
  closeTimeoutMs: number;
}

export interface LifecycleContext {
  readonly state: LifecycleState;
  readonly attempts: number;
}

export interface LifecycleStep {
  next: LifecycleContext;
  actions: LifecycleAction[];
}

type Handler = (ctx: LifecycleContext, ev: LifecycleEvent, cfg: LifecycleConfig) => LifecycleStep;

const to = (state: LifecycleState, ctx: LifecycleContext, actions: LifecycleAction[]): LifecycleStep => ({
  next: { ...ctx, state },
  actions,
});

const reason = (ev: LifecycleEvent): string =>
  ev.type === 'COMM_LOST' || ev.type === 'ABORT_REQ' ? ev.reason : ev.type === 'SHUTDOWN_COMPLETE' ? 'shutdown' : 'closed';

const lost: Handler = (ctx, ev, cfg) =>
  cfg.passive
    ? to('listening', ctx, [{ type: 'discard-attempt' }, { type: 'notify-down', reason: reason(ev) }])
    : to('down', ctx, [{ type: 'notify-down', reason: reason(ev) }, { type: 'release' }]);

const finished: Handler = (ctx, ev) =>
  to('down', ctx, [{ type: 'stop-timer' }, { type: 'notify-down', reason: reason(ev) }, { type: 'release' }]);

const abortWith = (ctx: LifecycleContext, why: string): LifecycleStep =>
  to('down', ctx, [{ type: 'stop-timer' }, { type: 'abort', reason: why }, { type: 'notify-down', reason: why }, { type: 'release' }]);

const aborted: Handler = (ctx, ev) => abortWith(ctx, reason(ev));

/** For each state, the events it accepts; anything else is ignored (no transition, no action). */
export const LIFECYCLE: Record<LifecycleState, Partial<Record<LifecycleEvent['type'], Handler>>> = {
  idle: {
    START_ACTIVE: (ctx, _ev, cfg) =>
      to('connecting', { ...ctx, attempts: 1 }, [
        { type: 'associate', attempt: 1 },
        { type: 'start-timer', timer: 'setup', ms: cfg.setupTimeoutMs },
      ]),
    START_PASSIVE: (ctx) => to('listening', ctx, []),
    CLOSE_REQ: (ctx) => to('down', ctx, [{ type: 'release' }]),
    ABORT_REQ: (ctx) => to('down', ctx, [{ type: 'release' }]),
  },
  connecting: {
    COMM_UP: (ctx) => to('up', ctx, [{ type: 'stop-timer' }, { type: 'notify-up' }]),
    SETUP_TIMEOUT: (ctx, _ev, cfg) => {
      if (ctx.attempts >= cfg.maxAttempts) {
        return to('down', ctx, [
          { type: 'discard-attempt' },
          { type: 'notify-setup-failed', attempts: ctx.attempts },
          { type: 'notify-down', reason: `no answer to INIT after ${ctx.attempts} attempts` },
          { type: 'release' },
        ]);
      }
      const attempt = ctx.attempts + 1;
      return to('connecting', { ...ctx, attempts: attempt }, [
        { type: 'discard-attempt' },
        { type: 'associate', attempt },
        { type: 'start-timer', timer: 'setup', ms: cfg.setupTimeoutMs },
      ]);
    },
    // An ABORT in answer to INIT or COOKIE ECHO (RFC 4960 §5.1): try again at the next timeout.
    COMM_LOST: (ctx) => to('connecting', ctx, []),
    CLOSE_REQ: (ctx) => to('down', ctx, [{ type: 'stop-timer' }, { type: 'discard-attempt' }, { type: 'notify-down', reason: 'closed' }, { type: 'release' }]),
    ABORT_REQ: aborted,
  },
  listening: {
    COMM_UP: (ctx) => to('up', ctx, [{ type: 'notify-up' }]),
    CLOSE_REQ: (ctx) => to('down', ctx, [{ type: 'release' }]),
    ABORT_REQ: (ctx) => to('down', ctx, [{ type: 'release' }]),
  },
  up: {
    COMM_LOST: lost,
    SHUTDOWN_COMPLETE: lost,
    CLOSE_REQ: (ctx, _ev, cfg) =>
      to('closing', ctx, [{ type: 'start-timer', timer: 'close', ms: cfg.closeTimeoutMs }, { type: 'shutdown' }]),
    ABORT_REQ: aborted,
  },
  closing: {
    COMM_LOST: finished,
    SHUTDOWN_COMPLETE: finished,
    // RFC 4960 §9.2 leaves the overall bound to T5-shutdown-guard; ours is shorter.
    CLOSE_TIMEOUT: (ctx) => abortWith(ctx, 'shutdown timed out'),
    ABORT_REQ: aborted,
  },
  down: {},
};

export function lifecycleStep(ctx: LifecycleContext, ev: LifecycleEvent, cfg: LifecycleConfig): LifecycleStep {
  const handler = LIFECYCLE[ctx.state][ev.type];
  return handler ? handler(ctx, ev, cfg) : { next: ctx, actions: [] };
}
