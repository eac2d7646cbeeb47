/**
 * Call transfer on the engine, both legs held by the switch (a B2BUA): a party's REFER (RFC 3515)
 * asks the policy of its call (Class 5, ../class5/features/transfer.ts) what it leads to, then
 *
 * - blind: 202 and NOTIFY "100 Trying" to the transferor; a new call from the transferee to the
 *   target (the policy's plan: an extension, or the PSTN through the LCR) offering the transferee's
 *   current SDP; when the target answers, the transferee is re-INVITEd with the target's SDP, the
 *   transferor gets NOTIFY "200 OK" and then BYE, and the old call ends (releasedBy `transfer`).
 *   A target that fails gives the transferor NOTIFY with the failure's status and the old call
 *   goes on (RFC 3515 §2.4.5: the transferor may take its party back);
 * - attended (Refer-To with Replaces, RFC 3891): the Replaces names the transferor's dialog of
 *   another call of the switch; the transferee and the other call's remaining party are joined in
 *   a new call (re-INVITE of each with the other's SDP), the transferor's two legs get BYE and it
 *   gets NOTIFY "200 OK" (481 or 486 in the sipfrag when the dialog is unknown or `early-only`).
 *
 * An INVITE with Replaces (RFC 3891 §3) is the same join seen from the new party: `replace`.
 * The new call writes its own CDR with `transferredBy` and `transferredFrom`; the old ones close.
 */
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import type { Logger } from '../util/log.js';
import type { Call, CallSide } from './call.js';
import { sipStatusForCause } from './interworking/cause-map.js';
import { HandedOverLeg } from './legs/handed-over-leg.js';
import type { CallParty, ConnectedLeg, DialogKey, LegFailure, OriginatingLeg, ReferRequest } from './legs/leg.js';
import { callMetrics } from './metrics.js';
import type { CallPlan } from './plan.js';
import type { ReplacesTarget } from './transfer-policy.js';

const other = (side: CallSide): CallSide => (side === 'caller' ? 'callee' : 'caller');

export interface TransferDeps {
  /** Starts a call on the engine (CallManager.start). */
  start(a: OriginatingLeg, plan: CallPlan, callId?: string): Call;
  /** The active calls, to find the dialog a Replaces names. */
  calls(): Iterable<Call>;
  logger: Logger;
  registry?: Registry;
}

/** RFC 3891 §3: Call-ID and both tags, the to-tag being ours (the recipient's), either orientation accepted. */
function matches(key: DialogKey | undefined, r: ReplacesTarget): boolean {
  if (!key || key.callId !== r.callId) return false;
  return (key.localTag === r.toTag && key.remoteTag === r.fromTag) || (key.localTag === r.fromTag && key.remoteTag === r.toTag);
}

const failureStatus = (f: LegFailure) => (f.sipStatus && f.sipStatus >= 300 ? f.sipStatus : sipStatusForCause(f.cause));

export class CallTransfers {
  private readonly log: Logger;
  private readonly m: ReturnType<typeof callMetrics>;
  /** Calls with a transfer under way (one at a time per call). */
  private readonly busy = new WeakSet<Call>();

  constructor(private readonly d: TransferDeps) {
    this.log = d.logger.child({ component: 'transfer' });
    this.m = callMetrics(d.registry ?? new Registry());
  }

  /** The answered call and side holding the SIP dialog `r` names, if any. */
  findDialog(r: ReplacesTarget): { call: Call; side: CallSide } | undefined {
    for (const call of this.d.calls()) {
      for (const side of ['caller', 'callee'] as const) {
        if (matches(call.legOn(side)?.dialogKey?.(), r)) return { call, side };
      }
    }
    return undefined;
  }

