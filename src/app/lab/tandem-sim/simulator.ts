/**
 * An ILEC access tandem as seen over ISUP, for operators' labs and the switch's own tests:
 * it takes calls (IAM) on its circuits and answers, rejects, lets ring, or releases first,
 * by called-number rules, with configurable alerting and answer delays. It runs real ISUP
 * call control (the same FSM as the switch) so its timers and release handling are genuine.
 */
import { EventEmitter } from 'node:events';
import type { TandemSimConfig } from '../config.js';
import type { Clock, TimerHandle } from '../../../util/clock.js';
import type { Logger } from '../../../util/log.js';
import { defaultIsupTimers, type IsupSendRequest } from '../../../ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../../../ss7/isup/call-runner.js';
import { buildRel } from '../../../ss7/isup/builders.js';
import { eventForMessage, messageForRequest } from '../../../ss7/isup/call-messages.js';
import type { IamMessage, IsupMessage } from '../../../ss7/isup/messages.js';
import type { IsupService, IsupTrunkGroup } from '../../../ss7/isup/service.js';
import { TandemRules, type TandemDecision, type TandemRuleInput } from './rules.js';

export interface SimCallRecord {
  cic: number;
  trunkGroup: string;
  called: string;
  calling?: string;
  decision: TandemDecision;
  state: string;
  /** Every message on the circuit, in order, as "rx:IAM" / "tx:ACM". */
  messages: string[];
  releaseCause?: number;
  /** The IAM as received, for inspection. */
  iam: IamMessage;
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
        timers: defaultIsupTimers(tg.variant),
        send: (req) => this.send(call, req),
        indicate: (ind) => {
          // After the FSM's remaining actions (the RLC that follows a 'released') have gone out.
          if (ind.kind === 'released' || ind.kind === 'release-complete') queueMicrotask(() => this.end(call, ind.kind === 'released' ? ind.cause : call.releaseCause));
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
    if (msg.type === 'RSC') this.end(call, 41);
    else {
      const event = eventForMessage(msg);
      if (event) call.runner.handle(event);
      else this.log.debug({ cic: msg.cic, type: msg.type }, 'tandem: message ignored in call');
    }
    call.record.state = call.runner.state;
  }

  private send(call: SimCall, req: IsupSendRequest): void {
    // The tandem never originates (no IAM of its own); an IAM request would be a programming error.
    const msg = messageForRequest(req, call.record.cic, () => call.record.iam);
    call.record.messages.push(`tx:${msg.type}`);
    call.record.state = call.runner.state;
    this.isup.send(call.tg.id, msg);
  }

  private end(call: SimCall, cause: number): void {
    const key = `${call.tg.id}/${call.record.cic}`;
    if (this.calls.get(key) !== call) return;
    this.calls.delete(key);
    for (const t of call.timers) this.clock.clearTimeout(t);
    call.runner.dispose();
    call.detach();
    call.tg.circuits.release(call.record.cic);
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
