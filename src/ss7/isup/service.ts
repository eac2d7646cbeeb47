/**
 * The ISUP signalling service of one node: encodes/decodes ISUP over an MTP-TRANSFER link, keeps
 * each trunk group's circuits, hands each received message to the call that owns its circuit,
 * answers circuit supervision (RSC, GRS, BLO/UBL, CGB/CGU, CQM, UCIC) and stray messages itself,
 * and runs the supervision procedures this exchange starts (Q.764 §2.8–§2.12, T1.113.4 §2.8–§2.12):
 * blocking, unblocking and resets repeated and escalated on T12–T23, continuity checks (T8 on the
 * incoming side, COT and re-check on the outgoing side), circuit queries (T28) and automatic
 * congestion control (T29/T30).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../util/log.js';
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { silentLogger } from '../../util/log.js';
import type { Variant } from '../variant.js';
import type { CircuitGroup, CircuitState } from './circuits.js';
import { decodeIsup, encodeIsup } from './codec.js';
import { Cause, MessageCode } from './constants.js';
import { findOptional, isIsupError, type IamMessage, type IsupMessage } from './messages.js';
import { resolveIsupTimers, type IsupTimerValues, type ResolvedIsupTimers } from './call-fsm.js';
import { IsupCallRunner } from './call-runner.js';
import { eventForMessage, messageForRequest } from './call-messages.js';
import { causeIndicators } from './params/cause.js';
import { rangeStatusBits, rangeAndStatus } from './params/indicators.js';
import { SI_ISUP, type MtpTransferData, type MtpTransferLink } from '../mtp3/transfer.js';
import { Registry } from 'prom-client';
import { isupMetrics, type IsupMetrics } from './metrics.js';
import { RepeatingProcedure, type ProcedureTimers } from './supervision.js';
import { CongestionControl } from './congestion.js';
import { decodeCircuitState, encodeCircuitState, type CircuitStateReport } from './circuit-query.js';
import { tapKey, type MessageTap } from '../../util/message-tap.js';

export interface IsupTrunkGroup {
  id: string;
  variant: Variant;
  /** Point code of the adjacent exchange these circuits go to. */
  farPointCode: number;
  circuits: CircuitGroup;
  /** Timer values of this trunk group over the service's `timers` and the variant's defaults. */
  timers?: Partial<IsupTimerValues>;
}

/** What the bearer is asked for a continuity check (Q.764 §2.1.8). */
export type ContinuityRole = 'loopback' | 'test';

export interface IsupServiceOptions {
  link: MtpTransferLink;
  ownPointCode: number;
  /** Network indicator of the SIO (Q.704 §14.2.2; 2 = national). */
  networkIndicator: number;
  trunkGroups: IsupTrunkGroup[];
  logger?: Logger;
  /** Timers of the procedures the service runs itself (supervision, refused seizures, continuity). */
  clock?: Clock;
  /** Timer values for every trunk group (a trunk group's own `timers` win). */
  timers?: Partial<IsupTimerValues>;
  /**
   * The bearer side of a continuity check: 'loopback' connects the check loop on an incoming
   * circuit (the far end tests), 'test' sends and detects the check tone on an outgoing circuit
   * and resolves whether it came back. Absent: every check passes (no bearer to test).
   */
  continuity?: (tg: IsupTrunkGroup, cic: number, role: ContinuityRole) => Promise<boolean>;
  /**
   * An incoming continuity check is over (COT received and the call offered, or the circuit
   * cleared after a failure, T8 or T27): the check loop can be taken down.
   */
  continuityEnd?: (tg: IsupTrunkGroup, cic: number) => void;
  /**
   * Reset all circuits (GRS) toward a destination when the link reports it available again:
   * the link's 'resume' (pointCode?) event, or an AspTransferLink's 'state' ASP_ACTIVE and
   * 'destination' (available) events. Default false: the assembly calls {@link IsupService.mtpResume}.
   */
  resetOnLinkUp?: boolean;
  /** Sees every ISUP message sent, and every well-formed one received for a circuit of ours, keyed by circuit (the call trail). */
  tap?: MessageTap;
  /** Where messages and alarms are counted (the switch's registry; default: one of the service's own). */
  registry?: Registry;
}

/** Receives every message on one circuit while a call owns it. */
export type CircuitHandler = (msg: IsupMessage) => void;

/** A circuit as the operator sees it locally, with the supervision procedures pending on it. */
export interface CircuitReport extends CircuitState {
  pending: string[];
}

/** A supervision procedure in progress, for operators. */
export interface PendingProcedure {
  trunkGroup: string;
  type: 'BLO' | 'UBL' | 'RSC' | 'GRS' | 'CGB' | 'CGU' | 'CCR' | 'REL';
  cic: number;
  count: number;
  hardware: boolean;
  alerted: boolean;
  sends: number;
}

interface Proc extends PendingProcedure {
  tg: IsupTrunkGroup;
  proc: RepeatingProcedure;
  cics: number[];
}

interface CqmQuery {
  count: number;
  timer: TimerHandle;
  resolve: (r: CircuitStateReport[] | undefined) => void;
}

/** Q.763 §3.43 / T1.113.3 §3.43: circuits one GRS/CGB/CGU/CQM may name. */
const maxRange = (v: Variant) => (v === 'ansi' ? 24 : 32);

/**
 * Events: 'incoming-iam' (tg: IsupTrunkGroup, msg: IAM), 'circuit-reset' (tg, cic),
 * 'maintenance-alarm' ({ trunkGroup, procedure, cic, detail }).
 * A call owning a circuit that is reset (by the far end or by supervision) receives an RSC
 * through its handler and must only clean up.
 */
export class IsupService extends EventEmitter {
  private readonly byId = new Map<string, IsupTrunkGroup>();
  private readonly byFarPc = new Map<number, IsupTrunkGroup[]>();
  private readonly owners = new Map<string, CircuitHandler>();
  private readonly procs = new Map<string, Proc>();
  private readonly queries = new Map<string, CqmQuery>();
  private readonly congestion = new Map<string, CongestionControl>();
  private readonly timerCache = new Map<string, ResolvedIsupTimers>();
  /** Timers of continuity re-checks and other one-off waits, cleared on close. */
  private readonly waits = new Map<string, TimerHandle>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly m: IsupMetrics;
  private ownAcl = 0;
  private closed = false;
  private readonly onTransfer = (pd: MtpTransferData, meta?: { sg?: string }) => this.receive(pd, meta?.sg);
  private readonly onResume = (pc?: number) => this.mtpResume(typeof pc === 'number' ? pc : undefined);
  private readonly onAspState = (_sg: string, state: string) => state === 'ASP_ACTIVE' && this.mtpResume();
  private readonly onDestination = (c: { pc?: number; available?: boolean }) => c?.available && this.mtpResume(c.pc);

