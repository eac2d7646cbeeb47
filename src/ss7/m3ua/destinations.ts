/**
 * Destination availability and congestion learned from SSNM (RFC 4666 §4.5, §3.4), consulted by
 * routing and call admission. Destinations not yet mentioned are available (RFC 4666 §4.5.1:
 * the ASP considers every destination reachable through an active SG available until told).
 */
import { EventEmitter } from 'node:events';
import type { MaskedPointCode, SsnmMessage } from './messages.js';

export interface DestinationState {
  available: boolean;
  restricted: boolean;
  /** 0 = none, 1..3 = SCON congestion level (RFC 4666 §3.4.4). */
  congestion: number;
  /** Service indicators reported unavailable by DUPU (RFC 4666 §3.4.5). */
  unavailableUsers: ReadonlySet<number>;
}

export interface DestinationChange extends DestinationState {
  pc: number;
  mask: number;
  cause: SsnmMessage['type'] | 'RESET';
}

const DEFAULT: DestinationState = { available: true, restricted: false, congestion: 0, unavailableUsers: new Set() };

interface Entry {
  base: number;
  mask: number;
  state: DestinationState;
}

/** Events: 'change' (DestinationChange). */
export class DestinationTable extends EventEmitter {
  private readonly exact = new Map<number, Entry>();
  /** Wildcarded entries, newest first. */
  private masked: Entry[] = [];

  get(pc: number): DestinationState {
    const e = this.exact.get(pc);
    if (e) return e.state;
    for (const m of this.masked) if (covers(m.base, m.mask, pc)) return m.state;
    return DEFAULT;
  }

  isAvailable(pc: number): boolean {
    return this.get(pc).available;
  }

  congestionLevel(pc: number): number {
    return this.get(pc).congestion;
  }

  isRestricted(pc: number): boolean {
    return this.get(pc).restricted;
  }

  isUserAvailable(pc: number, si: number): boolean {
    const s = this.get(pc);
    return s.available && !s.unavailableUsers.has(si);
  }

  /** Apply one SSNM message received from the SG (DAUD is an ASP→SG audit and changes nothing). */
  apply(msg: SsnmMessage): void {
    for (const apc of msg.affectedPointCodes) {
      const prev = this.lookupEntry(apc);
      const s = prev ? prev.state : DEFAULT;
      let next: DestinationState;
      switch (msg.type) {
        case 'DUNA':
          next = { available: false, restricted: false, congestion: 0, unavailableUsers: s.unavailableUsers };
          break;
        case 'DAVA':
          next = { available: true, restricted: false, congestion: 0, unavailableUsers: new Set() };
          break;
        case 'DRST':
          next = { ...s, available: true, restricted: true };
          break;
        case 'SCON':
          // RFC 4666 §3.4.4: Congestion Indications is optional. Without it the destination is still
          // congested; ITU MTP has a single congestion level (Q.704 §3.8), so it is recorded as level 1
          // of the 1..3 scale (ANSI T1.111.4 multiple levels arrive with the parameter).
          next = { ...s, congestion: msg.congestionLevel ?? 1 };
          break;
        case 'DUPU':
          next = { ...s, unavailableUsers: new Set([...s.unavailableUsers, msg.userCause.user]) };
          break;
        case 'DAUD':
          continue;
      }
      this.store(apc, next);
      this.emit('change', { pc: apc.pc, mask: apc.mask, cause: msg.type, ...next } satisfies DestinationChange);
    }
  }

  /**
   * Forget everything: the ASP went ASP-DOWN, so what the SG said is stale. Every destination goes
   * back to "unknown", which this table treats as available (RFC 4666 §4.5.1: no SSNM means
   * reachable through the SG); a 'change' with cause RESET is emitted per forgotten entry. The ASP
   * re-learns the real state from the SG's SSNM, or at once with DAUD (M3uaAsp `auditPointCodes`).
   */
  reset(): void {
    const had = [...this.exact.values(), ...this.masked];
    this.exact.clear();
    this.masked = [];
    for (const e of had) this.emit('change', { pc: e.base, mask: e.mask, cause: 'RESET', ...DEFAULT } satisfies DestinationChange);
  }

  private lookupEntry(apc: MaskedPointCode): Entry | undefined {
    if (apc.mask === 0) return this.exact.get(apc.pc);
    return this.masked.find((m) => m.mask === apc.mask && m.base === maskOff(apc.pc, apc.mask));
  }

  private store(apc: MaskedPointCode, state: DestinationState): void {
    if (apc.mask === 0) {
      this.exact.set(apc.pc, { base: apc.pc, mask: 0, state });
      return;
    }
    const base = maskOff(apc.pc, apc.mask);
    this.masked = [{ base, mask: apc.mask, state }, ...this.masked.filter((m) => !(m.mask === apc.mask && m.base === base))];
    // A wider statement overrides older exact knowledge inside its range.
    for (const pc of [...this.exact.keys()]) if (covers(base, apc.mask, pc)) this.exact.delete(pc);
  }
}

function maskOff(pc: number, mask: number): number {
  return mask >= 24 ? 0 : pc & ~((1 << mask) - 1) & 0xffffff;
}

export function covers(base: number, mask: number, pc: number): boolean {
  return maskOff(pc, mask) === base;
}
