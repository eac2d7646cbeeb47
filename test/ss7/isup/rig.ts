/**
 * Two ISUP nodes over a real M3UA association on loopback: the switch (M3UA ASP,
 * AspTransferLink, SCTP over UDP connecting) and a "tandem" (M3UA SG, SgTransferLink, SCTP over
 * UDP accepting), each an IsupService with a TestCallAgent, on the system clock with short timers.
 * Every MSU each side receives is decoded and recorded (the wire as the other side sent it); a
 * filter per direction can drop messages before the receiving service sees them (a far end
 * that does not answer).
 */
import { EventEmitter } from 'node:events';
import { systemClock } from '../../../src/util/clock.js';
import { CircuitGroup, type CircuitGroupOptions } from '../../../src/ss7/isup/circuits.js';
import { decodeIsup } from '../../../src/ss7/isup/codec.js';
import type { IsupTimerValues } from '../../../src/ss7/isup/call-fsm.js';
import { isIsupError, type IsupMessage } from '../../../src/ss7/isup/messages.js';
import { IsupService, type IsupServiceOptions, type IsupTrunkGroup } from '../../../src/ss7/isup/service.js';
import { AspTransferLink } from '../../../src/ss7/links/asp-link.js';
import { SgTransferLink } from '../../../src/ss7/links/sg-link.js';
import { M3uaSg } from '../../../src/ss7/m3ua/sg.js';
import type { MtpTransferData, MtpTransferLink } from '../../../src/ss7/mtp3/transfer.js';
import { acceptSctpOverUdp, connectSctpOverUdp } from '../../../src/ss7/sctp/udp-transport.js';
import type { SctpTransportAssociation } from '../../../src/ss7/sctp/package-association.js';
import type { Variant } from '../../../src/ss7/variant.js';
import { TestCallAgent } from './agent.js';

/** Short timers (ms) so every supervision can be seen expiring on the wire within seconds. */
export const RIG_TIMERS: Partial<IsupTimerValues> = {
  T1: 300,
  T5: 1500,
  T7: 1000,
  T9: 1200,
  T2: 600,
  T6: 600,
  T8: 600,
  T12: 300,
  T13: 2000,
  T14: 300,
  T15: 2000,
  T16: 300,
  T17: 2000,
  T18: 300,
  T19: 2000,
  T20: 300,
  T21: 2000,
  T22: 300,
  T23: 2000,
  alertAfter: 1000,
  T24: 300,
  T25: 300,
  T26: 1000,
  T27: 1200,
  T28: 500,
  T29: 100,
  T30: 500,
  T33: 600,
};

/** The MTP-TRANSFER link a service sees: the real one, with every received MSU recorded and filterable. */
class TapLink extends EventEmitter implements MtpTransferLink {
  readonly received: IsupMessage[] = [];
  drop: (m: IsupMessage) => boolean = () => false;
  private readonly onTransfer = (pd: MtpTransferData) => {
    const m = decodeIsup(pd.data, this.variant);
    if (!isIsupError(m)) {
      this.received.push(m);
      if (this.drop(m)) return;
    }
    this.emit('transfer', pd);
  };
  constructor(
    private readonly inner: MtpTransferLink,
    private readonly variant: Variant,
  ) {
    super();
    inner.on('transfer', this.onTransfer);
  }
  sendTransfer(pd: MtpTransferData): boolean {
    return this.inner.sendTransfer(pd);
  }
  canReach(pc: number): boolean {
    return this.inner.canReach(pc);
  }
  close(): void {
    this.inner.off('transfer', this.onTransfer);
  }
}

export interface RigNode {
  isup: IsupService;
  agent: TestCallAgent;
  tg: IsupTrunkGroup;
  /** What this node received (sent by the other node). */
  rx: IsupMessage[];
  tap: TapLink;
}

export interface Rig {
  variant: Variant;
  sw: RigNode;
  td: RigNode;
  stop(): Promise<void>;
  /** Forgets recorded traffic (between tests). */
  clearWire(): void;
}