  constructor(private readonly opts: IsupServiceOptions) {
    super();
    this.m = isupMetrics(opts.registry ?? new Registry());
    this.log = (opts.logger ?? silentLogger).child({ component: 'isup' });
    this.clock = opts.clock ?? systemClock;
    for (const tg of opts.trunkGroups) {
      this.byId.set(tg.id, tg);
      const list = this.byFarPc.get(tg.farPointCode) ?? [];
      list.push(tg);
      this.byFarPc.set(tg.farPointCode, list);
    }
    opts.link.on('transfer', this.onTransfer);
    if (opts.resetOnLinkUp) {
      opts.link.on('resume', this.onResume);
      opts.link.on('state', this.onAspState);
      opts.link.on('destination', this.onDestination);
    }
  }

  /** Stops listening and every timer the service runs (supervision, queries, congestion). */
  close(): void {
    this.closed = true;
    this.opts.link.off('transfer', this.onTransfer);
    this.opts.link.off('resume', this.onResume);
    this.opts.link.off('state', this.onAspState);
    this.opts.link.off('destination', this.onDestination);
    for (const p of this.procs.values()) p.proc.stop();
    this.procs.clear();
    for (const q of this.queries.values()) {
      this.clock.clearTimeout(q.timer);
      q.resolve(undefined);
    }
    this.queries.clear();
    for (const c of this.congestion.values()) c.stop();
    for (const w of this.waits.values()) this.clock.clearTimeout(w);
    this.waits.clear();
  }

  trunkGroup(id: string): IsupTrunkGroup | undefined {
    return this.byId.get(id);
  }

  get trunkGroups(): IsupTrunkGroup[] {
    return [...this.byId.values()];
  }

