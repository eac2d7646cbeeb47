/**
 * Least-cost routing as the call engine sees it: the LCR decision for a called number becomes
 * a plan of ISUP destinations (one per candidate trunk group, best first) with the routing
 * table's advance causes, or a refusal with the Q.850 cause that explains it.
 */
import type { CallPlan, Destination, PlanCdrFields } from '../../calls/plan.js';
import type { CallParty, LegFailure } from '../../calls/legs/leg.js';
import type { IsupLegDeps } from '../../calls/legs/isup-deps.js';
import { IsupOutgoingLeg } from '../../calls/legs/isup-outgoing-leg.js';
import type { CallRouter } from '../routing/route-plan.js';

const CAUSE_NO_ROUTE = 3;
const CAUSE_CALL_REJECTED = 21;
const CAUSE_INVALID_NUMBER_FORMAT = 28;
const CAUSE_NO_CIRCUIT = 34;

export interface LcrPlanRequest {
  party: CallParty;
  /** Routing customer (route table, normalisation). */
  routingCustomer?: string;
  /** Trunk customer for the CDR. */
  customer?: string;
  direction: 'sip-to-isup' | 'isup-to-isup' | 'line-to-isup';
  /** Trunk groups the call must not go out on (the one a transit call came in on). */
  exclude?: string;
}

export function lcrPlan(router: CallRouter, isupLegs: IsupLegDeps, callRef: string, req: LcrPlanRequest): CallPlan {
  const { party } = req;
  const plan = router.plan({ called: party.called, calling: party.calling, customer: req.routingCustomer });
  const cdr: PlanCdrFields = { customer: req.customer, routedNumber: plan.called, lrn: plan.lrn, jurisdiction: plan.jurisdiction };
  const refuse = (cause: number, why: string): CallPlan => ({ refuse: { cause, why }, destinations: [], advanceOn: () => false, direction: req.direction, cdr });
  if (plan.invalid) return refuse(CAUSE_INVALID_NUMBER_FORMAT, `called number invalid: ${plan.invalid}`);
  if (plan.blocked) return refuse(CAUSE_CALL_REJECTED, `destination blocked: ${plan.blocked}`);
  const candidates = plan.candidates.filter((c) => c.trunkGroup !== req.exclude);
  if (candidates.length === 0) {
    return plan.congested ? refuse(CAUSE_NO_CIRCUIT, 'every route to the called number is busy or unavailable') : refuse(CAUSE_NO_ROUTE, 'no route for the called number');
  }
  const destinations: Destination[] = candidates.map((c) => ({
    label: `${c.carrier}/${c.trunkGroup}`,
    carrier: c.carrier,
    trunkGroup: c.trunkGroup,
    rate: c.rate,
    deck: c.deck,
    leg: () =>
      new IsupOutgoingLeg(
        isupLegs,
        c.trunkGroup,
        {
          called: plan.called,
          calledNai: plan.calledNai,
          calling: party.calling,
          callingNai: party.callingNai,
          callingRestricted: party.callingRestricted,
          callingPartyCategory: party.callingCategory,
          jurisdiction: party.jip,
          lrn: plan.lrn,
        },
        callRef,
      ),
  }));
  return { destinations, advanceOn: (f: LegFailure) => plan.advanceOn(f.cause), direction: req.direction, cdr };
}
