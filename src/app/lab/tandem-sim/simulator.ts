/**
 * An ILEC access tandem as seen over ISUP, for operators' labs and the switch's own tests:
 * it takes calls (IAM) on its circuits and answers, rejects, lets ring, or releases first,
 * by called-number rules, with configurable alerting and answer delays; and it originates calls
 * toward the switch (an IAM on one of its circuits, as a PSTN caller dialling a CLEC DID). It
 * runs real ISUP call control (the same FSM as the switch) so its timers and release handling
 * are genuine.
 */
import { EventEmitter } from 'node:events';
import type { TandemSimConfig } from '../config.js';
import type { Clock, TimerHandle } from '../../../util/clock.js';
import type { Logger } from '../../../util/log.js';
import { defaultIsupTimers, type IsupSendRequest } from '../../../ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../../../ss7/isup/call-runner.js';
import { buildIam, buildRel } from '../../../ss7/isup/builders.js';
import { eventForMessage, messageForRequest } from '../../../ss7/isup/call-messages.js';
import { findOptional, type IamMessage, type IsupMessage } from '../../../ss7/isup/messages.js';
import type { IsupService, IsupTrunkGroup } from '../../../ss7/isup/service.js';
import { TandemRules, type TandemDecision, type TandemRuleInput } from './rules.js';

/**
 * Q.764 / T1.113.4 default timers per variant, made once: the runner's timer resolution remembers
 * a given object, so handing it the same one on every call costs a lookup, not a 30-field copy and
 * a new cache entry per call.
 */
const SIM_TIMERS = { itu: defaultIsupTimers('itu'), ansi: defaultIsupTimers('ansi') };

export interface SimCallRecord {
  /** `incoming`: the switch called the tandem; `outgoing`: the tandem originated toward the switch. */
  direction: 'incoming' | 'outgoing';
  cic: number;
  trunkGroup: string;
  called: string;
  calling?: string;
  decision: TandemDecision;
  state: string;
  /** Every message on the circuit, in order, as "rx:IAM" / "tx:ACM". */
  messages: string[];
  releaseCause?: number;
  /** The REL received from the switch: its cause and automatic congestion level (Q.764 §2.11), if any. */
  rel?: { cause: number; acl?: number };
  /** The IAM as received (or sent, for an originated call), for inspection. */
  iam: IamMessage;
  /** Received backward messages' Q.850 cause and indicators worth checking (originated calls). */
  acm?: { calledStatus: number; inband: boolean };
  answered?: boolean;
}

export interface OriginateRequest {
  called: string;
  calling?: string;
  /** Calling number presentation restricted. */
  callingRestricted?: boolean;
  /** The switch's trunk group id to seize a circuit of; the first with an idle circuit when absent. */
  trunkGroup?: string;
  /** Release with cause 16 after this long answered; without it the tandem waits for the switch's REL. */
  holdMs?: number;
  /** Release (cause 16) after this long if not answered by then (abandoned call). */
  abandonMs?: number;
  jurisdiction?: string;
  chargeNumber?: string;
  /** Ask the switch for a continuity check on the circuit (nature of connection: check on this circuit). */
  continuityCheck?: boolean;
}

interface SimCall {
  record: SimCallRecord;
  runner: IsupCallRunner;
  tg: IsupTrunkGroup;
  timers: TimerHandle[];
  detach: () => void;
  /** Cause to put in our REL. */
  releaseCause: number;
}

/** Events: 'call' (record) on IAM, 'ended' (record) when the circuit is idle again. */
export class TandemSimulator extends EventEmitter {
  private readonly calls = new Map<string, SimCall>();
  private readonly rules: TandemRules;
  readonly history: SimCallRecord[] = [];

  constructor(
    private readonly isup: IsupService,
    private readonly cfg: TandemSimConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    super();
    this.rules = new TandemRules(cfg);
    isup.on('incoming-iam', (tg: IsupTrunkGroup, iam: IamMessage) => this.onIam(tg, iam));
  }

