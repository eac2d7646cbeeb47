/**
 * The tandem simulator as a running node: SG side of M3UA on an SCTP-over-UDP association
 * that accepts the switch's ASP, ISUP toward the switch's point code, and the simulated tandem.
 */
import { Registry } from 'prom-client';
import type { Config } from '../../../config/schema.js';
import type { Clock } from '../../../util/clock.js';
import { systemClock } from '../../../util/clock.js';
import type { Logger } from '../../../util/log.js';
import { CircuitGroup } from '../../../ss7/isup/circuits.js';
import { IsupService } from '../../../ss7/isup/service.js';
import { M3uaSg } from '../../../ss7/m3ua/sg.js';
import { pointCodeOf } from '../../../ss7/mtp3/point-code.js';
import { acceptSctpOverUdp } from '../../../ss7/sctp/udp-transport.js';
import type { SctpTransportAssociation } from '../../../ss7/sctp/package-association.js';
import { SgTransferLink } from '../../../ss7/links/sg-link.js';
import { TandemSimulator } from './simulator.js';
import { TandemRules } from './rules.js';

export interface TandemSimHandle {
  /** UDP port the simulated SG listens on (SCTP over UDP). */
  port: number;
  pointCode: number;
  simulator: TandemSimulator;
  sg: M3uaSg;
  isup: IsupService;
  /** The SCTP association the switch's ASP connects to. */
  association: SctpTransportAssociation;
  /** The simulator's own metrics (its SCTP, M3UA SG and ISUP counts), apart from the switch's /metrics. */
  registry: Registry;
  stop(): Promise<void>;
}


/** The far end's view of an agreed glare control: what the switch controls, the tandem does not. */
function mirrorGlare(g: 'even' | 'odd' | 'all' | 'none' | undefined): 'even' | 'odd' | 'all' | 'none' | undefined {
  return g === undefined ? undefined : ({ even: 'odd', odd: 'even', all: 'none', none: 'all' } as const)[g];
}

/**
 * Starts the simulator for the switch described by `config`: the tandem's circuits mirror the
 * switch's trunk groups whose DPC is the tandem's point code.
 */
export interface TandemSimOptions {
  /**
   * The tandem's side of a continuity check it asked for (IAM with continuity check, CCR): send
   * the check tone over the circuit and resolve whether it came back. Absent: checks pass.
   */
  continuityTest?: (trunkGroup: string, cic: number) => Promise<boolean>;
}

export async function startTandemSimulator(config: Config, logger: Logger, clock: Clock = systemClock, opts: TandemSimOptions = {}): Promise<TandemSimHandle> {
  const sim = config.lab.tandemSim;
  const variant = config.ss7.variant;
  const tandemPc = pointCodeOf(sim.pointCode, variant, 'lab.tandemSim.pointCode');
  const switchPc = pointCodeOf(config.ss7.localPointCode, variant, 'ss7.localPointCode');
  const log = logger.child({ component: 'tandem-sim' });
  const registry = new Registry();
  // Configuration errors (point codes, rules) surface before any socket is open.
  new TandemRules(sim);
  const trunkGroups = config.trunkGroups
    .filter((tg) => pointCodeOf(tg.dpc, tg.variant, `trunkGroups.${tg.id}.dpc`) === tandemPc)
    .map((tg) => ({
      id: tg.id,
      variant: tg.variant,
      farPointCode: switchPc,
      circuits: new CircuitGroup({ id: tg.id, firstCic: tg.cics.first, count: tg.cics.count, ownPointCode: tandemPc, farPointCode: switchPc, variant: tg.variant, glareControl: mirrorGlare(tg.glareControl) }),
    }));

  const assoc: SctpTransportAssociation = await acceptSctpOverUdp({
    localAddress: config.ss7.m3ua.localAddress,
    localPort: sim.port,
    remoteAddress: config.ss7.m3ua.localAddress,
    remotePort: 0,
    logger: log,
    clock,
    registry,
  });
  const rc = config.ss7.m3ua.routingContext;
  const sg = new M3uaSg({ ases: [{ routingContext: rc, pointCodes: [switchPc] }], clock, logger: log, registry });
  sg.addAssociation(assoc);
  const link = new SgTransferLink(sg, rc);

  const continuityTest = opts.continuityTest;
  const isup = new IsupService({
    link,
    ownPointCode: tandemPc,
    networkIndicator: config.ss7.networkIndicator,
    trunkGroups,
    logger: log,
    clock,
    registry,
    // The tandem only tests (the switch never asks it for a loop).
    continuity: continuityTest && ((tg, cic, role) => (role === 'test' ? continuityTest(tg.id, cic) : Promise.resolve(true))),
  });
  const simulator = new TandemSimulator(isup, sim, clock, log);
  log.info({ port: assoc.localPort, pointCode: sim.pointCode, trunkGroups: trunkGroups.map((t) => t.id) }, 'tandem simulator listening (M3UA SG over SCTP/UDP)');

  return {
    port: assoc.localPort,
    pointCode: tandemPc,
    simulator,
    sg,
    isup,
    association: assoc,
    registry,
    async stop() {
      simulator.close();
      isup.close();
      link.close();
      await assoc.close();
    },
  };
}
