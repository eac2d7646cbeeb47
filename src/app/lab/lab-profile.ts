/**
 * The lab profile: the switch with an ILEC tandem simulator (our M3UA SG + ISUP exchange over
 * SCTP/UDP) and, when installed, osmo-mgw as its TDM gateway, started beside it on loopback.
 * Production assembly (../softswitch.ts) imports nothing from here.
 */
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { startSoftswitch, type SoftswitchHandle, type SwitchOverrides } from '../softswitch.js';
import { startTandemSimulator, type TandemSimHandle } from './tandem-sim/server.js';
import { probeLoop } from './continuity-probe.js';
import { hasOsmoMgw, startOsmoMgw, OSMO_MGW_MISSING, type OsmoMgw } from './osmo-mgw.js';
import { labRoutes } from './routes-lab.js';

export interface LabSwitchHandle extends SoftswitchHandle {
  tandem: TandemSimHandle;
  osmoMgw?: OsmoMgw;
}

export async function startLabProfile(config: Config, logger: Logger, clock: Clock): Promise<LabSwitchHandle> {
  const started: Array<() => Promise<void> | void> = [];
  try {
    // The tandem's continuity test sends its check tone into the loop the switch puts on the circuit's gateway connection.
    let ssw: SoftswitchHandle | undefined;
    const continuityTest = async (trunkGroup: string, cic: number): Promise<boolean> => {
      const end = Date.now() + 1500;
      let loop = ssw?.continuity?.loopOf(trunkGroup, cic);
      while (!loop && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 10));
        loop = ssw?.continuity?.loopOf(trunkGroup, cic);
      }
      if (!loop?.localSdp) return !ssw?.continuity; // no gateway in this lab: nothing to test
      const r = await probeLoop(loop.localSdp);
      logger.info({ trunkGroup, cic, ...r }, 'lab tandem: continuity check tone sent into the looped circuit');
      return r.passed;
    };
    const tandem = await startTandemSimulator(config, logger, clock, { continuityTest });
    started.push(() => tandem.stop());
    let gateways = config.mgcp.gateways;
    let osmoMgw: OsmoMgw | undefined;
    if (config.lab.startOsmoMgw) {
      if (hasOsmoMgw()) {
        const mgw = await startOsmoMgw();
        osmoMgw = mgw;
        started.push(() => mgw.stop());
        gateways = gateways.map((g, i) => (i === 0 ? { ...g, address: mgw.address, port: mgw.port, domain: mgw.domain } : g));
        logger.info({ port: mgw.port }, 'lab: osmo-mgw started as the TDM gateway');
      } else {
        gateways = [];
        logger.warn(`lab: ${OSMO_MGW_MISSING}; calls run WITHOUT a media gateway (signalling only, SDP answers decline media)`);
      }
    }
    const local = config.ss7.m3ua.localAddress;
    const overrides: SwitchOverrides = {
      sgs: [{ name: 'lab-tandem', transport: 'udp', address: local, port: tandem.port, localPort: 0, localAddress: local }],
      gateways,
      apiPlugins: [(app) => labRoutes(app, { simulator: tandem.simulator })],
      cleanup: started.splice(0),
    };
    ssw = await startSoftswitch(config, logger, clock, overrides);
    return Object.assign(ssw, { tandem, osmoMgw });
  } catch (err) {
    for (const fn of started.reverse()) await fn();
    throw err;
  }
}