export interface RigOptions {
  variant: Variant;
  switchPc: number;
  tandemPc: number;
  /** CICs: the switch may have more than the tandem (unequipped CIC tests). */
  switchCics?: { first: number; count: number };
  tandemCics?: { first: number; count: number };
  timers?: Partial<IsupTimerValues>;
  switchGroup?: Partial<CircuitGroupOptions>;
  tandemGroup?: Partial<CircuitGroupOptions>;
  switchService?: Partial<IsupServiceOptions>;
  tandemService?: Partial<IsupServiceOptions>;
}

export const until = async (cond: () => boolean, ms = 8000, what = 'condition'): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startRig(o: RigOptions): Promise<Rig> {
  const rc = 7;
  const timers = { ...RIG_TIMERS, ...o.timers };
  const swC = o.switchCics ?? { first: 1, count: 8 };
  const tdC = o.tandemCics ?? swC;

  // Tandem: SG side, accepting the switch's association.
  const assoc: SctpTransportAssociation = await acceptSctpOverUdp({ localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: 0 });
  const sg = new M3uaSg({ ases: [{ routingContext: rc, pointCodes: [o.switchPc] }] });
  sg.addAssociation(assoc);
  const sgLink = new SgTransferLink(sg, rc);
  const tdTap = new TapLink(sgLink, o.variant);
  const tdTg: IsupTrunkGroup = {
    id: 'tg',
    variant: o.variant,
    farPointCode: o.switchPc,
    circuits: new CircuitGroup({ id: 'tg', firstCic: tdC.first, count: tdC.count, ownPointCode: o.tandemPc, farPointCode: o.switchPc, variant: o.variant, ...o.tandemGroup }),
  };
  const tdIsup = new IsupService({ link: tdTap, ownPointCode: o.tandemPc, networkIndicator: 2, trunkGroups: [tdTg], timers, ...o.tandemService });

  // Switch: ASP side.
  const link = new AspTransferLink({
    sgs: [{ name: 'tandem', address: '127.0.0.1', port: assoc.localPort, localAddress: '127.0.0.1', localPort: 0 }],
    connect: (s) => connectSctpOverUdp({ localAddress: s.localAddress, localPort: s.localPort, remoteAddress: s.address, remotePort: s.port, setupTimeoutMs: 500, maxAttempts: 4 }),
    asp: { routingContexts: [rc], ackTimeoutMs: 500 },
    backoffMs: 100,
    maxBackoffMs: 400,
  });
  const swTap = new TapLink(link, o.variant);
  const swTg: IsupTrunkGroup = {
    id: 'tg',
    variant: o.variant,
    farPointCode: o.tandemPc,
    circuits: new CircuitGroup({ id: 'tg', firstCic: swC.first, count: swC.count, ownPointCode: o.switchPc, farPointCode: o.tandemPc, variant: o.variant, ...o.switchGroup }),
  };
  const swIsup = new IsupService({ link: swTap, ownPointCode: o.switchPc, networkIndicator: 2, trunkGroups: [swTg], timers, ...o.switchService });
  link.start();
  await until(() => link.status().every((s) => s.state === 'ASP_ACTIVE') && sgLink.canReach(), 20_000, 'M3UA ASP active');

  const node = (isup: IsupService, tg: IsupTrunkGroup, tap: TapLink, name: string): RigNode => ({
    isup,
    tg,
    tap,
    rx: tap.received,
    agent: new TestCallAgent(isup, systemClock, name),
  });
  const rig: Rig = {
    variant: o.variant,
    sw: node(swIsup, swTg, swTap, 'sw'),
    td: node(tdIsup, tdTg, tdTap, 'td'),
    clearWire() {
      rig.sw.rx.length = 0;
      rig.td.rx.length = 0;
    },
    async stop() {
      swIsup.close();
      tdIsup.close();
      swTap.close();
      tdTap.close();
      await link.stop();
      sgLink.close();
      await assoc.close().catch(() => undefined);
    },
  };
  return rig;
}

/** Mnemonics with CIC, as "IAM:3", for wire assertions. */
export const seen = (msgs: IsupMessage[], cic?: number): string[] => msgs.filter((m) => cic === undefined || m.cic === cic).map((m) => (cic === undefined ? `${m.type}:${m.cic}` : m.type));
