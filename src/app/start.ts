/**
 * Starts the switch in the profile its configuration names: the lab profile (tandem simulator
 * and osmo-mgw beside the switch) when `lab.enabled`, else the production assembly alone.
 */
import type { Config } from '../config/schema.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { startSoftswitch, type SoftswitchHandle } from './softswitch.js';
import type { LabSwitchHandle } from './lab/lab-profile.js';

export type RunningSwitch = SoftswitchHandle & Partial<Pick<LabSwitchHandle, 'tandem' | 'osmoMgw'>>;

export async function startSwitch(config: Config, logger: Logger, clock: Clock = systemClock): Promise<RunningSwitch> {
  if (!config.lab.enabled) return startSoftswitch(config, logger, clock);
  // Loaded only for the lab: a production process never has the simulator in memory.
  const { startLabProfile } = await import('./lab/lab-profile.js');
  return startLabProfile(config, logger, clock);
}