  refer(call: Call, side: CallSide, refer: ReferRequest): void {
    const log = this.log.child({ callId: call.id, transferor: side });
    const policy = call.callPlan.transfer;
    const refuse = (kind: string, status: number, why: string) => {
      log.info({ status, why, referTo: refer.referTo }, 'transfer refused');
      this.m.transfersTotal.inc({ kind, result: 'refused' });
      refer.refuse(status);
    };
    if (!policy) return refuse('blind', 403, 'no transfer on this call');
    const transfereeSide = other(side);
    const transferee = call.legOn(transfereeSide);
    if (!transferee || !call.legOn(side)) return refuse('blind', 481, 'the call is not answered');
    if (this.busy.has(call)) return refuse('blind', 491, 'a transfer is already under way on this call');
    const parties = call.callPlan.parties ?? {};
    const decision = policy({ referTo: refer.referTo, transferor: parties[side], transfereeNumber: call.numberOn(transfereeSide), transfereeExtension: parties[transfereeSide], transfereeKind: transferee.kind });
    if (decision.kind === 'refuse') return refuse(/[?&]replaces=/i.test(refer.referTo) ? 'attended' : 'blind', decision.status, decision.why);
    const transferredBy = parties[side] ?? call.numberOn(side) ?? side;
    if (!transferee.currentSdp?.()) return refuse(decision.kind, 488, 'the transferee’s media description is not known (its leg cannot be handed to another call)');
    if (decision.kind === 'blind') return this.blind(call, side, transferee, refer, decision.plan, decision.target, transferredBy, log, decision.callId);
    return this.attended(call, side, transferee, refer, decision.replaces, decision.target, transferredBy, log);
  }

  private blind(call: Call, side: CallSide, transferee: ConnectedLeg, refer: ReferRequest, plan: CallPlan, target: string, transferredBy: string, log: Logger, callId: string = randomUUID()): void {
    const transfereeSide = other(side);
    this.busy.add(call);
    refer.accept();
    log.info({ target }, 'blind transfer: calling the target');
    let joined = false;
    const leg = new HandedOverLeg(transferee, {
      party: { calling: call.numberOn(transfereeSide), called: target },
      detach: () => call.detach(transfereeSide),
      onJoined: () => {
        joined = true;
        log.info({ target, newCallId: next.id }, 'blind transfer completed; releasing the transferor');
        this.m.transfersTotal.inc({ kind: 'blind', result: 'completed' });
        // NOTIFY 200 first, then BYE: a transferor may refuse a NOTIFY once its dialog is gone.
        void refer.notify(200).finally(() => call.endByTransfer(side));
      },
      onNotJoined: (f) => {
        this.busy.delete(call);
        const status = failureStatus(f);
        log.info({ target, status, cause: f.cause }, 'blind transfer failed; the call goes on');
        this.m.transfersTotal.inc({ kind: 'blind', result: 'failed' });
        void refer.notify(status);
      },
    });
    const next = this.d.start(leg, { ...plan, cdr: { ...plan.cdr, customer: plan.cdr.customer ?? call.callPlan.cdr.customer, transferredBy, transferredFrom: call.id } }, callId);
    // The transferee (or the transferor) hung up while the target was ringing: the new call has no one to join.
    void call.done.then(() => {
      if (!joined) next.release(16);
    });
  }

  private attended(call: Call, side: CallSide, transferee: ConnectedLeg, refer: ReferRequest, replaces: ReplacesTarget, target: string, transferredBy: string, log: Logger): void {
    const found = this.findDialog(replaces);
    const done = (result: string, status: number, why: string) => {
      log.info({ status, why, replaces: replaces.callId }, `attended transfer ${result}`);
      this.m.transfersTotal.inc({ kind: 'attended', result });
      void refer.notify(status);
    };
    if (found && found.call.callPlan.cdr.customer !== call.callPlan.cdr.customer) {
      this.m.transfersTotal.inc({ kind: 'attended', result: 'refused' });
      log.info({ replaces: replaces.callId }, 'attended transfer refused: the replaced dialog belongs to another customer');
      return refer.refuse(403);
    }
    refer.accept();
    // RFC 3891 §3: no such confirmed dialog → 481; `early-only` on a confirmed one → 486.
    if (!found || found.call === call) return done('failed', 481, 'no call of the switch has that dialog');
    if (replaces.earlyOnly) return done('failed', 486, 'early-only, and the dialog is confirmed');
    const { call: second, side: replacedSide } = found;
    const partySide = other(replacedSide);
    const party = second.legOn(partySide);
    if (!party) return done('failed', 481, 'the replaced call has no answered party');
    this.busy.add(call);
    const join = this.join(call, other(side), transferee, second, partySide, party, {
      transferredBy,
      log,
      onJoined: () => {
        done('completed', 200, 'transferee and target joined');
        // Both of the transferor's legs go: the replaced one now, the REFER's one after its NOTIFY.
        second.endByTransfer(replacedSide);
        void refer.notify(200).finally(() => call.endByTransfer(side));
      },
      onFailed: (f) => {
        this.busy.delete(call);
        // The target may have been taken already (its re-INVITE went through): its old call is left with the transferor alone.
        if (second.state === 'answered' && !second.legOn(partySide)) second.endByTransfer(replacedSide);
        done('failed', failureStatus(f), 'the parties could not be joined');
      },
    });
    log.info({ newCallId: join.id, target, replacedCall: second.id }, 'attended transfer: joining the transferee with the target');
  }