  private onIam(tg: IsupTrunkGroup, iam: IamMessage): void {
    const key = `${tg.id}/${iam.cic}`;
    if (!tg.circuits.seizeIncoming(iam.cic, key)) {
      // Q.764 §2.9.1: dual seizure or blocked circuit; this simple tandem refuses with cause 34.
      this.isup.send(tg.id, buildRel(iam.cic, 34));
      return;
    }
    const called = iam.calledPartyNumber.digits;
    const callingParam = iam.optional.find((p) => p.name === 'callingPartyNumber');
    const decision = this.rules.decide(called, tg.id);
    const record: SimCallRecord = {
      direction: 'incoming',
      cic: iam.cic,
      trunkGroup: tg.id,
      called,
      calling: callingParam && callingParam.name === 'callingPartyNumber' ? callingParam.value.digits : undefined,
      decision,
      state: 'incoming-setup',
      messages: ['rx:IAM'],
      iam,
    };
    const call: SimCall = {
      record,
      tg,
      timers: [],
      releaseCause: decision.cause,
      detach: () => undefined,
      runner: new IsupCallRunner({
        clock: this.clock,
        timers: SIM_TIMERS[tg.variant],
        send: (req) => this.send(call, req),
        indicate: (ind) => {
          // After the FSM's remaining actions (the RLC that follows a 'released') have gone out.
          // A release of our own (T7/T9 expiry) ends only with RLC: the circuit stays busy until then.
          if (ind.kind === 'released' && ind.by !== 'remote') call.releaseCause = ind.cause;
          if ((ind.kind === 'released' && ind.by === 'remote') || ind.kind === 'release-complete') queueMicrotask(() => this.end(call, ind.kind === 'released' ? ind.cause : call.releaseCause));
        },
        unexpected: (e, s) => this.log.debug({ cic: iam.cic, event: e.name, state: s }, 'tandem: unexpected event'),
      }),
    };
    call.detach = this.isup.attach(tg.id, iam.cic, (msg) => this.onMessage(call, msg));
    this.calls.set(key, call);
    this.history.push(record);
    if (this.history.length > 1000) this.history.shift();
    call.runner.handle({ name: 'ISUP_IAM' });
    this.log.info({ cic: iam.cic, called, action: decision.action }, 'tandem: IAM received');
    this.emit('call', record);
    this.plan(call, decision);
  }

  private plan(call: SimCall, d: TandemDecision): void {
    const at = (ms: number, fn: () => void) => call.timers.push(this.clock.setTimeout(fn, ms));
    if (d.action === 'reject') {
      at(d.delayMs, () => this.release(call, d.cause));
      return;
    }
    at(this.cfg.alertDelayMs, () => call.runner.handle({ name: 'CC_ALERT_REQ' }));
    if (d.action === 'no-answer') return;
    at(Math.max(this.cfg.answerDelayMs, this.cfg.alertDelayMs), () => {
      call.runner.handle({ name: 'CC_ANSWER_REQ' });
      if (d.action === 'release-after-answer') at(d.delayMs, () => this.release(call, d.cause));
    });
  }

  private release(call: SimCall, cause: number): void {
    call.releaseCause = cause;
    call.runner.handle({ name: 'CC_RELEASE_REQ', cause });
  }

