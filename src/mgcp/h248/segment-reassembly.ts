/**
 * Reassembly of one segmented TransactionReply (H.248.1 v3 §8.1.1): segments numbered from 1,
 * the last one marked SegmentationComplete, each carrying whole action replies. Pure state,
 * bounded in segments and bytes; the transaction layer owns the timer and the socket.
 */
import type { ActionReply, ErrorDescriptor, TransactionReply } from './messages.js';

export interface ReassemblyLimits {
  /** Segment numbers above this are refused (the reply is abandoned). */
  readonly maxSegments: number;
  /** Bytes of all segments' datagrams together. */
  readonly maxBytes: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = { maxSegments: 256, maxBytes: 4 * 1024 * 1024 };

export type SegmentOutcome =
  /** More segments are missing. */
  | { readonly kind: 'incomplete' }
  /** This segment was already held (a retransmission): acknowledge again, nothing else. */
  | { readonly kind: 'duplicate' }
  /** Every segment is here: the reply as one. */
  | { readonly kind: 'complete'; readonly reply: TransactionReply }
  /** The reply cannot be reassembled within the limits or is inconsistent. */
  | { readonly kind: 'refused'; readonly reason: string };

export class SegmentedReply {
  private readonly segments = new Map<number, TransactionReply>();
  private bytes = 0;
  /** Number of the segment marked SegmentationComplete, once seen. */
  private last?: number;

  constructor(
    readonly id: number,
    private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS,
  ) {}

  get received(): number {
    return this.segments.size;
  }

  /** Segment numbers not yet received (up to the last one when known, else up to the highest seen). */
  missing(): number[] {
    const top = this.last ?? Math.max(0, ...this.segments.keys());
    const out: number[] = [];
    for (let n = 1; n <= top && out.length < 32; n++) if (!this.segments.has(n)) out.push(n);
    return out;
  }

  /** Adds one segment that arrived in a datagram of `size` bytes. */
  add(r: TransactionReply, size: number): SegmentOutcome {
    const seg = r.segment;
    if (!seg || r.id !== this.id) return { kind: 'refused', reason: 'not a segment of this reply' };
    if (seg.number < 1) return { kind: 'refused', reason: 'segment number 0 (segments count from 1)' };
    if (seg.number > this.limits.maxSegments) return { kind: 'refused', reason: `segment ${seg.number} beyond the limit of ${this.limits.maxSegments}` };
    if (this.segments.has(seg.number)) return { kind: 'duplicate' };
    if (seg.complete) {
      if (this.last !== undefined && this.last !== seg.number) return { kind: 'refused', reason: `segments ${this.last} and ${seg.number} both marked last` };
      this.last = seg.number;
    }
    if (this.last !== undefined && seg.number > this.last) return { kind: 'refused', reason: `segment ${seg.number} after the last one (${this.last})` };
    for (const n of this.segments.keys()) {
      if (this.last !== undefined && n > this.last) return { kind: 'refused', reason: `segment ${n} after the last one (${this.last})` };
    }
    this.bytes += size;
    if (this.bytes > this.limits.maxBytes) return { kind: 'refused', reason: `segments exceed ${this.limits.maxBytes} bytes` };
    this.segments.set(seg.number, r);
    if (this.last === undefined || this.segments.size < this.last) return { kind: 'incomplete' };
    return { kind: 'complete', reply: this.join() };
  }

  /** The segments' action replies in segment order; the first transaction error, if any segment had one. */
  private join(): TransactionReply {
    const actions: ActionReply[] = [];
    let error: ErrorDescriptor | undefined;
    let immAckRequired = false;
    for (let n = 1; n <= (this.last as number); n++) {
      const s = this.segments.get(n) as TransactionReply;
      actions.push(...s.actions);
      error ??= s.error;
      immAckRequired ||= s.immAckRequired === true;
    }
    return { type: 'reply', id: this.id, ...(immAckRequired ? { immAckRequired } : {}), ...(error ? { error } : {}), actions };
  }
}
