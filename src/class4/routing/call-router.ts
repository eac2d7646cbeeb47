import type { RoutingEngine } from './engine.js';
import type { CallRouter, RoutePlan } from './route-plan.js';

/** Nature of address indicator values used for the called number (Q.763 §3.9 b)). */
const NAI_NATIONAL = 3;
const NAI_INTERNATIONAL = 4;

/**
 * Call handling's view of the LCR engine: a NANP number goes out in national format
 * (10 digits, as US tandems expect), anything else as an international E.164 number.
 */
export class LcrCallRouter implements CallRouter {
  constructor(private readonly engine: RoutingEngine) {}

  plan(q: { called: string; calling?: string; customer?: string; at?: Date }): RoutePlan {
    const d = this.engine.lookup(q);
    const e164 = d.normalizedCalled;
    const nanp = e164.length === 11 && e164.startsWith('1');
    return {
      called: nanp ? e164.slice(1) : e164 || q.called,
      calledNai: nanp ? NAI_NATIONAL : NAI_INTERNATIONAL,
      lrn: d.lrn,
      jurisdiction: d.jurisdiction,
      invalid: e164 === '' ? (d.blocked ?? 'number cannot be normalised') : undefined,
      blocked: e164 === '' ? undefined : d.blocked,
      candidates: d.candidates.map((c) => ({ carrier: c.carrier, trunkGroup: c.trunkGroup, rate: c.rate, prefix: c.prefix, deck: this.engine.deckVersion(c.carrier) })),
      congested: d.candidates.length === 0 && d.skipped.some((k) => k.code === 'unavailable'),
      advanceOn: (cause) => this.engine.advancesOn(cause),
    };
  }
}
