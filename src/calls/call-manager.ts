/**
 * Intake of calls from SIP trunk customers: admission (source-address authentication, per-trunk
 * call limit, drain on shutdown), then one {@link SipToIsupCall} per INVITE; keeps the active
 * calls for the admin API and releases them all on a graceful stop.
 */
import type { InboundRequest, InviteResponder } from '../sip/port.js';
import type { TrunkCustomerTable } from '../class4/trunks/trunk-customers.js';
import { SipToIsupCall, type CallDeps, type CallSnapshot } from './sip-to-isup-call.js';
import { sipRejectTotal } from './metrics.js';

export class CallManager {
  private readonly calls = new Map<string, SipToIsupCall>();
  private readonly perCustomer = new Map<string, number>();
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: CallDeps,
    private readonly customers: TrunkCustomerTable,
  ) {}

  /** Start taking INVITEs from the signalling port. */
  listen(): void {
    this.deps.sip.onInvite((req, res) => this.onInvite(req, res));
  }

  private reject(res: InviteResponder, status: number, reason: string, why: string, headers?: Record<string, string>): void {
    sipRejectTotal.inc({ status: String(status), reason: why });
    res.send(status, reason, { headers });
  }

  private onInvite(req: InboundRequest, res: InviteResponder): void {
    const log = this.deps.logger.child({ sipCallId: req.callId, source: `${req.sourceAddress}:${req.sourcePort}` });
    if (this.draining) {
      log.info('INVITE refused: switch is shutting down');
      return this.reject(res, 503, 'Service Unavailable', 'draining', { 'Retry-After': '30' });
    }
    const customer = this.customers.identify(req.sourceAddress);
    if (!customer) {
      log.warn('INVITE from an address that is no trunk customer; refused (add it to trunkCustomers[].sources if it should be)');
      return this.reject(res, 403, 'Forbidden', 'unknown-source');
    }
    if (!/^\+?\d{1,20}$/.test(req.calledNumber)) {
      log.info({ called: req.calledNumber }, 'INVITE with a Request-URI user that is not a telephone number');
      return this.reject(res, 484, 'Address Incomplete', 'bad-number');
    }
    const active = this.perCustomer.get(customer.id) ?? 0;
    if (active >= customer.maxCalls) {
      log.warn({ customer: customer.id, maxCalls: customer.maxCalls }, 'trunk customer at its call limit');
      return this.reject(res, 503, 'Service Unavailable', 'customer-limit', { Reason: 'Q.850;cause=34' });
    }
    const call = new SipToIsupCall(this.deps, req, res, customer);
    this.calls.set(call.id, call);
    this.perCustomer.set(customer.id, active + 1);
    void call.run().finally(() => {
      this.calls.delete(call.id);
      this.perCustomer.set(customer.id, (this.perCustomer.get(customer.id) ?? 1) - 1);
      if (this.calls.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  get activeCount(): number {
    return this.calls.size;
  }

  snapshot(): CallSnapshot[] {
    return [...this.calls.values()].map((c) => c.snapshot());
  }

  /** Stop taking calls and release the active ones; resolves when none is left or after timeoutMs. */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    for (const call of this.calls.values()) call.release(16);
    if (this.calls.size > 0) {
      await new Promise<void>((resolve) => {
        const t = this.deps.clock.setTimeout(resolve, timeoutMs);
        this.idleWaiters.push(() => {
          this.deps.clock.clearTimeout(t);
          resolve();
        });
      });
    }
    return this.calls.size;
  }
}
