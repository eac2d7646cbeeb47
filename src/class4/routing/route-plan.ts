/**
 * What call handling needs from routing: the routed number, the ordered candidates, and whether
 * a failure cause advances to the next candidate. The LCR engine's decisions adapt to this.
 */
export interface RouteCandidate {
  carrier: string;
  trunkGroup: string;
  rate?: number;
  prefix?: string;
  /** Version of the carrier's rate deck that gave the rate. */
  deck?: string;
}

export interface RoutePlan {
  /** Digits to signal as the called number (national format for NANP trunk groups). */
  called: string;
  /** Nature of address of `called` (Q.763 §3.9 b): 3 national, 4 international). */
  calledNai: number;
  /** LRN when the number is ported (LNP dip). */
  lrn?: string;
  jurisdiction?: string;
  /** Why the number cannot be routed because it is malformed (cause 28, SIP 484), if so. */
  invalid?: string;
  /** Why the call must not be routed (blocked destination, tenant policy), if so. */
  blocked?: string;
  candidates: RouteCandidate[];
  /** Routes exist but every one is unusable now (no idle circuit, destination down): cause 34, not 3. */
  congested: boolean;
  /** True when a call failing with this Q.850 cause should try the next candidate. */
  advanceOn(cause: number): boolean;
}

export interface CallRouter {
  plan(q: { called: string; calling?: string; customer?: string; at?: Date }): RoutePlan;
}
