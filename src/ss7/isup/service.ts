/**
 * The ISUP signalling service of one node: encodes/decodes ISUP over an MTP-TRANSFER link, keeps
 * each trunk group's circuits, hands each received message to the call that owns its circuit,
 * and answers circuit supervision (RSC, GRS, BLO/UBL, CGB/CGU) and stray messages itself.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../util/log.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger } from '../../util/log.js';
import type { Variant } from '../variant.js';
import type { CircuitGroup } from './circuits.js';
import { decodeIsup, encodeIsup } from './codec.js';
import { Cause, MessageCode } from './constants.js';
import { isIsupError, type IamMessage, type IsupMessage } from './messages.js';
import { defaultIsupTimers } from './call-fsm.js';
import { IsupCallRunner } from './call-runner.js';
import { eventForMessage, messageForRequest } from './call-messages.js';
import { causeIndicators } from './params/cause.js';
import { rangeStatusBits, rangeAndStatus } from './params/indicators.js';
import { SI_ISUP, type MtpTransferData, type MtpTransferLink } from '../mtp3/transfer.js';
import { isupDecodeErrorsTotal, isupDroppedTotal, isupMessagesTotal } from './metrics.js';

export interface IsupTrunkGroup {
  id: string;
  variant: Variant;
  /** Point code of the adjacent exchange these circuits go to. */
  farPointCode: number;
  circuits: CircuitGroup;
}

export interface IsupServiceOptions {
  link: MtpTransferLink;
  ownPointCode: number;
  /** Network indicator of the SIO (Q.704 §14.2.2; 2 = national). */
  networkIndicator: number;
  trunkGroups: IsupTrunkGroup[];
  logger?: Logger;
  /** Timers of the releases the service makes itself (refused seizures): T1/T5. */
  clock?: Clock;
}

/** Receives every message on one circuit while a call owns it. */
export type CircuitHandler = (msg: IsupMessage) => void;

/**
 * Events: 'incoming-iam' (tg: IsupTrunkGroup, msg: IAM), 'circuit-reset' (tg, cic).
 * A call owning a circuit that is reset receives an RSC through its handler and must only clean up.
 */
export class IsupService extends EventEmitter {
  private readonly byId = new Map<string, IsupTrunkGroup>();
  private readonly byFarPc = new Map<number, IsupTrunkGroup[]>();
  private readonly owners = new Map<string, CircuitHandler>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly onTransfer = (pd: MtpTransferData) => this.receive(pd);

  constructor(private readonly opts: IsupServiceOptions) {
    super();
    this.log = (opts.logger ?? silentLogger).child({ component: 'isup' });
    this.clock = opts.clock ?? systemClock;
    for (const tg of opts.trunkGroups) {
      this.byId.set(tg.id, tg);
      const list = this.byFarPc.get(tg.farPointCode) ?? [];
      list.push(tg);
      this.byFarPc.set(tg.farPointCode, list);
    }
    opts.link.on('transfer', this.onTransfer);
  }

  close(): void {
    this.opts.link.off('transfer', this.onTransfer);
  }

  trunkGroup(id: string): IsupTrunkGroup | undefined {
    return this.byId.get(id);
  }

  get trunkGroups(): IsupTrunkGroup[] {
    return [...this.byId.values()];
  }

  /** Whether calls can be placed on the trunk group now: link up, destination available, a circuit idle. */
  isAvailable(tgId: string): boolean {
    const tg = this.byId.get(tgId);
    return !!tg && this.opts.link.canReach(tg.farPointCode) && tg.circuits.hasAvailable();
  }

  /** Routes the circuit's received messages to `handler` until the returned function is called. */
  attach(tgId: string, cic: number, handler: CircuitHandler): () => void {
    const key = `${tgId}/${cic}`;
    this.owners.set(key, handler);
    return () => {
      if (this.owners.get(key) === handler) this.owners.delete(key);
    };
  }

  /** Encodes and sends on the trunk group; false when the link cannot carry it now. */
  send(tgId: string, msg: IsupMessage): boolean {
    const tg = this.byId.get(tgId);
    if (!tg) return false;
    let data: Buffer;
    try {
      data = encodeIsup(msg, tg.variant);
    } catch (err) {
      // A message this variant cannot carry is a programming error; never take the process down for it.
      this.log.error({ err, tg: tg.id, cic: msg.cic, type: msg.type }, 'ISUP message cannot be encoded for this variant; not sent');
      return false;
    }
    const pd: MtpTransferData = {
      opc: this.opts.ownPointCode,
      dpc: tg.farPointCode,
      si: SI_ISUP,
      ni: this.opts.networkIndicator,
      mp: 0,
      // Q.704 §2.2: the SLS of ISUP is the CIC's low bits, keeping one circuit's messages in order.
      sls: msg.cic & (tg.variant === 'ansi' ? 0x1f : 0x0f),
      data,
    };
    const ok = this.opts.link.sendTransfer(pd);
    if (ok) isupMessagesTotal.inc({ trunk_group: tg.id, direction: 'tx', type: msg.type });
    else this.log.warn({ tg: tg.id, cic: msg.cic, type: msg.type }, 'ISUP message not sent: no active M3UA route to the destination');
    return ok;
  }

