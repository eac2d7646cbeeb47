/**
 * Calls from SIP trunk customers: admission (source-address authentication, number check,
 * per-customer call limit, drain), then a call on the engine from a SIP leg to the LCR's ISUP
 * destinations.
 */
import { randomUUID } from 'node:crypto';
import { lazyChild, type Logger } from '../../util/log.js';
import type { InboundRequest, InviteResponder, SignallingPort } from '../../sip/port.js';
import type { CallManager } from '../../calls/manager.js';
import type { IsupLegDeps } from '../../calls/legs/isup-deps.js';
import { SipInboundLeg } from '../../calls/legs/sip-inbound-leg.js';
import type { CallParty } from '../../calls/legs/leg.js';
import { callMetrics } from '../../calls/metrics.js';
import type { TrunkCustomerTable } from '../trunks/trunk-customers.js';
import type { CallRouter } from '../routing/route-plan.js';
import { lcrPlan } from './lcr-destinations.js';
import type { OverloadGuard } from '../admission/overload.js';
import type { FraudGuard } from '../admission/fraud.js';

export interface TrunkIntakeDeps {
  sip: SignallingPort;
  calls: CallManager;
  customers: TrunkCustomerTable;
  router: CallRouter;
  isupLegs: IsupLegDeps;
  logger: Logger;
  mediaAddress: string;
  overload?: OverloadGuard;
  fraud?: FraudGuard;
}

export class TrunkIntake {
  constructor(private readonly deps: TrunkIntakeDeps) {}

  listen(): void {
    this.deps.sip.onInvite((req, res) => this.onInvite(req, res));
  }

  private reject(res: InviteResponder, status: number, reason: string, why: string, headers?: Record<string, string>): void {
    callMetrics(this.deps.calls.registry).sipRejectTotal.inc({ status: String(status), reason: why });
    res.send(status, reason, { headers });
  }

  private onInvite(req: InboundRequest, res: InviteResponder): void {
    const { calls, logger } = this.deps;
    const log = lazyChild(logger, { sipCallId: req.callId, source: `${req.sourceAddress}:${req.sourcePort}` });
    if (calls.isDraining) {
      log.info('INVITE refused: switch is shutting down');
      return this.reject(res, 503, 'Service Unavailable', 'draining', { 'Retry-After': '30' });
    }
    const customer = this.deps.customers.identify(req.sourceAddress);
    if (!customer) {
      log.warn('INVITE from an address that is no trunk customer; refused (add it to trunkCustomers[].sources if it should be)');
      return this.reject(res, 403, 'Forbidden', 'unknown-source');
    }
    if (!/^\+?\d{1,20}$/.test(req.calledNumber)) {
      log.info({ called: req.calledNumber }, 'INVITE with a Request-URI user that is not a telephone number');
      return this.reject(res, 484, 'Address Incomplete', 'bad-number');
    }
    if (calls.activeFor(customer.id) >= customer.maxCalls) {
      log.warn({ customer: customer.id, maxCalls: customer.maxCalls }, 'trunk customer at its call limit');
      return this.reject(res, 503, 'Service Unavailable', 'customer-limit', { Reason: 'Q.850;cause=34' });
    }
    const fraud = this.deps.fraud?.check(customer.id, e164Of(req.calledNumber));
    if (fraud) {
      log.warn({ customer: customer.id, limit: fraud.limit, called: req.calledNumber }, 'call refused by a toll-fraud limit');
      return this.reject(res, fraud.sipStatus, fraud.sipStatus === 403 ? 'Forbidden' : 'Service Unavailable', `fraud-${fraud.limit}`, {
        Reason: `Q.850;cause=${fraud.cause}`,
        ...(fraud.retryAfterS ? { 'Retry-After': String(fraud.retryAfterS) } : {}),
      });
    }
    const overload = this.deps.overload;
    const refusal = overload?.admit('sip');
    if (refusal && overload) {
      // RFC 3261 §21.5.4 / RFC 3398: 503 with Retry-After, Q.850 42 (switching equipment congestion).
      return this.reject(res, 503, 'Service Unavailable', `overload-${refusal.reason}`, { 'Retry-After': String(overload.retryAfterS), Reason: 'Q.850;cause=42' });
    }
    const start = () => {
      const callId = randomUUID();
      const party: CallParty = { called: req.calledNumber, calling: callingNumber(req), callingRestricted: privacyRequested(req) };
      const leg = new SipInboundLeg({ sip: this.deps.sip, logger: log, mediaAddress: this.deps.mediaAddress }, req, res, party);
      const plan = lcrPlan(this.deps.router, this.deps.isupLegs, callId, { party, routingCustomer: customer.routingCustomer, customer: customer.id, direction: 'sip-to-isup' });
      const call = calls.start(leg, plan, callId);
      if (overload) {
      const t0 = overload.now();
      void call.responded.then(() => overload.responded(overload.now() - t0));
      void call.setupOver.then(() => overload.setupDone());
    }
    };
    const atLimit = () => {
      overload?.setupDone();
      log.warn({ customer: customer.id, maxCalls: customer.maxCalls }, 'trunk customer at its call limit');
      this.reject(res, 503, 'Service Unavailable', 'customer-limit', { Reason: 'Q.850;cause=34' });
    };
    // The last step before the call starts: the customer's slot, taken atomically across the cluster.
    const admitted = calls.admitFor(customer.id, customer.maxCalls);
    if (admitted === true) return start();
    if (admitted === false) return atLimit();
    void admitted.then((ok) => (ok ? start() : atLimit()));
  }
}

/** The caller's number: P-Asserted-Identity (trusted trunk), else From's user part; digits only. */
export function callingNumber(req: InboundRequest): string | undefined {
  const pai = req.get('P-Asserted-Identity');
  const fromPai = pai ? /sip:\+?(\d+)@|tel:\+?(\d+)/.exec(pai) : null;
  const raw = fromPai ? (fromPai[1] ?? fromPai[2]) : req.from.user.replace(/^\+/, '');
  if (!/^\d{1,20}$/.test(raw ?? '')) return undefined;
  // NANP callers given as 1+10 digits are signalled in national format.
  return raw.length === 11 && raw.startsWith('1') ? raw.slice(1) : raw;
}

/** RFC 3323 §4.2: `Privacy: id` (or `user`/`header`) asks that the caller's identity be withheld. */
export function privacyRequested(req: InboundRequest): boolean {
  const v = req.getAll('Privacy').join(';').toLowerCase();
  return /\b(id|user|header)\b/.test(v);
}

/** The called number in E.164 digits (no '+') as dialled from a NANP trunk: +CC…, 011 CC…, 1 NPA…, NPA… */
export function e164Of(called: string): string {
  if (called.startsWith('+')) return called.slice(1);
  if (called.startsWith('011')) return called.slice(3);
  if (called.length === 10) return `1${called}`;
  return called;
}
