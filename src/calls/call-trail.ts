/**
 * Each call's signalling as it crossed the wire: the raw SIP, ISUP and MGCP messages the protocol
 * layers tap (src/util/message-tap.ts), claimed by calls through keys (a SIP Call-ID, an ISUP
 * circuit while the call holds it, the bearer call id). Bounded everywhere: at most `maxCalls`
 * trails (the oldest call's goes first), `maxEventsPerCall` messages per call (its oldest go
 * first, counted in `dropped`), `maxBytes` held in all; messages no call has claimed yet (an INVITE
 * or IAM that is about to start a call) wait in a small pending store of their own.
 */
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { MessageTap, TappedMessage } from '../util/message-tap.js';
import { FifoMap } from '../util/fifo-map.js';

export interface TrailEvent {
  /** Milliseconds since the epoch, when the tap saw it. */
  readonly t: number;
  /** Order of arrival at the tap (ties in `t`). */
  readonly seq: number;
  readonly msg: TappedMessage;
}

/** The part of the trail a call and its legs use: claiming keys for the call, and letting go of them. */
export interface TrailLinks {
  link(key: string, callId: string): void;
  unlink(key: string, callId: string): void;
}

export interface CallTrailLimits {
  /** Calls whose trail is kept (0 turns the trail off). */
  maxCalls: number;
  maxEventsPerCall: number;
  /** Message bytes held by all trails together. */
  maxBytes: number;
  /** Keys with messages no call has claimed yet. */
  maxPendingKeys: number;
  maxPendingPerKey: number;
  maxPendingBytes: number;
  /** A call claiming a key takes its pending messages no older than this. */
  adoptWindowMs: number;
}

export const DEFAULT_TRAIL_LIMITS: CallTrailLimits = {
  maxCalls: 500,
  maxEventsPerCall: 64,
  maxBytes: 32 * 1024 * 1024,
  maxPendingKeys: 256,
  maxPendingPerKey: 8,
  maxPendingBytes: 2 * 1024 * 1024,
  adoptWindowMs: 30_000,
};

/** What a held message costs beyond its bytes (objects, map entries), for the byte caps. */
const OVERHEAD = 160;

interface Trail {
  readonly callId: string;
  readonly events: TrailEvent[];
  readonly keys: Set<string>;
  dropped: number;
  bytes: number;
}

interface Pending {
  events: TrailEvent[];
  bytes: number;
}

export interface CallTrailView {
  callId: string;
  events: readonly TrailEvent[];
  /** Messages of this call no longer held (per-call cap). */
  dropped: number;
  keys: string[];
}

export interface CallTrailSummary {
  callId: string;
  first: number;
  last: number;
  events: number;
  dropped: number;
}

const cost = (e: TrailEvent): number => e.msg.bytes.length + OVERHEAD;

export class CallTrail implements TrailLinks {
  private readonly trails = new FifoMap<string, Trail>();
  private readonly links = new Map<string, string>();
  private readonly pending = new FifoMap<string, Pending>();
  private bytes = 0;
  private pendingBytes = 0;
  private seq = 0;
  private readonly limits: CallTrailLimits;
  /** The tap to hand to the protocol layers. */
  readonly tap: MessageTap = (m) => this.record(m);

  constructor(
    limits: Partial<CallTrailLimits> = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.limits = { ...DEFAULT_TRAIL_LIMITS, ...limits };
  }

  get enabled(): boolean {
    return this.limits.maxCalls > 0;
  }

  /** Bytes held (claimed and pending), for tests and metrics. */
  get heldBytes(): number {
    return this.bytes + this.pendingBytes;
  }

  get size(): number {
    return this.trails.size;
  }

  record(msg: TappedMessage): void {
    if (!this.enabled) return;
    const ev: TrailEvent = { t: this.clock.now(), seq: this.seq++, msg };
    const callId = this.links.get(msg.key);
    const trail = callId === undefined ? undefined : this.trails.get(callId);
    if (trail) return this.append(trail, ev);
    if (callId !== undefined) this.links.delete(msg.key);
    this.hold(ev);
  }

