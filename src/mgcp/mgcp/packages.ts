/**
 * Events and signals of the MGCP packages a line and a trunk endpoint use (RFC 3660): the line
 * package L (§2.2), generic G (§2.1), DTMF D (§2.3 of RFC 3660's DTMF package) and trunk T (§2.3);
 * the syntax of event lists in RequestedEvents (R:), SignalRequests (S:) and ObservedEvents (O:)
 * per RFC 3435 §3.2.2.4–§3.2.2.7. Pure.
 */

/** RFC 3660 §2.2 line package L. */
export const LINE = {
  offHook: 'L/hd',
  onHook: 'L/hu',
  flash: 'L/hf',
  dialTone: 'L/dl',
  ringing: 'L/rg',
  ringback: 'L/rt',
  busy: 'L/bz',
  reorder: 'L/ro',
  operationComplete: 'L/oc',
  operationFailure: 'L/of',
} as const;

/** RFC 3660 §2.1 generic package G. */
export const GENERIC = { ringback: 'G/rt', congestion: 'G/cg', operationComplete: 'G/oc', operationFailure: 'G/of' } as const;

/**
 * RFC 3660 §2.3 trunk package T: "co1" the continuity (go or return) tone, "co2" the return tone of
 * the dual-tone procedure; both are signals and events; "oc"/"of" report a timed-out signal.
 */
export const TRUNK = { continuityTone: 'T/co1', continuityTest: 'T/co2', operationComplete: 'T/oc', operationFailure: 'T/of' } as const;

/** Every DTMF digit and the timer, reported per the digit map (RFC 3435 §2.1.5, DTMF package D). */
export const DIGITS_BY_MAP = 'D/[0-9#*T]';

/**
 * Actions on a requested event (RFC 3435 §3.2.2.4): N notify at once, A accumulate, D treat by the
 * digit map, S swap, I ignore, K keep signals on, E embedded request.
 */
export type EventAction = 'N' | 'A' | 'D' | 'S' | 'I' | 'K';

export interface RequestedEvent {
  readonly event: string;
  readonly actions?: readonly EventAction[];
}

/** R: value, e.g. "L/hu(N), D/[0-9#*T](D)". */
export function formatRequestedEvents(events: readonly RequestedEvent[]): string {
  return events.map((e) => (e.actions?.length ? `${e.event}(${e.actions.join(',')})` : e.event)).join(', ');
}

/** S: value; an empty list stops every signal now on (RFC 3435 §2.3.3). */
export function formatSignals(signals: readonly string[]): string {
  return signals.join(', ');
}

/** One event of an observed (or requested) list: "L/hd", "D/9", "hd@A3F58" or "T/co1(...)". */
export interface EventToken {
  /** Package name without the slash, upper-cased; undefined when the event is unqualified. */
  readonly pkg?: string;
  /** Event name, lower-cased ("hd", "9", "#", "t"). */
  readonly name: string;
  /** "@connection" when given. */
  readonly connection?: string;
  /** Text between the parentheses after the name. */
  readonly params?: string;
}

export const EVENT_LIST_LIMITS = { maxEvents: 64, maxText: 1024 } as const;

const TOKEN_RE = /^(?:([A-Za-z0-9_+-]{1,16}|\*)\/)?([A-Za-z0-9#*_+.\-]{1,32}|\[[0-9A-Za-z#*\-]{1,32}\]|\*|all)(?:@([A-Za-z0-9$*]{1,32}))?$/;

/** Splits an event list at commas outside parentheses and brackets; never throws. */
export function parseEventList(value: string): EventToken[] | { error: string } {
  if (value.length > EVENT_LIST_LIMITS.maxText) return { error: 'event list too long' };
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') {
      if (--depth < 0) return { error: 'unbalanced parenthesis in event list' };
    } else if (c === ',' && depth === 0) {
      items.push(value.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return { error: 'unbalanced parenthesis in event list' };
  items.push(value.slice(start));
  const out: EventToken[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item.length === 0) {
      if (items.length === 1) return [];
      return { error: 'empty event in list' };
    }
    if (out.length >= EVENT_LIST_LIMITS.maxEvents) return { error: 'too many events in list' };
    let head = item;
    let params: string | undefined;
    const open = item.indexOf('(');
    if (open >= 0) {
      if (!item.endsWith(')')) return { error: `malformed event ${item.slice(0, 40)}` };
      head = item.slice(0, open);
      params = item.slice(open + 1, -1);
    }
    const m = TOKEN_RE.exec(head);
    if (!m) return { error: `malformed event ${item.slice(0, 40)}` };
    out.push({
      ...(m[1] !== undefined ? { pkg: m[1].toUpperCase() } : {}),
      name: m[2].toLowerCase(),
      ...(m[3] !== undefined ? { connection: m[3] } : {}),
      ...(params !== undefined ? { params } : {}),
    });
  }
  return out;
}

/** True when `t` is the event "PKG/name" (an unqualified name counts for `defaultPkg`). */
export function isEvent(t: EventToken, qualified: string, defaultPkg?: string): boolean {
  const slash = qualified.indexOf('/');
  const pkg = qualified.slice(0, slash).toUpperCase();
  const name = qualified.slice(slash + 1).toLowerCase();
  return t.name === name && (t.pkg ?? defaultPkg) === pkg;
}

/** A DTMF digit event ("D/5", "5", "D/#", "D/T"): its letter upper-cased, else undefined. */
export function digitOf(t: EventToken): string | undefined {
  if (t.pkg !== undefined && t.pkg !== 'D') return undefined;
  return /^[0-9#*abcdt]$/.test(t.name) ? t.name.toUpperCase() : undefined;
}
