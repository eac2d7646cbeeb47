/**
 * Circuit (CIC) state of one trunk group toward one adjacent exchange: which circuits are idle,
 * busy with an outgoing or incoming call, blocked for maintenance or hardware reasons locally or
 * remotely, or out of service while circuit supervision works on them.
 * Pure bookkeeping: no timers or I/O; the ISUP service drives it.
 */
import type { Variant } from '../variant.js';

export type CircuitCallState = 'idle' | 'outgoing' | 'incoming';

/**
 * Why supervision keeps a circuit from new calls although no call holds it: our RSC/GRS awaits
 * its RLC/GRA (Q.764 §2.10.3), the far end answered UCIC (Q.764 §2.12), or a continuity re-check
 * is under way (Q.764 §2.1.8).
 */
export type CircuitOutOfService = 'reset-pending' | 'unequipped' | 'continuity-recheck';

export interface CircuitState {
  cic: number;
  call: CircuitCallState;
  /** Blocked by us (we sent BLO/CGB, maintenance or hardware): no new calls either way. */
  localBlocked: boolean;
  /** Blocked by the far end (we received BLO/CGB): no new outgoing calls. */
  remoteBlocked: boolean;
  localMaintenanceBlocked: boolean;
  localHardwareBlocked: boolean;
  remoteMaintenanceBlocked: boolean;
  remoteHardwareBlocked: boolean;
  outOfService?: CircuitOutOfService;
  /** Owner of the call on the circuit, for routing received messages. */
  callRef?: string;
}

/** Order in which seizeOutgoing tries idle circuits (per trunk group `circuitSelection`). */
export type CircuitSelection = 'lru' | 'ascending' | 'descending' | 'odd' | 'even';

/** Which circuits this exchange controls for dual seizure. */
export type GlareControl = 'even' | 'odd' | 'all' | 'none';

export interface CircuitGroupOptions {
  id: string;
  firstCic: number;
  count: number;
  /** Own and far-end point codes: decide which circuits we control in glare (Q.764 §2.9.1.3). */
  ownPointCode: number;
  farPointCode: number;
  /**
   * Circuit selection for outgoing calls. Absent: circuits we control first (they win dual
   * seizure), round-robin among them, then the others.
   */
  selection?: CircuitSelection;
  /** Decides the default glare rule: ITU (or absent) even/odd by point code, ANSI all by point code. */
  variant?: Variant;
  /** Configured control (T1.113.4 §2.10.1.4 leaves it to bilateral agreement); overrides the default rule. */
  glareControl?: GlareControl;
}

export class CircuitGroup {
  readonly id: string;
  private readonly circuits = new Map<number, CircuitState>();
  /** The same circuits in CIC order, for allocation without building arrays per seizure. */
  private readonly ordered: CircuitState[] = [];
  /** Circuits a new call could take now, kept as state changes (availability is asked per route lookup). */
  private availableCount = 0;
  private readonly glare: GlareControl;
  private readonly selection?: CircuitSelection;
  /** LRU order: Map iteration is insertion order; a released circuit is moved to the end. */
  private readonly lru = new Map<number, CircuitState>();
  private nextHint = 0;

  constructor(opts: CircuitGroupOptions) {
    this.id = opts.id;
    this.selection = opts.selection;
    const higher = opts.ownPointCode > opts.farPointCode;
    // Q.764 §2.9.1.3 a): the exchange with the higher signalling point code controls the even CICs.
    // T1.113.4 §2.10.1.4: the exchange with the higher point code controls all circuits, unless agreed otherwise.
    this.glare = opts.glareControl ?? (opts.variant === 'ansi' ? (higher ? 'all' : 'none') : higher ? 'even' : 'odd');
    for (let i = 0; i < opts.count; i++) {
      const cic = opts.firstCic + i;
      const c: CircuitState = {
        cic,
        call: 'idle',
        localBlocked: false,
        remoteBlocked: false,
        localMaintenanceBlocked: false,
        localHardwareBlocked: false,
        remoteMaintenanceBlocked: false,
        remoteHardwareBlocked: false,
      };
      this.circuits.set(cic, c);
      this.ordered.push(c);
      this.lru.set(cic, c);
      this.availableCount++;
    }
  }

  has(cic: number): boolean {
    return this.circuits.has(cic);
  }

  get(cic: number): CircuitState | undefined {
    return this.circuits.get(cic);
  }

  /** CICs of the group in order. */
  cics(): number[] {
    return this.ordered.map((c) => c.cic);
  }

  /** True when we are the controlling exchange of this circuit for glare resolution. */
  controls(cic: number): boolean {
    switch (this.glare) {
      case 'all':
        return true;
      case 'none':
        return false;
      case 'even':
        return cic % 2 === 0;
      case 'odd':
        return cic % 2 === 1;
    }
  }

