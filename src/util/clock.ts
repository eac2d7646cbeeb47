/**
 * Time as an injected dependency: state machines and transaction layers take a Clock so
 * tests drive them in virtual time ({@link VirtualClock}) and production uses {@link systemClock}.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** A system timer's handle carries its Node timeout, so clearing one needs no lookup. */
interface SystemTimer extends TimerHandle {
  readonly timeout: NodeJS.Timeout;
}

class SystemClock implements Clock {
  private next = 1;

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timeout = setTimeout(fn, ms);
    timeout.unref?.();
    const handle: SystemTimer = { id: this.next++, timeout };
    return handle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const timeout = (handle as SystemTimer | undefined)?.timeout;
    if (timeout) clearTimeout(timeout);
  }
}

export const systemClock: Clock = new SystemClock();

interface VirtualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that only moves when told to; timers fire in deadline order. */
export class VirtualClock implements Clock {
  private time: number;
  private next = 1;
  private timers: VirtualTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.next++, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.timers.length;
  }

  /** Advance time by ms, firing every timer that falls due (including ones set while firing). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let due: VirtualTimer | undefined;
      for (const t of this.timers) if (t.at <= target && (!due || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t;
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = target;
  }
}
