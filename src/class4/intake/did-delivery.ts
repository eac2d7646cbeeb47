/**
 * Incoming PSTN calls to a trunk customer's DID: the customer's SIP targets, healthy ones in the
 * configured order (or shuffled by weight), each a SIP leg with the caller's identity carried
 * over (RFC 3325/3323, RFC 8496); a target that does not answer at all, or answers 408/5xx, is
 * failed over; when all are down the call gets the customer's configured cause (34 or 20).
 */
import { isIP } from 'node:net';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { SignallingPort } from '../../sip/port.js';
import type { CallPlan, Destination } from '../../calls/plan.js';
import type { CallParty, LegFailure } from '../../calls/legs/leg.js';
import { SipOutboundLeg } from '../../calls/legs/sip-outbound-leg.js';
import { calledForDelivery, sipIdentityFor } from '../../calls/interworking/isup-to-sip.js';
import type { DidTargetConfig } from '../trunks/config.js';
import { nationalNumber, type DidEntry } from '../trunks/dids.js';
import type { TargetHealth } from '../trunks/target-health.js';

export interface DidDeliveryDeps {
  sip: SignallingPort;
  clock: Clock;
  logger: Logger;
  health: TargetHealth;
  /** Host the switch puts in identities it asserts (its SIP address). */
  localHost: string;
  noResponseMs: number;
  answerTimeoutMs: number;
  /** Weighted selection's random source (tests fix it). */
  random?: () => number;
}

/**
 * The Request-URI host part of a target (also its health key). An address gets port 5060 and UDP
 * unless it says otherwise; a DNS name without port or transport is left to RFC 3263 server
 * location (NAPTR → SRV → A, with failover between the servers found).
 */
export function targetHostPart(t: DidTargetConfig): string {
  const host = isIP(t.host) === 6 ? `[${t.host}]` : t.host;
  if (isIP(t.host) || t.port !== undefined) return `${host}:${t.port ?? 5060};transport=${t.transport ?? 'udp'}`;
  return t.transport ? `${host};transport=${t.transport}` : host;
}

/** The health key (and OPTIONS probe URI) of a target. */
export function targetKey(t: DidTargetConfig): string {
  return `sip:${targetHostPart(t)}`;
}

/** Targets in the order to try: as configured, or a weighted random order (weights as shares). */
export function orderTargets(targets: DidTargetConfig[], selection: 'ordered' | 'weighted', random: () => number = Math.random): DidTargetConfig[] {
  if (selection === 'ordered') return targets;
  const pool = [...targets];
  const out: DidTargetConfig[] = [];
  while (pool.length) {
    const total = pool.reduce((s, t) => s + t.weight, 0);
    let x = random() * total;
    let i = 0;
    for (; i < pool.length - 1; i++) {
      x -= pool[i].weight;
      if (x < 0) break;
    }
    out.push(pool.splice(i, 1)[0]);
  }
  return out;
}

/** A failure that says nothing about the called party, only about the target: try the next one. */
function targetTrouble(f: LegFailure): boolean {
  return !!f.unreachable || f.sipStatus === 408 || (f.sipStatus !== undefined && f.sipStatus >= 500 && f.sipStatus < 600);
}

export function didPlan(deps: DidDeliveryDeps, did: DidEntry, party: CallParty, dialled: string): CallPlan {
  const cdr = { customer: did.customer, routedNumber: nationalNumber(dialled) };
  const ordered = orderTargets(did.did.targets, did.did.selection, deps.random);
  const healthy = ordered.filter((t) => deps.health.isUp(targetKey(t)));
  if (healthy.length === 0) {
    return { refuse: { cause: did.unreachableCause, why: `every SIP target of ${did.customer} is down` }, destinations: [], advanceOn: () => false, direction: 'isup-to-sip', cdr };
  }
  const identity = sipIdentityFor(party, deps.localHost);
  const user = calledForDelivery(nationalNumber(dialled), did.did.deliverAs);
  const destinations: Destination[] = healthy.map((t) => {
    const uri = `sip:${user}@${targetHostPart(t)}${did.did.deliverAs === 'e164' ? ';user=phone' : ''}`;
    return {
      label: targetKey(t),
      leg: () =>
        new SipOutboundLeg(
          { sip: deps.sip, clock: deps.clock, logger: deps.logger },
          { uri, from: identity.from, to: uri, headers: identity.headers, noResponseMs: deps.noResponseMs, answerTimeoutMs: deps.answerTimeoutMs },
        ),
    };
  });
  return {
    destinations,
    direction: 'isup-to-sip',
    cdr,
    advanceOn: targetTrouble,
    exhausted: (last) => (targetTrouble(last) ? { cause: did.unreachableCause } : last),
    observe: (d, f) => {
      if (f.unreachable) deps.health.reportUnreachable(d.label);
    },
  };
}