  private available(c: CircuitState): boolean {
    return c.call === 'idle' && !c.localBlocked && !c.remoteBlocked && c.outOfService === undefined;
  }

  /**
   * Seizes an idle circuit for an outgoing call in the configured selection order; undefined when
   * none is free. `avoid`: a CIC not to take (a repeat attempt after dual seizure, Q.764 §2.9.1.3 b)).
   */
  seizeOutgoing(callRef: string, avoid?: number): CircuitState | undefined {
    const c = this.pick(avoid);
    return c ? this.occupy(c, 'outgoing', callRef) : undefined;
  }

  private pick(avoid?: number): CircuitState | undefined {
    const ok = (c: CircuitState) => this.available(c) && c.cic !== avoid;
    const all = this.ordered;
    const n = all.length;
    switch (this.selection) {
      case 'ascending':
        for (let i = 0; i < n; i++) if (ok(all[i])) return all[i];
        return undefined;
      case 'descending':
        for (let i = n - 1; i >= 0; i--) if (ok(all[i])) return all[i];
        return undefined;
      case 'odd':
      case 'even': {
        const want = this.selection === 'odd' ? 1 : 0;
        let other: CircuitState | undefined;
        for (let i = 0; i < n; i++) {
          const c = all[i];
          if (!ok(c)) continue;
          if (c.cic % 2 === want) return c;
          other ??= c;
        }
        return other;
      }
      case 'lru':
        for (const c of this.lru.values()) if (ok(c)) return c;
        return undefined;
      default: {
        let fallback: CircuitState | undefined;
        for (let k = 0; k < n; k++) {
          const c = all[(this.nextHint + k) % n];
          if (!ok(c)) continue;
          if (this.controls(c.cic)) {
            this.nextHint = (this.nextHint + k + 1) % n;
            return c;
          }
          fallback ??= c;
        }
        return fallback;
      }
    }
  }

  /** Marks a circuit busy with an incoming call; false if it is not idle, locally blocked or out of service. */
  seizeIncoming(cic: number, callRef: string): boolean {
    const c = this.circuits.get(cic);
    if (!c || c.call !== 'idle' || c.localBlocked || c.outOfService !== undefined) return false;
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
    const wasBusy = c.call !== 'idle';
    this.change(c, () => {
      c.call = 'idle';
      c.callRef = undefined;
    });
    if (wasBusy && this.selection === 'lru') {
      this.lru.delete(cic);
      this.lru.set(cic, c);
    }
  }

  /**
   * Blocks or unblocks one side's maintenance or hardware block (Q.764 §2.8.2: both may hold
   * at once; each is removed by its own unblocking). `localBlocked`/`remoteBlocked` are their union.
   */
  setBlocked(cic: number, side: 'local' | 'remote', blocked: boolean, kind: 'maintenance' | 'hardware' = 'maintenance'): boolean {
    const c = this.circuits.get(cic);
    if (!c) return false;
    this.change(c, () => {
      if (side === 'local') {
        if (kind === 'maintenance') c.localMaintenanceBlocked = blocked;
        else c.localHardwareBlocked = blocked;
        c.localBlocked = c.localMaintenanceBlocked || c.localHardwareBlocked;
      } else {
        if (kind === 'maintenance') c.remoteMaintenanceBlocked = blocked;
        else c.remoteHardwareBlocked = blocked;
        c.remoteBlocked = c.remoteMaintenanceBlocked || c.remoteHardwareBlocked;
      }
    });
    return true;
  }

  /** Takes a circuit out of service for supervision, or (undefined) returns it. */
  setOutOfService(cic: number, reason: CircuitOutOfService | undefined): boolean {
    const c = this.circuits.get(cic);
    if (!c) return false;
    this.change(c, () => {
      if (reason === undefined) delete c.outOfService;
      else c.outOfService = reason;
    });
    return true;
  }

  counts(): { total: number; idle: number; outgoing: number; incoming: number; blocked: number; outOfService: number } {
    let idle = 0;
    let outgoing = 0;
    let incoming = 0;
    let blocked = 0;
    let outOfService = 0;
    for (const c of this.circuits.values()) {
      if (c.localBlocked || c.remoteBlocked) blocked++;
      if (c.outOfService !== undefined) outOfService++;
      if (c.call === 'outgoing') outgoing++;
      else if (c.call === 'incoming') incoming++;
      else if (!c.localBlocked && !c.remoteBlocked && c.outOfService === undefined) idle++;
    }
    return { total: this.circuits.size, idle, outgoing, incoming, blocked, outOfService };
  }

  snapshot(): CircuitState[] {
    return [...this.circuits.values()].map((c) => ({ ...c }));
  }
}
