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
import { TrafficMode } from '../../../ss7/m3ua/constants.js';
import { cicMask } from '../../../ss7/isup/codec.js';
import { checkPartition, cicOwners, cicsOf } from '../../../cluster/cic-ranges.js';
import { SoftswitchError } from '../../../errors.js';

export interface TandemSimHandle {
  /** UDP port the simulated SG listens on (SCTP over UDP). */
  port: number;
  pointCode: number;
  simulator: TandemSimulator;
  sg: M3uaSg;
  isup: IsupService;
  /** The SCTP association the switch's ASP connects to (the first node's, in a cluster). */
  association: SctpTransportAssociation;
  /** The simulator's own metrics (its SCTP, M3UA SG and ISUP counts), apart from the switch's /metrics. */
  registry: Registry;
  /** One per switch node of a cluster (lab.tandemSim.asps): its ASP's port and SG-side id. */
  nodes: Array<{ node: string; port: number; aspId: string }>;
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

  const accept = (port: number) =>
    acceptSctpOverUdp({ localAddress: config.ss7.m3ua.localAddress, localPort: port, remoteAddress: config.ss7.m3ua.localAddress, remotePort: 0, logger: log, clock, registry });
  const rc = config.ss7.m3ua.routingContext;
  const clustered = sim.asps.length > 0;
  const owners = cicOwners(config.cluster.nodes);
  const nodeOfAsp = new Map<string, string>();
  const variantOf = trunkGroups[0]?.variant ?? variant;
  const sg = new M3uaSg({
    ases: [{ routingContext: rc, pointCodes: [switchPc], trafficMode: clustered ? TrafficMode.LOADSHARE : undefined }],
    clock,
    logger: log,
    registry,
    aspSilenceMs: sim.aspSilenceMs,
    // A node's circuits are worked by that node only: the CIC (first octets of the ISUP message) picks the ASP.
    selectAsp: clustered
      ? (pd, active) => {
          if (pd.data.length < 2) return undefined;
          const owner = owners.get((pd.data[0] | (pd.data[1] << 8)) & cicMask(variantOf));
          return active.find((id) => nodeOfAsp.get(id) === owner);
        }
      : undefined,
  });
  const nodes: TandemSimHandle['nodes'] = [];
  const assocs: SctpTransportAssociation[] = [];
  let stopping = false;
  /** Accepts (again) the association of a node's ASP on its port. */
  const acceptNode = async (node: string, port: number, at?: number) => {
    const assoc = await accept(port);
    const aspId = sg.addAssociation(assoc);
    nodeOfAsp.set(aspId, node);
    const entry = { node, port: assoc.localPort, aspId };
    if (at === undefined) {
      assocs.push(assoc);
      nodes.push(entry);
    } else {
      assocs[at] = assoc;
      nodes[at] = entry;
    }
  };
  if (clustered) {
    checkPartition(config.trunkGroups, config.cluster.nodes);
    for (const a of sim.asps) {
      if (!config.cluster.nodes.some((n) => n.name === a.node)) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `lab.tandemSim.asps: node "${a.node}" is not in cluster.nodes`);
      await acceptNode(a.node, a.port);
    }
  } else {
    const assoc = await accept(sim.port);
    assocs.push(assoc);
    sg.addAssociation(assoc);
  }
  const assoc = assocs[0];
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
  // A node's ASP went down (association failed, or silent past aspSilenceMs): its calls are gone
  // with it; only its circuits are cleared here, the other nodes' calls go on.
  sg.on('asp-state', (aspId: string, state: string) => {
    const node = nodeOfAsp.get(aspId);
    if (!node || state !== 'ASP_DOWN') return;
    let cleared = 0;
    for (const [tgId, cics] of cicsOf(config.cluster.nodes, node)) cleared += isup.clearCircuits(tgId, cics);
    log.warn({ node, asp: aspId, calls: cleared }, 'switch node ASP down: its circuits cleared (it resets them with GRS when it is back)');
    // node-sctp ignores a new INIT on an association it believes live: the dead node's association
    // is dropped and its port listens afresh for the node's return.
    const at = nodes.findIndex((n) => n.aspId === aspId);
    if (at < 0) return;
    const { port } = nodes[at];
    sg.removeAssociation(aspId);
    nodeOfAsp.delete(aspId);
    const old = assocs[at];
    old.abort('switch node down');
    void (async () => {
      for (let i = 0; i < 50 && !stopping; i++) {
        try {
          await old.close().catch(() => undefined);
          await acceptNode(node, port, at);
          log.info({ node, port }, 'listening again for the switch node\'s ASP');
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      if (!stopping) log.error({ node, port }, 'cannot listen again for the switch node\'s ASP (port taken?); restart the tandem simulator');
    })();
  });
  log.info({ port: assoc.localPort, nodes, pointCode: sim.pointCode, trunkGroups: trunkGroups.map((t) => t.id) }, 'tandem simulator listening (M3UA SG over SCTP/UDP)');

  return {
    port: assoc.localPort,
    pointCode: tandemPc,
    simulator,
    sg,
    isup,
    association: assoc,
    registry,
    nodes,
    async stop() {
      stopping = true;
      simulator.close();
      isup.close();
      link.close();
      sg.close();
      for (const a of assocs) await a.close();
    },
  };
}
