/**
 * Calls arriving from the PSTN as IAMs: the circuit is seized for the call, and the called
 * number decides: one of our DIDs (a ported-in number arrives as our LRN with the dialled
 * number in GAP, T1.113.3 §3.24a) goes to its customer's SIP targets; on a transit trunk group
 * any other number is routed on by the LCR (ISUP→ISUP); anything else is refused with cause 1,
 * unallocated number (Q.850 §2.2.7).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../util/log.js';
import type { IsupService, IsupTrunkGroup } from '../../ss7/isup/service.js';
import type { IamMessage } from '../../ss7/isup/messages.js';
import { buildRel } from '../../ss7/isup/builders.js';
import type { CallManager } from '../../calls/manager.js';
import type { CallPlan } from '../../calls/plan.js';
import type { CallParty } from '../../calls/legs/leg.js';
import type { IsupLegDeps } from '../../calls/legs/isup-deps.js';
import { IsupIncomingLeg } from '../../calls/legs/isup-incoming-leg.js';
import type { DidTable } from '../trunks/dids.js';
import type { CallRouter } from '../routing/route-plan.js';
import type { TrunkCustomer } from '../trunks/trunk-customers.js';
import { didPlan, type DidDeliveryDeps } from './did-delivery.js';
import { lcrPlan } from './lcr-destinations.js';
import type { OverloadGuard } from '../admission/overload.js';

const CAUSE_UNALLOCATED = 1;
const CAUSE_TEMPORARY_FAILURE = 41;
const CAUSE_USER_BUSY = 17;
const CAUSE_CONGESTION = 42;

export interface PstnIntakeDeps {
  /** DIDs of Class 5 extensions (src/class5), asked after the trunk customers' DIDs. */
  extensionDid?: (dialled: string, party: CallParty) => CallPlan | undefined;
  isup: IsupService;
  calls: CallManager;
  dids: DidTable;
  isupLegs: IsupLegDeps;
  delivery: DidDeliveryDeps;
  router: CallRouter;
  /** Trunk groups with the tandem function (transit) enabled. */
  transit: (trunkGroup: string) => boolean;
  customer: (id: string) => TrunkCustomer | undefined;
  logger: Logger;
  overload?: OverloadGuard;
}

export class PstnIntake {
  private readonly onIam = (tg: IsupTrunkGroup, iam: IamMessage) => this.take(tg, iam);

  constructor(private readonly deps: PstnIntakeDeps) {}

  listen(): void {
    this.deps.isup.on('incoming-iam', this.onIam);
  }

  close(): void {
    this.deps.isup.off('incoming-iam', this.onIam);
  }

  private take(tg: IsupTrunkGroup, iam: IamMessage): void {
    const { isup, calls } = this.deps;
    const callId = randomUUID();
    if (!tg.circuits.seizeIncoming(iam.cic, callId)) {
      // Blocked locally (Q.764 §2.8.2.3) or still held by a call being cleared: the call is not accepted on it.
      const c = tg.circuits.get(iam.cic);
      this.deps.logger.warn(
        { tg: tg.id, cic: iam.cic, localBlocked: c?.localBlocked, call: c?.call },
        'IAM on a circuit we have blocked or still hold; refused with REL 41 (check `softswitch circuits show` for this CIC; the far end may be out of step: reset it)',
      );
      isup.send(tg.id, buildRel(iam.cic, CAUSE_TEMPORARY_FAILURE));
      return;
    }
    const leg = new IsupIncomingLeg(this.deps.isupLegs, tg, iam, callId);
    const overload = this.deps.overload;
    const refusal = overload?.admit('isup');
    if (refusal) {
      // Q.764 §2.11.1: refused for our own congestion: cause 42 with the automatic congestion level.
      const plan: CallPlan = {
        refuse: { cause: CAUSE_CONGESTION, congestionLevel: refusal.level, why: `switch overloaded (${refusal.reason})` },
        destinations: [],
        advanceOn: () => false,
        direction: 'isup-to-sip',
        cdr: {},
      };
      calls.start(leg, plan, callId);
      return;
    }
    const call = calls.start(leg, this.plan(tg, leg.party, callId), callId);
    if (overload) {
      const t0 = overload.now();
      void call.responded.then(() => overload.responded(overload.now() - t0));
      void call.setupOver.then(() => overload.setupDone());
    }
  }

  private plan(tg: IsupTrunkGroup, party: IsupIncomingLeg['party'], callId: string): CallPlan {
    const refuse = (cause: number, why: string, customer?: string): CallPlan => ({
      refuse: { cause, why },
      destinations: [],
      advanceOn: () => false,
      direction: 'isup-to-sip',
      cdr: { customer },
    });
    if (this.deps.calls.isDraining) return refuse(CAUSE_TEMPORARY_FAILURE, 'switch is shutting down');
    const dialled = party.portedDialled ?? party.called;
    const did = this.deps.dids.lookup(dialled);
    if (did) {
      const customer = this.deps.customer(did.customer);
      if (customer && this.deps.calls.activeFor(customer.id) >= customer.maxCalls) {
        return refuse(CAUSE_USER_BUSY, `trunk customer ${customer.id} at its call limit (${customer.maxCalls})`, customer.id);
      }
      return didPlan(this.deps.delivery, did, party, dialled);
    }
    const extension = this.deps.extensionDid?.(dialled, party);
    if (extension) return extension;
    if (this.deps.transit(tg.id)) {
      return lcrPlan(this.deps.router, this.deps.isupLegs, callId, { party: { ...party, called: dialled }, direction: 'isup-to-isup', exclude: tg.id });
    }
    return refuse(CAUSE_UNALLOCATED, `called number ${dialled} is not a DID of any trunk customer`);
  }
}