  /**
   * Originates a call toward the switch: seizes an idle circuit (glare-aware, as an exchange
   * does), sends the IAM and follows the call. Undefined when no circuit is free.
   */
  originate(req: OriginateRequest): { trunkGroup: string; cic: number } | undefined {
    const groups = req.trunkGroup ? [this.isup.trunkGroup(req.trunkGroup)].filter((g): g is IsupTrunkGroup => !!g) : this.isup.trunkGroups;
    for (const tg of groups) {
      const ref = `orig:${tg.id}:${Date.now()}:${Math.random()}`;
      const circuit = tg.circuits.seizeOutgoing(ref);
      if (!circuit) continue;
      const cic = circuit.cic;
      const key = `${tg.id}/${cic}`;
      const iam = buildIam({ cic, variant: tg.variant, called: req.called, calling: req.calling, callingRestricted: req.callingRestricted, jurisdiction: req.jurisdiction });
      if (req.continuityCheck) iam.natureOfConnection = { ...iam.natureOfConnection, continuityCheck: 1 };
      if (req.chargeNumber && tg.variant === 'ansi') iam.optional.push({ name: 'chargeNumber', value: { nai: 3, ni: false, npi: 1, presentation: 0, screening: 0, digits: req.chargeNumber } });
      const record: SimCallRecord = {
        direction: 'outgoing',
        cic,
        trunkGroup: tg.id,
        called: req.called,
        calling: req.calling,
        decision: { action: 'answer', cause: 16, delayMs: req.holdMs ?? 0 },
        state: 'outgoing-setup',
        messages: [],
        iam,
      };
      const call: SimCall = {
        record,
        tg,
        timers: [],
        releaseCause: 16,
        detach: () => undefined,
        runner: new IsupCallRunner({
          clock: this.clock,
          timers: SIM_TIMERS[tg.variant],
          send: (r) => this.send(call, r),
          indicate: (ind) => {
            if (ind.kind === 'answer') {
              record.answered = true;
              if (req.holdMs !== undefined) call.timers.push(this.clock.setTimeout(() => this.release(call, 16), req.holdMs));
            }
            if (ind.kind === 'released' && ind.by !== 'remote') call.releaseCause = ind.cause;
            if ((ind.kind === 'released' && ind.by === 'remote') || ind.kind === 'release-complete') queueMicrotask(() => this.end(call, ind.kind === 'released' ? ind.cause : call.releaseCause, ref));
          },
          unexpected: (e, st) => this.log.debug({ cic, event: e.name, state: st }, 'tandem: unexpected event'),
        }),
      };
      call.detach = this.isup.attach(tg.id, cic, (msg) => {
        if (msg.type === 'ACM') record.acm = { calledStatus: msg.backwardCall.calledStatus, inband: msg.optional.some((p) => p.name === 'optionalBackwardCallIndicators' && p.value.inbandInfo) };
        if (msg.type === 'IAM') {
          // Dual seizure: the switch's IAM crossed ours. The simulator yields only when the switch controls the circuit.
          if (tg.circuits.controls(cic)) return;
          this.end(call, 34, ref);
          return;
        }
        this.onMessage(call, msg);
      });
      this.calls.set(key, call);
      this.history.push(record);
      if (this.history.length > 1000) this.history.shift();
      if (req.abandonMs !== undefined) call.timers.push(this.clock.setTimeout(() => !record.answered && this.release(call, 16), req.abandonMs));
      this.log.info({ tg: tg.id, cic, called: req.called }, 'tandem: originating a call');
      call.runner.handle({ name: 'CC_SETUP_REQ' });
      this.emit('call', record);
      return { trunkGroup: tg.id, cic };
    }
    return undefined;
  }

  /** Adds a rule ahead of the configured ones (lab control). */
  addRule(rule: TandemRuleInput): void {
    this.rules.add(rule);
  }

  /** Release the call on a circuit from the tandem side (lab control). False when no call is there. */
  releaseCall(trunkGroup: string, cic: number, cause = 16): boolean {
    const call = this.calls.get(`${trunkGroup}/${cic}`);
    if (!call) return false;
    this.release(call, cause);
    return true;
  }

  private onMessage(call: SimCall, msg: IsupMessage): void {
    call.record.messages.push(`rx:${msg.type}`);
    if (msg.type === 'REL') call.record.rel = { cause: msg.cause.cause, acl: findOptional(msg, 'automaticCongestionLevel') };
    if (msg.type === 'RSC') this.end(call, 41);
    else {
      const event = eventForMessage(msg);
      if (event) call.runner.handle(event);
      else this.log.debug({ cic: msg.cic, type: msg.type }, 'tandem: message ignored in call');
    }
    call.record.state = call.runner.state;
  }

  private send(call: SimCall, req: IsupSendRequest): void {
    // The IAM is the one received (a call to the tandem) or the one built by originate().
    const msg = messageForRequest(req, call.record.cic, () => call.record.iam);
    call.record.messages.push(`tx:${msg.type}`);
    call.record.state = call.runner.state;
    this.isup.send(call.tg.id, msg);
  }

  private end(call: SimCall, cause: number, ref?: string): void {
    const key = `${call.tg.id}/${call.record.cic}`;
    if (this.calls.get(key) !== call) return;
    this.calls.delete(key);
    for (const t of call.timers) this.clock.clearTimeout(t);
    call.runner.dispose();
    call.detach();
    call.tg.circuits.release(call.record.cic, ref);
    call.record.releaseCause = cause;
    call.record.state = 'idle';
    this.emit('ended', call.record);
  }

  activeCalls(): SimCallRecord[] {
    return [...this.calls.values()].map((c) => c.record);
  }

  close(): void {
    for (const c of [...this.calls.values()]) this.end(c, 41);
  }
}