  /**
   * A new call joining `aLeg` (taken from `aCall`) as caller with `bLeg` (taken from `bCall`) as
   * callee: the caller's SDP is offered to the callee, the callee's answer to the caller.
   */
  private join(
    aCall: Call,
    aSide: CallSide,
    aLeg: ConnectedLeg,
    bCall: Call,
    bSide: CallSide,
    bLeg: ConnectedLeg,
    o: { transferredBy: string; log: Logger; onJoined(): void; onFailed(f: LegFailure): void },
  ): Call {
    const party: CallParty = { calling: aCall.numberOn(aSide), called: bCall.numberOn(bSide) ?? '' };
    let failed = false;
    const fail = (f: LegFailure) => {
      if (failed) return;
      failed = true;
      o.onFailed(f);
    };
    const callee = new HandedOverLeg(bLeg, { party, detach: () => bCall.detach(bSide), onNotJoined: fail });
    const caller = new HandedOverLeg(aLeg, { party, detach: () => aCall.detach(aSide), onJoined: o.onJoined, onNotJoined: fail });
    const plan: CallPlan = {
      destinations: [{ label: `join ${party.called}`, leg: () => callee }],
      advanceOn: () => false,
      direction: 'sip-to-sip',
      cdr: { customer: aCall.callPlan.cdr.customer, routedNumber: party.called, transferredBy: o.transferredBy, transferredFrom: `${aCall.id},${bCall.id}` },
      parties: { caller: aCall.callPlan.parties?.[aSide], callee: bCall.callPlan.parties?.[bSide] },
      transfer: aCall.callPlan.transfer ?? bCall.callPlan.transfer,
    };
    return this.d.start(caller, plan, randomUUID());
  }

  /**
   * An INVITE with Replaces (RFC 3891 §3): `newcomer` (the INVITE's leg, not yet answered) takes the
   * place of the replaced dialog's party; the other party of that call is re-INVITEd with its offer
   * and answers it. Returns the status to refuse the INVITE with, or undefined once the new call runs.
   */
  replace(newcomer: OriginatingLeg, replaces: ReplacesTarget, o: { customer?: string; newcomerExtension?: string; plan: Pick<CallPlan, 'transfer'> }): { status: number; why: string } | undefined {
    const found = this.findDialog(replaces);
    const refused = (status: number, why: string) => {
      this.m.transfersTotal.inc({ kind: 'attended', result: 'refused' });
      this.log.info({ status, why, replaces: replaces.callId }, 'INVITE with Replaces refused');
      return { status, why };
    };
    if (!found) return refused(481, 'no confirmed dialog matches the Replaces header');
    if (replaces.earlyOnly) return refused(486, 'early-only, and the dialog is confirmed');
    if (found.call.callPlan.cdr.customer !== o.customer) return refused(403, 'the replaced dialog belongs to another customer');
    const { call, side } = found;
    const partySide = other(side);
    const party = call.legOn(partySide);
    if (!party) return refused(481, 'the replaced call has no answered party');
    const log = this.log.child({ callId: call.id });
    const replacedBy = newcomer.party.calling ?? 'unknown';
    const leg = new HandedOverLeg(party, {
      party: newcomer.party,
      detach: () => call.detach(partySide),
      onJoined: () => {
        log.info({ side }, 'dialog replaced (RFC 3891): releasing the replaced party');
        this.m.transfersTotal.inc({ kind: 'attended', result: 'completed' });
        call.endByTransfer(side);
      },
      onNotJoined: (f) => {
        log.info({ cause: f.cause, sipStatus: f.sipStatus }, 'dialog could not be replaced; the call goes on');
        this.m.transfersTotal.inc({ kind: 'attended', result: 'failed' });
      },
    });
    const plan: CallPlan = {
      destinations: [{ label: `replaces ${replaces.callId}`, leg: () => leg }],
      advanceOn: () => false,
      direction: 'sip-to-sip',
      cdr: { customer: o.customer, routedNumber: call.numberOn(partySide), transferredBy: replacedBy, transferredFrom: call.id },
      parties: { caller: o.newcomerExtension, callee: call.callPlan.parties?.[partySide] },
      transfer: o.plan.transfer ?? call.callPlan.transfer,
    };
    this.d.start(newcomer, plan, randomUUID());
    return undefined;
  }
}