  /** The timer values in force on a trunk group (for the call engine's runners). */
  timersOf(tgId: string): ResolvedIsupTimers {
    const cached = this.timerCache.get(tgId);
    if (cached) return cached;
    const tg = this.byId.get(tgId);
    const t = resolveIsupTimers(tg?.variant ?? 'itu', { ...this.opts.timers, ...tg?.timers });
    this.timerCache.set(tgId, t);
    return t;
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

  /**
   * Encodes and sends on the trunk group; false when the link cannot carry it now. An RSC sent by
   * a call (after T5 or T27) is supervised here (T16/T17, circuit out of service until RLC); an IAM
   * asking for a continuity check gets its COT from here.
   */
  send(tgId: string, msg: IsupMessage): boolean {
    const tg = this.byId.get(tgId);
    if (!tg) return false;
    if (msg.type === 'REL' && this.ownAcl > 0 && findOptional(msg, 'automaticCongestionLevel') === undefined) {
      // Q.764 §2.11.1: while overloaded, every REL we send carries our congestion level.
      msg = { ...msg, optional: [...msg.optional, { name: 'automaticCongestionLevel', value: this.ownAcl }] };
    }
    const ok = this.transmit(tg, msg);
    if (msg.type === 'RSC' && !this.procs.has(this.key(tg, 'rst', msg.cic))) this.superviseReset(tg, msg.cic, true);
    if (ok && msg.type === 'IAM' && msg.natureOfConnection.continuityCheck === 1) void this.outgoingContinuity(tg, msg.cic);
    return ok;
  }

  private transmit(tg: IsupTrunkGroup, msg: IsupMessage): boolean {
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
    if (ok) {
      this.m.countMessage(tg.id, 'tx', msg.type);
      this.opts.tap?.({ key: tapKey.circuit(tg.id, msg.cic), protocol: 'isup', dir: 'out', bytes: data, mtp: pd, opens: msg.type === 'IAM' });
    }
    else this.log.warn({ tg: tg.id, cic: msg.cic, type: msg.type }, 'ISUP message not sent: no active M3UA route to the destination');
    return ok;
  }

  private receive(pd: MtpTransferData, via?: string): void {
    if (pd.si !== SI_ISUP) return void this.m.isupDroppedTotal.inc({ reason: 'not-isup' });
    if (pd.dpc !== this.opts.ownPointCode) return void this.m.isupDroppedTotal.inc({ reason: 'not-our-point-code' });
    const groups = this.byFarPc.get(pd.opc);
    if (!groups) {
      this.log.warn({ opc: pd.opc }, 'ISUP from a point code with no trunk group; dropped (add a trunkGroups[] entry whose dpc is this point code)');
      return void this.m.isupDroppedTotal.inc({ reason: 'unknown-opc' });
    }
    const msg = decodeIsup(pd.data, groups[0].variant);
    if (isIsupError(msg)) {
      this.m.isupDecodeErrorsTotal.inc({ reason: msg.reason });
      this.log.warn({ opc: pd.opc, cic: msg.cic, reason: msg.reason, detail: msg.detail }, 'malformed ISUP message');
      const tg = msg.cic === undefined ? undefined : groups.find((g) => g.circuits.has(msg.cic!));
      if (tg && msg.cic !== undefined && msg.messageCode === MessageCode.REL) {
        // The far end is clearing whatever its cause says: a CFN would leave the call up on our side.
        // Its cause counts as unrecognised, i.e. "normal, unspecified" (Q.850 §2.2.7, class 0/1 default 31).
        return this.deliver(tg, { type: 'REL', cic: msg.cic, cause: causeIndicators(Cause.NORMAL_UNSPECIFIED, 0), optional: [] });
      }
      // Q.764 §2.9.5.1: an unrecognized message or parameter with no instruction is answered with CFN.
      // A truncated IAM is answered too (invalid contents): the far end's call must not wait for T7.
      const cause = msg.cause ?? (msg.messageCode === MessageCode.IAM ? Cause.INVALID_IE_CONTENTS : undefined);
      if (tg && msg.cic !== undefined && cause !== undefined) {
        this.transmit(tg, { type: 'CFN', cic: msg.cic, cause: causeIndicators(cause, 3), optional: [] });
      }
      return;
    }
    const tg = groups.find((g) => g.circuits.has(msg.cic));
    if (!tg) {
      // Q.764 §2.12 / T1.113.4 §2.12: a message for a CIC we do not have is answered with UCIC.
      this.log.warn({ opc: pd.opc, cic: msg.cic, type: msg.type }, 'ISUP message for an unequipped circuit (CIC outside every trunkGroups[].cics range for this point code: check the ranges agree with the far end)');
      this.m.isupDroppedTotal.inc({ reason: 'unequipped-cic' });
      if (msg.type !== 'UCIC') this.transmit(groups[0], { type: 'UCIC', cic: msg.cic });
      return;
    }
    if (this.opts.tap) {
      const { opc, dpc, si, ni, mp, sls } = pd;
      this.opts.tap({ key: tapKey.circuit(tg.id, msg.cic), protocol: 'isup', dir: 'in', bytes: Buffer.from(pd.data), mtp: { opc, dpc, si, ni, mp, sls }, via, opens: msg.type === 'IAM' });
    }
    try {
      this.deliver(tg, msg);
    } catch (err) {
      // A fault in a call's handler must not take the signalling down with it.
      this.log.error({ err, tg: tg.id, cic: msg.cic, type: msg.type }, 'ISUP message handling failed');
      this.m.isupDroppedTotal.inc({ reason: 'handler-error' });
    }
  }

  private deliver(tg: IsupTrunkGroup, msg: IsupMessage): void {
    this.m.countMessage(tg.id, 'rx', msg.type);
    if (msg.type === 'REL') {
      const acl = findOptional(msg, 'automaticCongestionLevel');
      if (acl !== undefined) this.congestionOf(tg).received(acl);
    }
    if (this.supervise(tg, msg)) return;
    const key = `${tg.id}/${msg.cic}`;
    const owner = this.owners.get(key);
    if (msg.type === 'IAM' && !this.admitIam(tg, msg, owner)) return;
    if (owner && msg.type === 'IAM' && tg.circuits.get(msg.cic)?.call === 'outgoing') return this.dualSeizure(tg, msg, key, owner);
    if (owner) return owner(msg);
    this.onIdleCircuit(tg, msg);
  }

  /** Checks of an IAM against the circuit's maintenance state; false when it is dealt with here. */
  private admitIam(tg: IsupTrunkGroup, iam: IamMessage, owner: CircuitHandler | undefined): boolean {
    const c = tg.circuits.get(iam.cic)!;
    if (c.outOfService === 'unequipped') {
      // The far end has the circuit after all (it sent UCIC earlier): back in service.
      tg.circuits.setOutOfService(iam.cic, undefined);
    }
    if (c.outOfService === 'reset-pending' || c.outOfService === 'continuity-recheck') {
      // Q.764 §2.10.3.1: our RSC/GRS (or re-check) is outstanding; the far end will see it and drop this call.
      this.log.info({ tg: tg.id, cic: iam.cic, state: c.outOfService }, 'IAM on a circuit under supervision; discarded');
      this.m.isupDroppedTotal.inc({ reason: 'circuit-under-supervision' });
      return false;
    }
    if (c.remoteMaintenanceBlocked && !owner) {
      // Q.764 §2.8.2.1 / T1.113.4 §2.8.2.1: an IAM (not a test call) on a circuit the far end blocked unblocks it.
      this.log.info({ tg: tg.id, cic: iam.cic }, 'IAM on a remotely blocked circuit: remote blocking removed');
      tg.circuits.setBlocked(iam.cic, 'remote', false, 'maintenance');
    }
    return true;
  }

  /**
   * Q.764 §2.9.1.3 / T1.113.4 §2.10.1.4: an IAM on a circuit where our IAM is out. The controlling
   * exchange disregards it and completes its own call; otherwise our call backs off (detaches,
   * sending nothing) and the far end's IAM is then handled as on an idle circuit.
   */
  private dualSeizure(tg: IsupTrunkGroup, msg: IsupMessage, key: string, owner: CircuitHandler): void {
    if (tg.circuits.controls(msg.cic)) {
      this.log.info({ tg: tg.id, cic: msg.cic }, 'dual seizure: we control the circuit; incoming IAM disregarded');
      return void this.m.isupDroppedTotal.inc({ reason: 'dual-seizure' });
    }
    this.log.info({ tg: tg.id, cic: msg.cic }, 'dual seizure: the far end controls the circuit; our call backs off');
    owner(msg);
    // An owner past the set-up phase keeps the circuit: the IAM was a protocol error it ignored.
    if (!this.owners.has(key)) {
      // The backing-off call may release the circuit only later (its callRef); the incoming call needs it now.
      tg.circuits.release(msg.cic);
      this.onIdleCircuit(tg, msg);
    }
  }

  /**
   * Runs a release the service makes itself (a refused seizure, a failed continuity check) like
   * any other (Q.764 §2.3.1: T1 repeats REL, T5 ends in RSC): the circuit stays busy until RLC,
   * so a new call cannot take it and then receive the far end's late RLC. `start` feeds the
   * runner its first events; `onSetup` takes over when the runner indicates set-up.
   */
  private serviceCall(
    tg: IsupTrunkGroup,
    iam: IamMessage,
    ref: string,
    start: (runner: IsupCallRunner) => void,
    onSetup?: (finish: () => void) => void,
    tap?: (m: IsupMessage) => void,
  ): void {
    const cic = iam.cic;
    let finished = false;
    const runner = new IsupCallRunner({
      clock: this.clock,
      timers: this.timersOf(tg.id),
      variant: tg.variant,
      send: (req) => this.send(tg.id, messageForRequest(req, cic, () => iam)),
      indicate: (ind) => {
        switch (ind.kind) {
          case 'release-complete':
            return queueMicrotask(finish);
          case 'released':
            // A remote release is over (RLC follows at once); a local one waits for RLC.
            if (ind.by === 'remote') queueMicrotask(finish);
            return;
          case 'maintenance-alert':
            return this.alarm(tg, 'T5', cic, ind.reason);
          case 'continuity-loop':
            void this.bearerContinuity(tg, cic, 'loopback');
            return;
          case 'setup':
            return onSetup?.(finish);
          default:
            return;
        }
      },
    });
    const detach = this.attach(tg.id, cic, (m) => {
      if (m.type === 'RSC') return finish();
      tap?.(m);
      const ev = eventForMessage(m);
      if (ev) runner.handle(ev);
    });
    const finish = () => {
      if (finished) return;
      finished = true;
      runner.dispose();
      detach();
      tg.circuits.release(cic, ref);
      if (ref.startsWith('continuity:')) this.opts.continuityEnd?.(tg, cic);
    };
    start(runner);
  }

  private refuseSeizure(tg: IsupTrunkGroup, iam: IamMessage, cause: number): void {
    const ref = `refused:${tg.id}/${iam.cic}`;
    if (!tg.circuits.seizeIncoming(iam.cic, ref)) {
      // Locally blocked (or already busy): refuse without taking the circuit.
      this.transmit(tg, { type: 'REL', cic: iam.cic, cause: causeIndicators(cause, 3), optional: [] });
      const c = tg.circuits.get(iam.cic);
      // Q.764 §2.8.2.1: the far end evidently missed our blocking: tell it again.
      if (c?.localMaintenanceBlocked && !this.procs.has(this.key(tg, 'blk', iam.cic))) this.startBlocking(tg, 'BLO', iam.cic);
      return;
    }
    this.serviceCall(tg, iam, ref, (runner) => {
      runner.handle({ name: 'ISUP_IAM' });
      runner.handle({ name: 'CC_RELEASE_REQ', cause });
    });
  }

  /**
   * Q.764 §2.1.8 / T1.113.4 §2.1.8, incoming side: an IAM asking for a continuity check. The
   * service connects the loop (bearer hook), awaits COT under T8 and offers the call to call
   * control only once it passed; digits (SAM) that arrive meanwhile are handed on after it. A
   * failed check waits for the re-check (CCR, T27); T8 or T27 expiry clears the circuit.
   */
  private awaitContinuity(tg: IsupTrunkGroup, iam: IamMessage): void {
    const ref = `continuity:${tg.id}/${iam.cic}`;
    if (!tg.circuits.seizeIncoming(iam.cic, ref)) return this.refuseSeizure(tg, iam, Cause.TEMPORARY_FAILURE);
    const held: IsupMessage[] = [];
    this.serviceCall(
      tg,
      iam,
      ref,
      (runner) => runner.handle({ name: 'ISUP_IAM', continuityCheck: iam.natureOfConnection.continuityCheck }),
      (finish) =>
        queueMicrotask(() => {
          finish();
          this.offerIncoming(tg, iam);
          const owner = this.owners.get(`${tg.id}/${iam.cic}`);
          if (owner) for (const m of held) owner(m);
        }),
      (m) => {
        if (m.type === 'SAM') held.push(m);
      },
    );
  }

  private offerIncoming(tg: IsupTrunkGroup, iam: IamMessage): void {
    if (this.listenerCount('incoming-iam') > 0) return void this.emit('incoming-iam', tg, iam);
    // No incoming-call handler on this node: refuse the seizure cleanly.
    this.log.info({ tg: tg.id, cic: iam.cic }, 'incoming IAM refused: no incoming call handling on this trunk group');
    this.refuseSeizure(tg, iam, Cause.TEMPORARY_FAILURE);
  }

  /** Asks the bearer; no hook means the check passes. A failing or throwing hook is a failed check. */
  private async bearerContinuity(tg: IsupTrunkGroup, cic: number, role: ContinuityRole): Promise<boolean> {
    if (!this.opts.continuity) return true;
    try {
      return await this.opts.continuity(tg, cic, role);
    } catch (err) {
      this.log.warn({ err, tg: tg.id, cic, role }, 'continuity check hook failed');
      return false;
    }
  }

  /** The outgoing side's test, bounded by T24 (Q.764 §2.1.8: no tone back in time is a failure). */
  private async testContinuity(tg: IsupTrunkGroup, cic: number): Promise<boolean> {
    const key = `t24:${tg.id}/${cic}`;
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(this.waits.get(key));
        this.waits.delete(key);
        resolve(ok);
      };
      this.waits.set(
        key,
        this.clock.setTimeout(() => settle(false), this.timersOf(tg.id).T24),
      );
      void this.bearerContinuity(tg, cic, 'test').then(settle);
    });
  }

  /**
   * Q.764 §2.1.8 / T1.113.4 §2.1.8, outgoing side: after an IAM asking for a check, test and
   * send COT. On failure the call on this circuit is told the circuit was reset (call control
   * repeats the attempt elsewhere) and the circuit is re-checked: CCR after T25, then every T26
   * until a check passes; a successful re-check ends with REL/RLC.
   */
  private async outgoingContinuity(tg: IsupTrunkGroup, cic: number): Promise<void> {
    const callRef = tg.circuits.get(cic)?.callRef;
    const ok = await this.testContinuity(tg, cic);
    if (this.closed || tg.circuits.get(cic)?.callRef !== callRef) return;
    this.transmit(tg, { type: 'COT', cic, continuity: { successful: ok, other: 0 } });
    if (ok) return;
    this.alarm(tg, 'continuity', cic, 'continuity check failed; call repeated elsewhere, circuit re-checked');
    tg.circuits.setOutOfService(cic, 'continuity-recheck');
    const owner = this.owners.get(`${tg.id}/${cic}`);
    this.owners.delete(`${tg.id}/${cic}`);
    owner?.({ type: 'RSC', cic });
    this.scheduleRecheck(tg, cic, this.timersOf(tg.id).T25);
  }

  private scheduleRecheck(tg: IsupTrunkGroup, cic: number, ms: number): void {
    const key = `recheck:${tg.id}/${cic}`;
    this.clock.clearTimeout(this.waits.get(key));
    this.waits.set(
      key,
      this.clock.setTimeout(() => {
        this.waits.delete(key);
        void this.recheck(tg, cic);
      }, ms),
    );
  }

  private async recheck(tg: IsupTrunkGroup, cic: number): Promise<void> {
    if (this.closed || tg.circuits.get(cic)?.outOfService !== 'continuity-recheck') return;
    this.transmit(tg, { type: 'CCR', cic });
    const ok = await this.testContinuity(tg, cic);
    if (this.closed || tg.circuits.get(cic)?.outOfService !== 'continuity-recheck') return;
    if (!ok) {
      this.transmit(tg, { type: 'COT', cic, continuity: { successful: false, other: 0 } });
      this.log.warn({ tg: tg.id, cic }, 'continuity re-check failed; next re-check after T26');
      return this.scheduleRecheck(tg, cic, this.timersOf(tg.id).T26);
    }
    // The re-check passed: REL returns the circuit to idle at both ends (supervised like any REL: T1, then alarm after T5).
    const t = this.timersOf(tg.id);
    this.startProc(tg, 'REL', 'rel', cic, [cic], { type: 'REL', cic, cause: causeIndicators(Cause.NORMAL_CLEARING, 2), optional: [] }, { repeatMs: t.T1, alertAfterMs: t.T5, longMs: t.T17 });
  }

  // ---------------------------------------------------------------- circuit supervision, received

  /** Circuit supervision answered here whatever the call state; true when handled. */
  private supervise(tg: IsupTrunkGroup, msg: IsupMessage): boolean {
    const circuits = tg.circuits;
    switch (msg.type) {
      case 'RSC': {
        // Q.764 §2.10.3.1: reset releases any call on the circuit, removes remote maintenance blocking, answers RLC.
        this.resetCircuit(tg, msg.cic);
        circuits.setBlocked(msg.cic, 'remote', false, 'maintenance');
        this.transmit(tg, { type: 'RLC', cic: msg.cic, optional: [] });
        // The reset cleared the far end's view of our blocking: block again (Q.764 §2.10.3.1 d)).
        if (circuits.get(msg.cic)?.localMaintenanceBlocked && !this.procs.has(this.key(tg, 'blk', msg.cic))) this.startBlocking(tg, 'BLO', msg.cic);
        return true;
      }
      case 'RLC': {
        const p = this.procs.get(this.key(tg, 'rst', msg.cic)) ?? this.procs.get(this.key(tg, 'rel', msg.cic));
        if (!p || (p.type !== 'RSC' && p.type !== 'REL')) return false;
        this.finishProc(p);
        circuits.setOutOfService(msg.cic, undefined);
        this.reblock(tg, [msg.cic]);
        return true;
      }
      case 'GRS': {
        // Q.764 §2.10.3.2: reset the range; GRA status shows the circuits we hold maintenance-blocked.
        const count = msg.rangeAndStatus.range + 1;
        if (count > maxRange(tg.variant)) return this.discard(tg, msg, 'range too large');
        const bits: boolean[] = [];
        const cics: number[] = [];
        for (let i = 0; i < count; i++) {
          const cic = msg.cic + i;
          if (!circuits.has(cic)) {
            bits.push(false);
            continue;
          }
          this.resetCircuit(tg, cic);
          circuits.setBlocked(cic, 'remote', false, 'maintenance');
          bits.push(circuits.get(cic)?.localMaintenanceBlocked ?? false);
          cics.push(cic);
        }
        this.transmit(tg, { type: 'GRA', cic: msg.cic, rangeAndStatus: rangeAndStatus(bits) });
        // Q.764 §2.10.3.2 e): hardware blocking is not carried in GRA: send it again.
        this.reblock(tg, cics, 'hardware');
        return true;
      }
      case 'GRA': {
        const p = this.procs.get(this.key(tg, 'rst', msg.cic));
        if (!p || p.type !== 'GRS' || msg.rangeAndStatus.range + 1 !== p.count) return this.discard(tg, msg, 'no GRS of that range outstanding');
        this.finishProc(p);
        // Q.764 §2.10.3.2 b): the status bits tell which circuits the far end holds maintenance-blocked.
        rangeStatusBits(msg.rangeAndStatus).forEach((on, i) => circuits.setBlocked(msg.cic + i, 'remote', on, 'maintenance'));
        for (const cic of p.cics) if (circuits.get(cic)?.outOfService === 'reset-pending') circuits.setOutOfService(cic, undefined);
        this.reblock(tg, p.cics);
        return true;
      }
      case 'BLO':
      case 'UBL':
        // Q.764 §2.8.2.1: blocking does not release a call in progress; a repeated BLO is acknowledged again.
        circuits.setBlocked(msg.cic, 'remote', msg.type === 'BLO', 'maintenance');
        this.transmit(tg, { type: msg.type === 'BLO' ? 'BLA' : 'UBA', cic: msg.cic });
        return true;
      case 'BLA':
      case 'UBA': {
        const p = this.procs.get(this.key(tg, 'blk', msg.cic));
        const want = msg.type === 'BLA' ? 'BLO' : 'UBL';
        if (p && p.type === want) {
          this.finishProc(p);
          return true;
        }
        // Q.764 §2.9.3.1 (unexpected acknowledgements): a BLA for a circuit we do not block is cleared by UBL; a UBA for one we block, by BLO.
        const c = circuits.get(msg.cic)!;
        if (msg.type === 'BLA' && !c.localMaintenanceBlocked) this.transmit(tg, { type: 'UBL', cic: msg.cic });
        else if (msg.type === 'UBA' && c.localMaintenanceBlocked) this.transmit(tg, { type: 'BLO', cic: msg.cic });
        else this.m.isupDroppedTotal.inc({ reason: 'unexpected-ack' });
        return true;
      }
      case 'CGB':
      case 'CGU': {
        const hardware = msg.supervisionType.kind === 1;
        if (msg.supervisionType.kind > 1) return this.discard(tg, msg, 'supervision type spare');
        if (msg.rangeAndStatus.range + 1 > maxRange(tg.variant)) return this.discard(tg, msg, 'range too large');
        const bits = rangeStatusBits(msg.rangeAndStatus);
        bits.forEach((on, i) => {
          const cic = msg.cic + i;
          if (!on || !circuits.has(cic)) return;
          // Q.764 §2.8.2.3: hardware failure oriented blocking releases the calls on those circuits.
          if (msg.type === 'CGB' && hardware) this.resetCircuit(tg, cic);
          circuits.setBlocked(cic, 'remote', msg.type === 'CGB', hardware ? 'hardware' : 'maintenance');
        });
        this.transmit(tg, { type: msg.type === 'CGB' ? 'CGBA' : 'CGUA', cic: msg.cic, supervisionType: msg.supervisionType, rangeAndStatus: msg.rangeAndStatus });
        return true;
      }
      case 'CGBA':
      case 'CGUA': {
        const p = this.procs.get(this.key(tg, msg.supervisionType.kind === 1 ? 'cgh' : 'cgm', msg.cic));
        if (!p || p.type !== (msg.type === 'CGBA' ? 'CGB' : 'CGU')) return this.discard(tg, msg, 'no CGB/CGU outstanding');
        this.finishProc(p);
        const acked = rangeStatusBits(msg.rangeAndStatus);
        const missing = p.cics.filter((cic) => !acked[cic - msg.cic]);
        if (missing.length > 0) {
          // Q.764 §2.9.2.2: an acknowledgement that leaves out circuits: ask again for those.
          this.log.warn({ tg: tg.id, cic: msg.cic, missing }, `${msg.type} did not acknowledge every circuit; repeating for the others`);
          this.sendGroup(tg, p.type as 'CGB' | 'CGU', missing, p.hardware);
        }
        return true;
      }
      case 'CQM': {
        // Q.764 §2.10.4: answer with the state of each circuit of the range.
        const count = msg.rangeAndStatus.range + 1;
        if (count > maxRange(tg.variant)) return this.discard(tg, msg, 'range too large');
        const states = Buffer.alloc(count);
        for (let i = 0; i < count; i++) states[i] = encodeCircuitState(circuits.get(msg.cic + i));
        this.transmit(tg, { type: 'CQR', cic: msg.cic, rangeAndStatus: { range: msg.rangeAndStatus.range }, circuitState: states });
        return true;
      }
      case 'CQR': {
        const q = this.queries.get(this.key(tg, 'cqm', msg.cic));
        if (!q) return this.discard(tg, msg, 'no CQM outstanding');
        this.queries.delete(this.key(tg, 'cqm', msg.cic));
        this.clock.clearTimeout(q.timer);
        const out: CircuitStateReport[] = [];
        for (let i = 0; i < msg.circuitState.length; i++) out.push(decodeCircuitState(msg.cic + i, msg.circuitState[i]));
        q.resolve(out);
        return true;
      }
      case 'UCIC': {
        // Q.764 §2.12 / T1.113.4 §2.12: the far end has no such circuit: stop using it, alert maintenance.
        // A call being set up on it learns through RSC (call control repeats the attempt elsewhere).
        for (const fam of ['blk', 'rst', 'cgm', 'cgh', 'rel'] as const) {
          const p = this.procs.get(this.key(tg, fam, msg.cic));
          if (p && p.cic === msg.cic && p.count === 1) this.finishProc(p);
        }
        this.resetCircuit(tg, msg.cic, false);
        circuits.setOutOfService(msg.cic, 'unequipped');
        this.alarm(tg, 'UCIC', msg.cic, 'the far end reports this CIC unequipped: check both ends\u2019 CIC ranges');
        return true;
      }
      case 'LPA':
        // T1.113.4 §2.1.8: acknowledges our CCR; the test itself decides.
        return true;
      case 'CCR':
        // A re-check request on a circuit no call holds (the failed call's circuit was freed): loop and answer.
        if (this.owners.has(`${tg.id}/${msg.cic}`)) return false;
        void this.bearerContinuity(tg, msg.cic, 'loopback');
        if (tg.variant === 'ansi') this.transmit(tg, { type: 'LPA', cic: msg.cic });
        return true;
      default:
        return false;
    }
  }

  private discard(tg: IsupTrunkGroup, msg: IsupMessage, why: string): true {
    this.log.info({ tg: tg.id, cic: msg.cic, type: msg.type, why }, 'circuit supervision message discarded');
    this.m.isupDroppedTotal.inc({ reason: 'supervision-discarded' });
    return true;
  }

  /**
   * The far end that worked these circuits is gone without a word (a switch node of a cluster
   * died with its M3UA association): whatever holds them is released here as by a reset, and
   * nothing is sent — there is nobody to answer. The node resets them itself (GRS) when it is back.
   */
  clearCircuits(tgId: string, cics: Iterable<number>): number {
    const tg = this.trunkGroup(tgId);
    if (!tg) return 0;
    let n = 0;
    for (const cic of cics) {
      const c = tg.circuits.get(cic);
      if (!c) continue;
      if (c.call !== 'idle' || this.owners.has(`${tg.id}/${cic}`)) n++;
      this.resetCircuit(tg, cic);
    }
    return n;
  }

  /** Releases whatever holds the circuit; the owner hears RSC. `announce`: emit 'circuit-reset'. */
  private resetCircuit(tg: IsupTrunkGroup, cic: number, announce = true): void {
    const owner = this.owners.get(`${tg.id}/${cic}`);
    this.owners.delete(`${tg.id}/${cic}`);
    tg.circuits.release(cic);
    // A continuity re-check of ours ends with the reset.
    if (tg.circuits.get(cic)?.outOfService === 'continuity-recheck') {
      tg.circuits.setOutOfService(cic, undefined);
      this.clock.clearTimeout(this.waits.get(`recheck:${tg.id}/${cic}`));
      this.waits.delete(`recheck:${tg.id}/${cic}`);
    }
    // The call on the circuit learns of the reset as an RSC; the service has answered it.
    owner?.({ type: 'RSC', cic });
    if (announce) this.emit('circuit-reset', tg, cic);
  }

  /** A message on a circuit no call owns. */
  private onIdleCircuit(tg: IsupTrunkGroup, msg: IsupMessage): void {
    switch (msg.type) {
      case 'IAM': {
        const cc = msg.natureOfConnection.continuityCheck;
        if (cc === 1 || cc === 2) return this.awaitContinuity(tg, msg);
        return this.offerIncoming(tg, msg);
      }
      case 'REL':
        // Q.764 §2.3.1: REL on an idle circuit is still answered with RLC.
        this.transmit(tg, { type: 'RLC', cic: msg.cic, optional: [] });
        return;
      default:
        this.m.isupDroppedTotal.inc({ reason: 'idle-circuit' });
        this.log.debug({ tg: tg.id, cic: msg.cic, type: msg.type }, 'ISUP message on an idle circuit ignored');
    }
  }

  // ---------------------------------------------------------------- circuit supervision, ours

  private key(tg: IsupTrunkGroup, family: string, cic: number): string {
    return `${tg.id}|${family}|${cic}`;
  }

  private procTimers(tg: IsupTrunkGroup, short: keyof ResolvedIsupTimers, long: keyof ResolvedIsupTimers): ProcedureTimers {
    const t = this.timersOf(tg.id);
    return { repeatMs: t[short], alertAfterMs: Math.min(t.alertAfter, t[long] || t.alertAfter), longMs: t[long] };
  }

  private startProc(
    tg: IsupTrunkGroup,
    type: PendingProcedure['type'],
    family: string,
    cic: number,
    cics: number[],
    msg: IsupMessage,
    timers: ProcedureTimers,
    opts: { hardware?: boolean; alreadySent?: boolean; count?: number } = {},
  ): void {
    const key = this.key(tg, family, cic);
    this.procs.get(key)?.proc.stop();
    const p: Proc = {
      trunkGroup: tg.id,
      type,
      cic,
      count: opts.count ?? cics.length,
      hardware: opts.hardware ?? false,
      alerted: false,
      sends: 0,
      tg,
      cics,
      proc: new RepeatingProcedure(this.clock, timers, {
        send: () => {
          this.transmit(tg, msg);
          p.sends = p.proc.sends;
        },
        repeated: () => this.m.isupMaintenanceRepeatsTotal.inc({ trunk_group: tg.id, type }),
        alert: () => {
          p.alerted = true;
          this.alarm(tg, type, cic, `no acknowledgement of ${type} within ${timers.alertAfterMs} ms; repeating every ${timers.longMs} ms`);
        },
      }),
    };
    this.procs.set(key, p);
    p.proc.start(opts.alreadySent);
    p.sends = p.proc.sends;
  }

  private finishProc(p: Proc): void {
    p.proc.stop();
    for (const [k, v] of this.procs) if (v === p) this.procs.delete(k);
  }

  private alarm(tg: IsupTrunkGroup, procedure: string, cic: number, detail: string): void {
    this.m.isupMaintenanceAlarmsTotal.inc({ trunk_group: tg.id, procedure });
    this.log.error({ tg: tg.id, cic, procedure, detail }, 'ISUP circuit maintenance alarm');
    this.emit('maintenance-alarm', { trunkGroup: tg.id, procedure, cic, detail });
  }

  private startBlocking(tg: IsupTrunkGroup, type: 'BLO' | 'UBL', cic: number): void {
    this.startProc(tg, type, 'blk', cic, [cic], { type, cic }, type === 'BLO' ? this.procTimers(tg, 'T12', 'T13') : this.procTimers(tg, 'T14', 'T15'));
  }

  /** Q.764 §2.10.3.1: RSC repeated on T16, maintenance alerted and RSC repeated at T17 intervals. */
  private superviseReset(tg: IsupTrunkGroup, cic: number, alreadySent: boolean): void {
    tg.circuits.setOutOfService(cic, 'reset-pending');
    this.startProc(tg, 'RSC', 'rst', cic, [cic], { type: 'RSC', cic }, this.procTimers(tg, 'T16', 'T17'), { alreadySent });
  }

  /**
   * After a reset the far end no longer knows our blocking (Q.764 §2.10.3.1 d), §2.10.3.2 e)):
   * block again the circuits we hold blocked.
   */
  private reblock(tg: IsupTrunkGroup, cics: number[], only?: 'hardware'): void {
    const maint: number[] = [];
    const hw: number[] = [];
    for (const cic of cics) {
      const c = tg.circuits.get(cic);
      if (c?.localMaintenanceBlocked && !only) maint.push(cic);
      if (c?.localHardwareBlocked) hw.push(cic);
    }
    if (maint.length === 1) this.startBlocking(tg, 'BLO', maint[0]);
    else if (maint.length > 1) this.sendGroup(tg, 'CGB', maint, false);
    if (hw.length > 0) this.sendGroup(tg, 'CGB', hw, true);
  }

  /**
   * CGB/CGU for the given circuits, in windows of at most 32 (ITU) / 24 (ANSI) circuits with a
   * range of at least 1 (Q.763 §3.43: range 0 is not used in these messages); status bits mark
   * the circuits concerned. Supervised on T18/T19 (CGB) or T20/T21 (CGU).
   */
  private sendGroup(tg: IsupTrunkGroup, type: 'CGB' | 'CGU', cics: number[], hardware: boolean): void {
    for (const w of this.windows(tg, cics)) {
      const bits = Array.from({ length: w.count }, (_, i) => w.cics.includes(w.first + i));
      const msg: IsupMessage = { type, cic: w.first, supervisionType: { kind: hardware ? 1 : 0, other: 0 }, rangeAndStatus: rangeAndStatus(bits) };
      const timers = type === 'CGB' ? this.procTimers(tg, 'T18', 'T19') : this.procTimers(tg, 'T20', 'T21');
      this.startProc(tg, type, hardware ? 'cgh' : 'cgm', w.first, w.cics, msg, timers, { hardware, count: w.count });
    }
  }

  /** Splits circuits into windows for group messages: ≤ max circuits, ≥ 2 where the group allows. */
  private windows(tg: IsupTrunkGroup, cics: number[]): Array<{ first: number; count: number; cics: number[] }> {
    const sorted = [...new Set(cics)].filter((c) => tg.circuits.has(c)).sort((a, b) => a - b);
    const max = maxRange(tg.variant);
    const out: Array<{ first: number; count: number; cics: number[] }> = [];
    let i = 0;
    while (i < sorted.length) {
      let first = sorted[i];
      const inWindow: number[] = [];
      while (i < sorted.length && sorted[i] < first + max) inWindow.push(sorted[i++]);
      let count = inWindow[inWindow.length - 1] - first + 1;
      if (count === 1) {
        if (tg.circuits.has(first + 1)) count = 2;
        else if (tg.circuits.has(first - 1)) {
          first -= 1;
          count = 2;
        }
      }
      out.push({ first, count, cics: inWindow });
    }
    return out;
  }

  /** Circuits `cic`..`cic+count-1` of the group that exist. */
  private range(tg: IsupTrunkGroup, cic: number, count: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) if (tg.circuits.has(cic + i)) out.push(cic + i);
    return out;
  }

  // ---------------------------------------------------------------- operator actions

  /**
   * Local blocking (Q.764 §2.8.2): the circuits take no new calls either way; calls in progress
   * go on for maintenance blocking and are released for hardware blocking. One circuit for
   * maintenance: BLO (T12/T13); several, or hardware: CGB (T18/T19). False: no such trunk group or circuit.
   */
  block(tgId: string, cic: number, opts: { count?: number; hardware?: boolean } = {}): boolean {
    return this.blocking(tgId, cic, true, opts);
  }

  /** Removes local blocking of that kind: UBL (T14/T15) or CGU (T20/T21). */
  unblock(tgId: string, cic: number, opts: { count?: number; hardware?: boolean } = {}): boolean {
    return this.blocking(tgId, cic, false, opts);
  }

  private blocking(tgId: string, cic: number, on: boolean, opts: { count?: number; hardware?: boolean }): boolean {
    const tg = this.byId.get(tgId);
    if (!tg) return false;
    const cics = this.range(tg, cic, opts.count ?? 1);
    if (cics.length === 0) return false;
    const hardware = opts.hardware ?? false;
    for (const c of cics) {
      tg.circuits.setBlocked(c, 'local', on, hardware ? 'hardware' : 'maintenance');
      // Q.764 §2.8.2.3: hardware blocking releases calls at both ends without REL/RLC.
      if (on && hardware) this.resetCircuit(tg, c, false);
    }
    if (cics.length === 1 && !hardware) this.startBlocking(tg, on ? 'BLO' : 'UBL', cics[0]);
    else {
      // A group procedure replaces single-circuit ones for the same circuits.
      for (const c of cics) {
        const p = this.procs.get(this.key(tg, 'blk', c));
        if (p) this.finishProc(p);
      }
      this.sendGroup(tg, on ? 'CGB' : 'CGU', cics, hardware);
    }
    return true;
  }

  /**
   * Resets circuits (Q.764 §2.10.3): calls on them end (owners hear RSC), RSC for one circuit
   * (T16/T17), GRS in ranges of ≤ 32 (ITU) / ≤ 24 (ANSI) for more (T22/T23); the circuits take no
   * new calls until RLC/GRA. False: no such trunk group or circuit.
   */
  reset(tgId: string, cic: number, count = 1): boolean {
    const tg = this.byId.get(tgId);
    if (!tg) return false;
    const cics = this.range(tg, cic, count);
    if (cics.length === 0) return false;
    this.resetCircuits(tg, cics);
    return true;
  }

  /** Resets every circuit of one trunk group, or of all: at start-up and when the destination is available again. */
  resetAll(tgId?: string): void {
    const groups = tgId === undefined ? [...this.byId.values()] : [this.byId.get(tgId)].filter((g): g is IsupTrunkGroup => !!g);
    for (const tg of groups) this.resetCircuits(tg, tg.circuits.cics());
  }

  private resetCircuits(tg: IsupTrunkGroup, cics: number[]): void {
    const max = maxRange(tg.variant);
    const sorted = [...cics].sort((a, b) => a - b);
    let i = 0;
    while (i < sorted.length) {
      // A GRS covers consecutive circuits only (no status in GRS): cut at gaps and at the maximum range.
      const first = sorted[i];
      let n = 1;
      while (i + n < sorted.length && n < max && sorted[i + n] === first + n) n++;
      const group = sorted.slice(i, i + n);
      i += n;
      for (const c of group) {
        this.resetCircuit(tg, c, false);
        tg.circuits.setOutOfService(c, 'reset-pending');
        for (const fam of ['blk', 'rst', 'rel'] as const) {
          const p = this.procs.get(this.key(tg, fam, c));
          if (p) this.finishProc(p);
        }
      }
      if (n === 1) this.superviseReset(tg, first, false);
      else {
        // Q.764 §2.10.3.2: GRS repeated on T22; maintenance alerted and GRS repeated at T23 intervals.
        this.startProc(tg, 'GRS', 'rst', first, group, { type: 'GRS', cic: first, rangeAndStatus: { range: n - 1 } }, this.procTimers(tg, 'T22', 'T23'));
      }
    }
  }

  /**
   * MTP-RESUME (Q.704 §2.2 primitives; the link or the destination is available again): reset
   * the circuits toward that point code (every trunk group when absent), unless a reset of the
   * trunk group is already under way.
   */
  mtpResume(pointCode?: number): void {
    for (const tg of this.byId.values()) {
      if (pointCode !== undefined && tg.farPointCode !== pointCode) continue;
      const busy = [...this.procs.values()].some((p) => p.tg === tg && (p.type === 'GRS' || p.type === 'RSC'));
      if (busy) continue;
      this.log.info({ tg: tg.id }, 'destination available: resetting every circuit of the trunk group');
      this.resetCircuits(tg, tg.circuits.cics());
    }
  }

  /** The circuits as we hold them (all of the group, or a range), with the procedures pending. */
  query(tgId: string, cic?: number, count = 1): CircuitReport[] {
    const tg = this.byId.get(tgId);
    if (!tg) return [];
    const cics = cic === undefined ? tg.circuits.cics() : this.range(tg, cic, count);
    return cics.map((c) => ({
      ...tg.circuits.get(c)!,
      pending: [...this.procs.values()].filter((p) => p.tg === tg && p.cics.includes(c)).map((p) => p.type),
    }));
  }

  /**
   * Asks the far end for the state of its circuits (CQM, Q.764 §2.10.4); resolves the CQR
   * contents as the far end reports them ("local" = the far end's side), or undefined after T28.
   */
  queryRemote(tgId: string, cic: number, count = 1): Promise<CircuitStateReport[] | undefined> {
    const tg = this.byId.get(tgId);
    if (!tg || count < 1 || count > maxRange(tg.variant)) return Promise.resolve(undefined);
    const key = this.key(tg, 'cqm', cic);
    this.queries.get(key)?.resolve(undefined);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.queries.delete(key);
        this.alarm(tg, 'CQM', cic, 'no CQR within T28');
        resolve(undefined);
      }, this.timersOf(tg.id).T28);
      this.queries.set(key, { count, timer, resolve });
      this.transmit(tg, { type: 'CQM', cic, rangeAndStatus: { range: count - 1 } });
    });
  }

  /** Supervision procedures in progress (all, or one trunk group's). */
  pendingProcedures(tgId?: string): PendingProcedure[] {
    const out: PendingProcedure[] = [];
    for (const p of new Set(this.procs.values())) {
      if (tgId !== undefined && p.tg.id !== tgId) continue;
      out.push({ trunkGroup: p.trunkGroup, type: p.type, cic: p.cic, count: p.count, hardware: p.hardware, alerted: p.alerted, sends: p.sends });
    }
    return out;
  }

  // ---------------------------------------------------------------- congestion

  private congestionOf(tg: IsupTrunkGroup): CongestionControl {
    let c = this.congestion.get(tg.id);
    if (!c) {
      const t = this.timersOf(tg.id);
      c = new CongestionControl(this.clock, t.T29, t.T30, (level, step) => {
        this.m.isupCongestionLevel.set({ trunk_group: tg.id }, level);
        this.log.info({ tg: tg.id, level, step }, 'automatic congestion control: adjacent exchange congestion changed');
      });
      this.congestion.set(tg.id, c);
    }
    return c;
  }

  /**
   * The adjacent exchange's automatic congestion level as last received in REL (Q.764 §2.11.2):
   * 0 normal, 1 or 2 congested, for routing to reduce traffic to the trunk group.
   */
  congestionLevel(tgId: string): number {
    return this.congestion.get(tgId)?.level ?? 0;
  }

  /** Level and traffic reduction step (raised per ACL outside T29, lowered per T30). */
  congestionState(tgId: string): { level: number; step: number } {
    const c = this.congestion.get(tgId);
    return { level: c?.level ?? 0, step: c?.step ?? 0 };
  }

  /** Our own overload (Q.764 §2.11.1): 1 or 2 puts that ACL in every REL we send; 0 stops. */
  setOwnCongestionLevel(level: number): void {
    this.ownAcl = level === 1 || level === 2 ? level : 0;
  }
}
