/**
 * The switch's calls: starts each call on the engine, keeps the active ones (admin API view,
 * per-customer counts), and on a graceful stop releases them all and waits for them to end.
 */
import { Registry } from 'prom-client';
import type { Clock } from '../util/clock.js';
import { Call, type CallOptions, type CallSnapshot } from './call.js';
import type { OriginatingLeg } from './legs/leg.js';
import type { CallPlan } from './plan.js';
import { CallTransfers } from './transfer.js';
import { LocalCallCounts, type CustomerCallCounts } from '../cluster/call-counts.js';

export class CallManager {
  private readonly calls = new Map<string, Call>();
  private readonly perCustomer: CustomerCallCounts;
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  private readonly opts: CallOptions;

  constructor(
    opts: CallOptions,
    private readonly clock: Clock = opts.clock,
    /** Per-customer counts admission reads (shared by the cluster when configured). */
    counts: CustomerCallCounts = new LocalCallCounts(),
  ) {
    this.perCustomer = counts;
    // Without the switch's registry, the calls count into one registry of this manager's own.
    const registry = opts.registry ?? new Registry();
    this.transfers = new CallTransfers({ start: (a, plan, id) => this.start(a, plan, id), calls: () => this.calls.values(), logger: opts.logger, registry });
    this.opts = { ...opts, registry, transfers: this.transfers };
  }

  /** Call transfer (REFER, INVITE with Replaces) between the calls of this manager. */
  readonly transfers: CallTransfers;

  /** Where the calls are counted; intakes count their refusals there too. */
  get registry(): Registry {
    return this.opts.registry!;
  }

  /** True once drain() began: intakes refuse new calls. */
  get isDraining(): boolean {
    return this.draining;
  }

  get activeCount(): number {
    return this.calls.size;
  }

  /** Active calls of a customer (both directions; every node's when the counts are shared). */
  activeFor(customer: string): number {
    return this.perCustomer.active(customer);
  }

  /**
   * Whether a call of `customer` may start under its limit of `limit` concurrent calls. With
   * counts shared by a cluster the check-and-take is atomic across nodes (a promise); the slot
   * taken is the one the next `start()` for that customer uses, so start it right after.
   */
  admitFor(customer: string, limit: number): boolean | Promise<boolean> {
    if (this.perCustomer.reserve) return this.perCustomer.reserve(customer, limit);
    return this.activeFor(customer) < limit;
  }

  /** Runs a call to its end. `callId` lets the leg that seized resources share the call's id. */
  start(a: OriginatingLeg, plan: CallPlan, callId?: string): Call {
    const call = new Call(a, plan, this.opts, callId);
    const customer = plan.cdr.customer;
    this.calls.set(call.id, call);
    if (customer) this.perCustomer.started(customer);
    void call.start().finally(() => {
      this.calls.delete(call.id);
      if (customer) this.perCustomer.ended(customer);
      if (this.calls.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
    return call;
  }

  /**
   * A media gateway lost the connections on these endpoints (RSIP forced/restart/disconnected):
   * the calls carried there cannot pass voice any more; release them on both sides with `cause`.
   */
  releaseOnEndpoints(matches: (endpoint: string) => boolean, cause: number): number {
    let n = 0;
    for (const call of this.calls.values()) {
      const ep = call.snapshot().endpoint;
      if (ep && matches(ep)) {
        call.release(cause);
        n++;
      }
    }
    return n;
  }

  get(id: string): Call | undefined {
    return this.calls.get(id);
  }

  snapshot(): CallSnapshot[] {
    return [...this.calls.values()].map((c) => c.snapshot());
  }

  /** Stop taking calls and release the active ones; resolves with how many are left after timeoutMs. */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    for (const call of this.calls.values()) call.release(16);
    if (this.calls.size > 0) {
      await new Promise<void>((resolve) => {
        const t = this.clock.setTimeout(resolve, timeoutMs);
        this.idleWaiters.push(() => {
          this.clock.clearTimeout(t);
          resolve();
        });
      });
    }
    return this.calls.size;
  }
}
