import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { BearerPort } from '../../mgcp/bearer-port.js';
import type { CircuitHandler, IsupService } from '../../ss7/isup/service.js';
import { tapKey } from '../../util/message-tap.js';
import type { TrailLinks } from '../call-trail.js';
import type { IsupTimerValues } from '../../ss7/isup/call-fsm.js';
import type { Variant } from '../../ss7/variant.js';

/** What an ISUP leg needs to know of its trunk group beyond the ISUP service's view. */
export interface TrunkGroupMedia {
  variant: Variant;
  /** Gateway endpoint carrying a circuit, or undefined when the trunk group has no gateway. */
  endpointFor(cic: number): string | undefined;
  /** Whether the next IAM asks for a continuity check of its circuit (Q.764 §2.1.8). */
  continuityCheck?(): boolean;
}

/** Shared by every ISUP leg of a switch. */
export interface IsupLegDeps {
  isup: IsupService;
  /** Absent when no media gateway is configured (lab without osmo-mgw). */
  bearer?: BearerPort;
  trunkGroup(id: string): TrunkGroupMedia | undefined;
  /** Whether a trunk group can take a new outgoing call now (SS7 destination, idle circuit, gateway). */
  usable(trunkGroup: string): boolean;
  clock: Clock;
  logger: Logger;
  /** Address for SDP the switch writes itself (media declined when no gateway takes part). */
  mediaAddress: string;
  /** Timer values per variant; defaults from the ISUP layer when absent. */
  timers?: (variant: Variant) => IsupTimerValues;
  /** Where a leg claims its circuit's messages for its call while it holds the circuit. */
  trail?: TrailLinks;
}

/**
 * Takes the circuit's received messages (IsupService.attach) and, with a trail, claims the
 * circuit's messages for the call `callRef`; the returned function lets go of both.
 */
export function attachCircuit(deps: IsupLegDeps, tgId: string, cic: number, callRef: string, handler: CircuitHandler): () => void {
  const detach = deps.isup.attach(tgId, cic, handler);
  const trail = deps.trail;
  if (!trail) return detach;
  const key = tapKey.circuit(tgId, cic);
  trail.link(key, callRef);
  return () => {
    detach();
    trail.unlink(key, callRef);
  };
}
