/**
 * Circuit (CIC) state of one trunk group toward one adjacent exchange: which circuits are idle,
 * busy with an outgoing or incoming call, or blocked for maintenance locally or remotely.
 * Pure bookkeeping: no timers or I/O; the ISUP service drives it.
 */
export type CircuitCallState = 'idle' | 'outgoing' | 'incoming';

export interface CircuitState {
  cic: number;
  call: CircuitCallState;
  /** Blocked by us (we sent BLO/CGB): no new calls either way. */
  localBlocked: boolean;
  /** Blocked by the far end (we received BLO/CGB): no new outgoing calls. */
  remoteBlocked: boolean;
  /** Owner of the call on the circuit, for routing received messages. */
  callRef?: string;
}

export interface CircuitGroupOptions {
  id: string;
  firstCic: number;
  count: number;
  /** Own and far-end point codes: decide which half of the circuits we control in glare (Q.764 §2.9.1.4). */
  ownPointCode: number;
  farPointCode: number;
}

export class CircuitGroup {
  readonly id: string;
  private readonly circuits = new Map<number, CircuitState>();
  /** The same circuits in CIC order, for allocation without building arrays per seizure. */
  private readonly ordered: CircuitState[] = [];
  /** Circuits a new call could take now, kept as state changes (availability is asked per route lookup). */
  private availableCount = 0;
  private readonly controlsEven: boolean;
  private nextHint = 0;

  constructor(opts: CircuitGroupOptions) {
    this.id = opts.id;
    // Q.764 §2.9.1.4 a): the exchange with the higher signalling point code controls the even CICs.
    this.controlsEven = opts.ownPointCode > opts.farPointCode;
    for (let i = 0; i < opts.count; i++) {
      const cic = opts.firstCic + i;
      const c: CircuitState = { cic, call: 'idle', localBlocked: false, remoteBlocked: false };
      this.circuits.set(cic, c);
      this.ordered.push(c);
      this.availableCount++;
    }
  }

  has(cic: number): boolean {
    return this.circuits.has(cic);
  }

  get(cic: number): CircuitState | undefined {
    return this.circuits.get(cic);
  }

  /** True when we are the controlling exchange of this circuit for glare resolution. */
  controls(cic: number): boolean {
    return (cic % 2 === 0) === this.controlsEven;
  }

  private available(c: CircuitState): boolean {
    return c.call === 'idle' && !c.localBlocked && !c.remoteBlocked;
  }

  /**
   * Seizes an idle circuit for an outgoing call: circuits we control first (they win glare),
   * round-robin among them; undefined when none is free. `avoid`: a CIC not to take (a repeat
   * attempt after dual seizure, Q.764 §2.9.1.4 b)).
   */
  seizeOutgoing(callRef: string, avoid?: number): CircuitState | undefined {
    const all = this.ordered;
    const n = all.length;
    let fallback: CircuitState | undefined;
    for (let k = 0; k < n; k++) {
      const c = all[(this.nextHint + k) % n];
      if (!this.available(c) || c.cic === avoid) continue;
      if (this.controls(c.cic)) {
        this.nextHint = (this.nextHint + k + 1) % n;
        return this.occupy(c, 'outgoing', callRef);
      }
      fallback ??= c;
    }
    return fallback ? this.occupy(fallback, 'outgoing', callRef) : undefined;
  }

  /** Marks a circuit busy with an incoming call; false if it is not idle or locally blocked. */
  seizeIncoming(cic: number, callRef: string): boolean {
    const c = this.circuits.get(cic);
    if (!c || c.call !== 'idle' || c.localBlocked) return false;
    this.occupy(c, 'incoming', callRef);
    return true;
  }

  private occupy(c: CircuitState, call: CircuitCallState, callRef: string): CircuitState {
    this.change(c, () => {
      c.call = call;
      c.callRef = callRef;
    });
    return c;
  }

  /** Applies a state change and keeps the count of available circuits right. */
  private change(c: CircuitState, apply: () => void): void {
    const before = this.available(c);
    apply();
    const after = this.available(c);
    if (before !== after) this.availableCount += after ? 1 : -1;
  }

  /** True when at least one circuit is idle and unblocked (O(1)). */
  hasAvailable(): boolean {
    return this.availableCount > 0;
  }

  /** Idles the circuit; with `callRef`, only while that call still holds it (a reset may have given it to another). */
  release(cic: number, callRef?: string): void {
    const c = this.circuits.get(cic);
    if (!c || (callRef !== undefined && c.callRef !== callRef)) return;
    this.change(c, () => {
      c.call = 'idle';
      c.callRef = undefined;
    });
  }

  setBlocked(cic: number, side: 'local' | 'remote', blocked: boolean): boolean {
    const c = this.circuits.get(cic);
    if (!c) return false;
    this.change(c, () => {
      if (side === 'local') c.localBlocked = blocked;
      else c.remoteBlocked = blocked;
    });
    return true;
  }

  counts(): { total: number; idle: number; outgoing: number; incoming: number; blocked: number } {
    let idle = 0;
    let outgoing = 0;
    let incoming = 0;
    let blocked = 0;
    for (const c of this.circuits.values()) {
      if (c.localBlocked || c.remoteBlocked) blocked++;
      if (c.call === 'outgoing') outgoing++;
      else if (c.call === 'incoming') incoming++;
      else if (!c.localBlocked && !c.remoteBlocked) idle++;
    }
    return { total: this.circuits.size, idle, outgoing, incoming, blocked };
  }

  snapshot(): CircuitState[] {
    return [...this.circuits.values()].map((c) => ({ ...c }));
  }
}