  /** From now on, messages under `key` belong to `callId`; recent ones already seen under it too. */
  link(key: string, callId: string): void {
    if (!this.enabled) return;
    const trail = this.trailOf(callId);
    this.links.set(key, callId);
    trail.keys.add(key);
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    this.pendingBytes -= p.bytes;
    // A reusable key (a circuit: `opens` is set on its messages) is adopted only from the message that
    // opened this use of it; what came before belongs to no call (resets, blocking of an idle circuit).
    if (p.events[0].msg.opens === false) return;
    const since = this.clock.now() - this.limits.adoptWindowMs;
    const adopted = p.events.filter((e) => e.t >= since);
    if (adopted.length === 0) return;
    for (const e of adopted) this.append(trail, e, false);
    trail.events.sort((a, b) => a.seq - b.seq);
  }

  /** The call no longer holds `key` (a circuit it released): later messages under it are not its. */
  unlink(key: string, callId: string): void {
    if (this.links.get(key) === callId) this.links.delete(key);
  }

  get(callId: string): CallTrailView | undefined {
    const t = this.trails.get(callId);
    return t && { callId, events: t.events, dropped: t.dropped, keys: [...t.keys] };
  }

  /** The most recent calls' trails, newest first. */
  list(limit = 50): CallTrailSummary[] {
    const out: CallTrailSummary[] = [];
    const all = [...this.trails.values()];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const t = all[i];
      if (t.events.length === 0) continue;
      out.push({ callId: t.callId, first: t.events[0].t, last: t.events[t.events.length - 1].t, events: t.events.length, dropped: t.dropped });
    }
    return out;
  }

  private trailOf(callId: string): Trail {
    let t = this.trails.get(callId);
    if (t) return t;
    t = { callId, events: [], keys: new Set(), dropped: 0, bytes: 0 };
    this.trails.set(callId, t);
    while (this.trails.size > this.limits.maxCalls) this.evictOldest();
    return t;
  }

  private append(trail: Trail, ev: TrailEvent, enforce = true): void {
    trail.events.push(ev);
    const c = cost(ev);
    trail.bytes += c;
    this.bytes += c;
    while (trail.events.length > this.limits.maxEventsPerCall) {
      const old = trail.events.shift()!;
      trail.dropped++;
      trail.bytes -= cost(old);
      this.bytes -= cost(old);
    }
    if (!enforce) return;
    while (this.bytes > this.limits.maxBytes && this.trails.size > 1) {
      if (this.trails.oldestKey() === trail.callId) break;
      this.evictOldest();
    }
  }

  private evictOldest(): void {
    const t = this.trails.oldestValue();
    if (t === undefined) return;
    this.trails.delete(t.callId);
    this.bytes -= t.bytes;
    for (const k of t.keys) if (this.links.get(k) === t.callId) this.links.delete(k);
  }

  private hold(ev: TrailEvent): void {
    const key = ev.msg.key;
    let p = this.pending.get(key);
    // A message that opens a new use of a reusable key (an IAM on a circuit) ends what came before it.
    if (p && ev.msg.opens) {
      this.pending.delete(key);
      this.pendingBytes -= p.bytes;
      p = undefined;
    }
    if (!p) {
      p = { events: [], bytes: 0 };
      this.pending.set(key, p);
    }
    p.events.push(ev);
    p.bytes += cost(ev);
    this.pendingBytes += cost(ev);
    if (p.events.length > this.limits.maxPendingPerKey) {
      const old = p.events.shift()!;
      p.bytes -= cost(old);
      this.pendingBytes -= cost(old);
    }
    while (this.pending.size > 0 && (this.pending.size > this.limits.maxPendingKeys || this.pendingBytes > this.limits.maxPendingBytes)) {
      const [, oldest] = this.pending.shift() as [string, Pending];
      this.pendingBytes -= oldest.bytes;
    }
  }
}
