/**
 * M3uaLinkset: several ASPs (one per SG association) used as one route toward the SS7 network.
 * Traffic goes through an ASP-ACTIVE member chosen by SLS, so one SLS stays on one ASP while the
 * set is stable (in-sequence delivery per SLS, RFC 4666 §1.4.7) and moves when that ASP fails.
 */
import { EventEmitter } from 'node:events';
import type { M3uaAsp, TransferMeta } from './asp.js';
import type { DestinationChange } from './destinations.js';
import type { ProtocolData } from './messages.js';

/** Events: 'available' (), 'unavailable' (), 'transfer' (pd, meta & { asp: number }), 'destination' (change, asp index). */
export class M3uaLinkset extends EventEmitter {
  private wasAvailable = false;

  constructor(readonly asps: readonly M3uaAsp[]) {
    super();
    asps.forEach((asp, i) => {
      asp.on('state', () => this.check());
      asp.on('transfer', (pd: ProtocolData, meta: TransferMeta) => this.emit('transfer', pd, { ...meta, asp: i }));
      asp.on('destination', (c: DestinationChange) => this.emit('destination', c, i));
    });
  }

  start(): void {
    for (const a of this.asps) a.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.asps.map((a) => a.stop()));
  }

  get available(): boolean {
    return this.asps.some((a) => a.isActive);
  }

  /** A destination is available when some active ASP's SG has not declared it unavailable. */
  isAvailable(pc: number): boolean {
    return this.asps.some((a) => a.isActive && a.destinations.isAvailable(pc));
  }

  /** Lowest congestion level among the active ASPs that reach the destination. */
  congestionLevel(pc: number): number {
    const levels = this.asps.filter((a) => a.isActive && a.destinations.isAvailable(pc)).map((a) => a.destinations.congestionLevel(pc));
    return levels.length ? Math.min(...levels) : 0;
  }

  /** Send via an active ASP picked by SLS, preferring ASPs whose SG reaches the DPC; false when none is active. */
  sendTransfer(pd: ProtocolData, opts?: { routingContext?: number }): boolean {
    const active = this.asps.filter((a) => a.isActive);
    if (active.length === 0) return false;
    const reaching = active.filter((a) => a.destinations.isAvailable(pd.dpc));
    const pool = reaching.length ? reaching : active;
    return pool[pd.sls % pool.length].sendTransfer(pd, opts);
  }

  private check(): void {
    const now = this.available;
    if (now === this.wasAvailable) return;
    this.wasAvailable = now;
    this.emit(now ? 'available' : 'unavailable');
  }
}