  private receive(pd: MtpTransferData): void {
    if (pd.si !== SI_ISUP) return void isupDroppedTotal.inc({ reason: 'not-isup' });
    if (pd.dpc !== this.opts.ownPointCode) return void isupDroppedTotal.inc({ reason: 'not-our-point-code' });
    const groups = this.byFarPc.get(pd.opc);
    if (!groups) {
      this.log.warn({ opc: pd.opc }, 'ISUP from a point code with no trunk group; dropped (add a trunkGroups[] entry whose dpc is this point code)');
      return void isupDroppedTotal.inc({ reason: 'unknown-opc' });
    }
    const msg = decodeIsup(pd.data, groups[0].variant);
    if (isIsupError(msg)) {
      isupDecodeErrorsTotal.inc({ reason: msg.reason });
      this.log.warn({ opc: pd.opc, cic: msg.cic, reason: msg.reason, detail: msg.detail }, 'malformed ISUP message');
      const tg = msg.cic === undefined ? undefined : groups.find((g) => g.circuits.has(msg.cic!));
      if (tg && msg.cic !== undefined && msg.messageCode === MessageCode.REL) {
        // The far end is clearing whatever its cause says: a CFN would leave the call up on our side.
        // Its cause counts as unrecognised, i.e. "normal, unspecified" (Q.850 §2.2.7, class 0/1 default 31).
        return this.deliver(tg, { type: 'REL', cic: msg.cic, cause: causeIndicators(Cause.NORMAL_UNSPECIFIED, 0), optional: [] });
      }
      // Q.764 §2.9.5.1: an unrecognized message or parameter with no instruction is answered with CFN.
      if (tg && msg.cic !== undefined && msg.cause !== undefined) {
        this.send(tg.id, { type: 'CFN', cic: msg.cic, cause: causeIndicators(msg.cause, 3), optional: [] });
      }
      return;
    }
    const tg = groups.find((g) => g.circuits.has(msg.cic));
    if (!tg) {
      // Q.764 §2.9.2 / T1.113.4: a message for a CIC we do not have is answered with UCIC.
      this.log.warn({ opc: pd.opc, cic: msg.cic, type: msg.type }, 'ISUP message for an unequipped circuit (CIC outside every trunkGroups[].cics range for this point code: check the ranges agree with the far end)');
      isupDroppedTotal.inc({ reason: 'unequipped-cic' });
      if (msg.type !== 'UCIC') this.send(groups[0].id, { type: 'UCIC', cic: msg.cic });
      return;
    }
    this.deliver(tg, msg);
  }

  private deliver(tg: IsupTrunkGroup, msg: IsupMessage): void {
    isupMessagesTotal.inc({ trunk_group: tg.id, direction: 'rx', type: msg.type });
    if (this.supervise(tg, msg)) return;
    const key = `${tg.id}/${msg.cic}`;
    const owner = this.owners.get(key);
    if (owner && msg.type === 'IAM' && tg.circuits.get(msg.cic)?.call === 'outgoing') return this.dualSeizure(tg, msg, key, owner);
    if (owner) return owner(msg);
    this.onIdleCircuit(tg, msg);
  }

  /**
   * Q.764 §2.9.1.4 / T1.113.4 §2.10.1.4: an IAM on a circuit where our IAM is out. The controlling
   * exchange disregards it and completes its own call; otherwise our call backs off (detaches,
   * sending nothing) and the far end's IAM is then handled as on an idle circuit.
   */
  private dualSeizure(tg: IsupTrunkGroup, msg: IsupMessage, key: string, owner: CircuitHandler): void {
    if (tg.circuits.controls(msg.cic)) {
      this.log.info({ tg: tg.id, cic: msg.cic }, 'dual seizure: we control the circuit; incoming IAM disregarded');
      return void isupDroppedTotal.inc({ reason: 'dual-seizure' });
    }
    this.log.info({ tg: tg.id, cic: msg.cic }, 'dual seizure: the far end controls the circuit; our call backs off');
    owner(msg);
    // An owner past the set-up phase keeps the circuit: the IAM was a protocol error it ignored.
    if (!this.owners.has(key)) this.onIdleCircuit(tg, msg);
  }

