/**
 * What else follows the set of trunk customers in service when provisioning changes it: each
 * customer's toll-fraud limits (a removed customer's dropped) and the DID targets probed.
 */
import type { FraudGuard } from '../admission/fraud.js';
import type { TargetHealth } from './target-health.js';
import type { TrunkCustomerConfig } from './config.js';
import { targetKey } from '../intake/did-delivery.js';

/** The SIP URIs of every DID target of these customers, once each. */
export function didTargetUris(all: readonly TrunkCustomerConfig[]): string[] {
  return [...new Set(all.flatMap((c) => c.dids.flatMap((d) => d.targets.map(targetKey))))];
}

/** A publish hook (TrunkProvisioning `onPublish`) that keeps the guard's limits and the probed targets in step; `initial`: the customers the guard was made with. */
export function followTrunkCustomers(fraud: Pick<FraudGuard, 'setLimits'>, health: Pick<TargetHealth, 'setTargets'>, initial: readonly TrunkCustomerConfig[]): (all: readonly TrunkCustomerConfig[]) => void {
  let ids = new Set(initial.map((c) => c.id));
  return (all) => {
    const now = new Set(all.map((c) => c.id));
    for (const id of ids) if (!now.has(id)) fraud.setLimits(id, undefined);
    for (const c of all) fraud.setLimits(c.id, c.limits);
    ids = now;
    health.setTargets(didTargetUris(all));
  };
}
