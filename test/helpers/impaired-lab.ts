/**
 * The lab assembled by hand for fault tests: the tandem simulator (M3UA SG + ISUP exchange),
 * an impairment relay on the SCTP/UDP path between it and the switch, and the switch itself
 * (production assembly, pointed at the relay). The tandem can be stopped and started again on
 * the same port (an SG restart) while the switch runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { startSoftswitch, type SoftswitchHandle } from '../../src/app/softswitch.js';
import { startTandemSimulator, type TandemSimHandle } from '../../src/app/lab/tandem-sim/server.js';
import { createLogger } from '../../src/util/log.js';
import { UdpImpairmentRelay } from './impairment-relay.js';
import { waitAspActive } from './lab-switch.js';

export interface ImpairedLab {
  config: Config;
  ssw: SoftswitchHandle;
  /** The current tandem (replaced by {@link restartTandem}). */
  tandem(): TandemSimHandle;
  /** Between the switch's ASP (side A) and the tandem's SG (target). */
  ss7Relay: UdpImpairmentRelay;
  /** Stops the tandem (its association goes away), waits `downMs`, starts a fresh one on the same port. */
  restartTandem(downMs?: number): Promise<TandemSimHandle>;
  /** Circuits not idle, per side, from the switch's admin API and the tandem's own table. */
  busyCircuits(): Promise<{ switch: number; tandem: number }>;
  stop(): Promise<void>;
}

export async function startImpairedLab(overrides: Record<string, unknown> = {}, seed = 1, level = 'silent'): Promise<ImpairedLab> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ssw-faults-'));
  const lab = (overrides.lab ?? {}) as Record<string, unknown>;
  const config = validateConfig({
    dataDir,
    logLevel: level,
    api: { port: 0 },
    sip: { port: 0 },
    mgcp: { localPort: 0, gateways: [] },
    shutdown: { drainMs: 3000 },
    ...overrides,
    lab: { startOsmoMgw: false, ...lab, tandemSim: { port: 0, alertDelayMs: 20, answerDelayMs: 50, ...((lab.tandemSim ?? {}) as object) } },
  });
  const logger = createLogger(level);
  let tandem = await startTandemSimulator(config, logger);
  const tandemPort = tandem.port;
  const ss7Relay = await UdpImpairmentRelay.start({ target: { address: '127.0.0.1', port: tandemPort }, seed });
  let ssw: SoftswitchHandle;
  try {
    ssw = await startSoftswitch(config, logger, undefined, {
      sgs: [{ name: 'lab-tandem', transport: 'udp', address: '127.0.0.1', port: ss7Relay.portA, sctpPort: tandemPort, localPort: 0, localAddress: '127.0.0.1' }],
      gateways: [],
    });
  } catch (err) {
    await ss7Relay.close();
    await tandem.stop();
    throw err;
  }
  await waitAspActive(ssw);
  const busy = (counts: Array<{ total: number; idle: number }>) => counts.reduce((n, c) => n + (c.total - c.idle), 0);
  return {
    config,
    ssw,
    tandem: () => tandem,
    ss7Relay,
    async restartTandem(downMs = 500) {
      await tandem.stop();
      await new Promise((r) => setTimeout(r, downMs));
      tandem = await startTandemSimulator({ ...config, lab: { ...config.lab, tandemSim: { ...config.lab.tandemSim, port: tandemPort } } }, logger);
      return tandem;
    },
    async busyCircuits() {
      const res = await ssw.api.inject({ url: '/api/v1/isup/trunk-groups' });
      return { switch: busy(res.json()), tandem: busy(tandem.isup.trunkGroups.map((tg) => tg.circuits.counts())) };
    },
    async stop() {
      await ssw.stop();
      await ss7Relay.close();
      await tandem.stop();
    },
  };
}
