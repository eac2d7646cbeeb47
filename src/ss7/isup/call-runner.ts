import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Variant } from '../variant.js';
import {
  IsupCallFsm,
  type IsupCallEvent,
  type IsupCallIndication,
  type IsupSendRequest,
  type IsupTimer,
  type IsupTimerValues,
} from './call-fsm.js';

export interface IsupCallRunnerDeps {
  clock: Clock;
  timers: IsupTimerValues;
  /** ANSI differences (no SAM, LPA on re-check, network-only suspend) and defaults of missing timers; ITU when absent. */
  variant?: Variant;
  /** Sends the message on this call's circuit; the runner's owner fills parameters. */
  send: (request: IsupSendRequest) => void;
  indicate: (indication: IsupCallIndication) => void;
  /** An event the current state does not accept (logged by the owner). */
  unexpected?: (event: IsupCallEvent, state: string) => void;
}

/** Carries out the actions of an {@link IsupCallFsm}: sends, timers on the injected clock, indications. */
export class IsupCallRunner {
  readonly fsm: IsupCallFsm;
  private readonly running = new Map<IsupTimer, TimerHandle>();
  /** Set by dispose(): the owner is gone; later events are ignored and no timer starts again. */
  private disposed = false;

  constructor(private readonly deps: IsupCallRunnerDeps) {
    this.fsm = new IsupCallFsm(deps.timers, deps.variant);
  }

  get state() {
    return this.fsm.state;
  }

  /** Timers running now (for tests and leak checks). */
  get runningTimers(): IsupTimer[] {
    return [...this.running.keys()];
  }

  handle(event: IsupCallEvent): boolean {
    if (this.disposed) return false;
    const { actions, accepted } = this.fsm.handle(event);
    if (!accepted) {
      this.deps.unexpected?.(event, this.fsm.state);
      return false;
    }
    for (const a of actions) {
      switch (a.kind) {
        case 'send':
          this.deps.send(a.message);
          break;
        case 'start-timer':
          // The owner may dispose while this event's actions run (its send failed, or an indication ended the call).
          if (this.disposed) break;
          this.deps.clock.clearTimeout(this.running.get(a.timer));
          this.running.set(
            a.timer,
            this.deps.clock.setTimeout(() => {
              this.running.delete(a.timer);
              this.handle({ name: 'TIMER_EXPIRY', timer: a.timer });
            }, a.ms),
          );
          break;
        case 'stop-timer':
          this.deps.clock.clearTimeout(this.running.get(a.timer));
          this.running.delete(a.timer);
          break;
        case 'indicate':
          this.deps.indicate(a.indication);
          break;
      }
    }
    return true;
  }

  /**
   * Stops every timer and ignores later events. Sends still pending in the event being handled
   * go out (the RLC that follows a 'released' indication).
   */
  dispose(): void {
    this.disposed = true;
    for (const h of this.running.values()) this.deps.clock.clearTimeout(h);
    this.running.clear();
  }
}