  /**
   * Refuses an incoming seizure with REL and supervises that release like any other (Q.764
   * §2.3.1: T1 repeats REL, T5 ends in RSC): the circuit stays busy until RLC, so a new call
   * cannot take it and then receive the far end's late RLC.
   */
  private refuseSeizure(tg: IsupTrunkGroup, iam: IamMessage, cause: number): void {
    const ref = `refused:${tg.id}/${iam.cic}`;
    if (!tg.circuits.seizeIncoming(iam.cic, ref)) {
      // Locally blocked (or already busy): refuse without taking the circuit.
      this.send(tg.id, { type: 'REL', cic: iam.cic, cause: causeIndicators(cause, 3), optional: [] });
      return;
    }
    const runner = new IsupCallRunner({
      clock: this.clock,
      timers: defaultIsupTimers(tg.variant),
      send: (req) => this.send(tg.id, messageForRequest(req, iam.cic, () => iam)),
      indicate: (ind) => {
        if (ind.kind === 'release-complete' || ind.kind === 'released') queueMicrotask(finish);
        else if (ind.kind === 'maintenance-alert') this.log.error({ tg: tg.id, cic: iam.cic, reason: ind.reason }, 'circuit needs maintenance: no RLC for the REL refusing a seizure; reset sent');
      },
    });
    const detach = this.attach(tg.id, iam.cic, (m) => {
      if (m.type === 'RSC') return finish();
      const ev = eventForMessage(m);
      if (ev) runner.handle(ev);
    });
    const finish = () => {
      runner.dispose();
      detach();
      tg.circuits.release(iam.cic, ref);
    };
    runner.handle({ name: 'ISUP_IAM' });
    runner.handle({ name: 'CC_RELEASE_REQ', cause });
  }

  /** Circuit supervision answered here whatever the call state; true when handled. */
  private supervise(tg: IsupTrunkGroup, msg: IsupMessage): boolean {
    switch (msg.type) {
      case 'RSC':
        // Q.764 §2.10.3.1: reset releases any call on the circuit and answers RLC.
        this.resetCircuit(tg, msg.cic);
        tg.circuits.setBlocked(msg.cic, 'remote', false);
        this.send(tg.id, { type: 'RLC', cic: msg.cic, optional: [] });
        return true;
      case 'GRS': {
        // Q.764 §2.10.3.2: reset the range; GRA status shows the circuits we hold blocked.
        const count = msg.rangeAndStatus.range + 1;
        const bits: boolean[] = [];
        for (let i = 0; i < count; i++) {
          const cic = msg.cic + i;
          this.resetCircuit(tg, cic);
          tg.circuits.setBlocked(cic, 'remote', false);
          bits.push(tg.circuits.get(cic)?.localBlocked ?? false);
        }
        this.send(tg.id, { type: 'GRA', cic: msg.cic, rangeAndStatus: rangeAndStatus(bits) });
        return true;
      }
      case 'BLO':
      case 'UBL':
        // Q.764 §2.8.2: blocking does not release a call in progress.
        tg.circuits.setBlocked(msg.cic, 'remote', msg.type === 'BLO');
        this.send(tg.id, { type: msg.type === 'BLO' ? 'BLA' : 'UBA', cic: msg.cic });
        return true;
      case 'CGB':
      case 'CGU': {
        const bits = rangeStatusBits(msg.rangeAndStatus);
        bits.forEach((on, i) => on && tg.circuits.setBlocked(msg.cic + i, 'remote', msg.type === 'CGB'));
        this.send(tg.id, {
          type: msg.type === 'CGB' ? 'CGBA' : 'CGUA',
          cic: msg.cic,
          supervisionType: msg.supervisionType,
          rangeAndStatus: msg.rangeAndStatus,
        });
        return true;
      }
      default:
        return false;
    }
  }

  private resetCircuit(tg: IsupTrunkGroup, cic: number): void {
    const owner = this.owners.get(`${tg.id}/${cic}`);
    this.owners.delete(`${tg.id}/${cic}`);
    tg.circuits.release(cic);
    // The call on the circuit learns of the reset as an RSC; the service has answered it.
    owner?.({ type: 'RSC', cic });
    this.emit('circuit-reset', tg, cic);
  }

  /** A message on a circuit no call owns. */
  private onIdleCircuit(tg: IsupTrunkGroup, msg: IsupMessage): void {
    switch (msg.type) {
      case 'IAM':
        if (this.listenerCount('incoming-iam') > 0) return void this.emit('incoming-iam', tg, msg);
        // No incoming-call handler on this node: refuse the seizure cleanly.
        this.log.info({ tg: tg.id, cic: msg.cic }, 'incoming IAM refused: no incoming call handling on this trunk group');
        this.refuseSeizure(tg, msg, Cause.TEMPORARY_FAILURE);
        return;
      case 'REL':
        // Q.764 §2.3.1: REL on an idle circuit is still answered with RLC.
        this.send(tg.id, { type: 'RLC', cic: msg.cic, optional: [] });
        return;
      default:
        isupDroppedTotal.inc({ reason: 'idle-circuit' });
        this.log.debug({ tg: tg.id, cic: msg.cic, type: msg.type }, 'ISUP message on an idle circuit ignored');
    }
  }
}
