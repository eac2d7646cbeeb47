/**
 * A minimal call-control layer over an IsupService for tests: originates calls (with the repeat
 * attempt after dual seizure that the call layer makes), answers incoming ones by a policy, and
 * ends every call the way the real call layer does (dispose the runner, detach, free the circuit).
 * Synchronous except where the service itself defers (refusals, continuity).
 */
import type { Clock } from '../../../src/util/clock.js';
import { buildIam } from '../../../src/ss7/isup/builders.js';
import type { IsupCallEvent, IsupCallIndication } from '../../../src/ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../../../src/ss7/isup/call-runner.js';
import { eventForMessage, messageForRequest } from '../../../src/ss7/isup/call-messages.js';
import type { IamMessage, IsupMessage } from '../../../src/ss7/isup/messages.js';
import type { IsupService, IsupTrunkGroup } from '../../../src/ss7/isup/service.js';

export interface AgentCall {
  id: string;
  tg: IsupTrunkGroup;
  cic: number;
  direction: 'out' | 'in';
  runner: IsupCallRunner;
  indications: IsupCallIndication[];
  /** How the call ended: 'released' (cause), 'reset', 'glare' (backed off), or undefined while up. */
  end?: { how: 'released' | 'complete' | 'reset' | 'glare' | 'send-failed'; cause?: number };
  iam?: IamMessage;
  handle(e: IsupCallEvent): boolean;
}

export type IncomingPolicy = (call: AgentCall) => void;

export class TestCallAgent {
  readonly calls = new Map<string, AgentCall>();
  readonly ended: AgentCall[] = [];
  private seq = 0;
  /** Counts: glare back-offs, repeat attempts, calls that found no circuit. */
  glare = 0;
  repeats = 0;
  noCircuit = 0;
  keepEnded = true;
  onEnd?: (call: AgentCall) => void;
  onIndication?: (call: AgentCall, ind: IsupCallIndication) => void;

  constructor(
    readonly isup: IsupService,
    private readonly clock: Clock,
    private readonly name: string,
    public incoming: IncomingPolicy = (c) => {
      c.handle({ name: 'CC_ALERT_REQ' });
      c.handle({ name: 'CC_ANSWER_REQ' });
    },
  ) {
    isup.on('incoming-iam', (tg: IsupTrunkGroup, iam: IamMessage) => this.onIam(tg, iam));
  }

  /** Seizes a circuit and sends the IAM; undefined when no circuit is free. */
  originate(tgId: string, opts: { called?: string; continuity?: boolean; avoid?: number; retryOnGlare?: boolean } = {}): AgentCall | undefined {
    const tg = this.isup.trunkGroup(tgId)!;
    const id = `${this.name}-${++this.seq}`;
    const c = tg.circuits.seizeOutgoing(id, opts.avoid);
    if (!c) {
      this.noCircuit++;
      return undefined;
    }
    const iam = buildIam({ cic: c.cic, variant: tg.variant, called: opts.called ?? '2125550100', calling: '3125550000' });
    const call = this.makeCall(id, tg, c.cic, 'out', iam, (m) => {
      if (m.type === 'IAM') {
        // The service decided we back off (the far end controls the circuit): repeat elsewhere.
        if (call.runner.state === 'outgoing-setup') {
          this.glare++;
          this.finish(call, { how: 'glare' });
          if (opts.retryOnGlare !== false) {
            this.repeats++;
            this.originate(tgId, { ...opts, avoid: c.cic, retryOnGlare: false });
          }
        }
        return true;
      }
      return false;
    });
    call.handle({ name: 'CC_SETUP_REQ', continuityCheck: opts.continuity });
    return call;
  }

  private onIam(tg: IsupTrunkGroup, iam: IamMessage): void {
    const id = `${this.name}-in-${++this.seq}`;
    if (!tg.circuits.seizeIncoming(iam.cic, id)) {
      this.isup.send(tg.id, messageForRequest({ type: 'REL', cause: 34 }, iam.cic, () => iam));
      return;
    }
    const call = this.makeCall(id, tg, iam.cic, 'in', iam);
    // The service already ran any continuity check: the call starts at set-up.
    call.handle({ name: 'ISUP_IAM' });
    this.incoming(call);
  }

  private makeCall(id: string, tg: IsupTrunkGroup, cic: number, direction: 'out' | 'in', iam: IamMessage, special?: (m: IsupMessage) => boolean): AgentCall {
    const call: AgentCall = {
      id,
      tg,
      cic,
      direction,
      iam,
      indications: [],
      runner: undefined as unknown as IsupCallRunner,
      handle: (e) => call.runner.handle(e),
    };
    call.runner = new IsupCallRunner({
      clock: this.clock,
      timers: this.isup.timersOf(tg.id),
      variant: tg.variant,
      send: (req) => {
        const ok = this.isup.send(tg.id, messageForRequest(req, cic, () => iam));
        if (!ok && req.type === 'IAM') this.finish(call, { how: 'send-failed' });
      },
      indicate: (ind) => {
        call.indications.push(ind);
        this.onIndication?.(call, ind);
        if (ind.kind === 'released' && ind.by === 'remote') this.finish(call, { how: 'released', cause: ind.cause });
        else if (ind.kind === 'release-complete') this.finish(call, { how: 'complete' });
      },
    });
    const detach = this.isup.attach(tg.id, cic, (m) => {
      if (special?.(m)) return;
      if (m.type === 'RSC') return this.finish(call, { how: 'reset' });
      const ev = eventForMessage(m);
      if (ev) call.runner.handle(ev);
    });
    (call as AgentCall & { detach: () => void }).detach = detach;
    this.calls.set(id, call);
    return call;
  }

  /** Ends the call as the call layer does; sends of the event being handled (RLC) still go out. */
  private finish(call: AgentCall, end: NonNullable<AgentCall['end']>): void {
    if (call.end) return;
    call.end = end;
    call.runner.dispose();
    (call as AgentCall & { detach: () => void }).detach();
    call.tg.circuits.release(call.cic, call.id);
    this.calls.delete(call.id);
    if (this.keepEnded) this.ended.push(call);
    this.onEnd?.(call);
  }

  /** The live call on a circuit. */
  on(cic: number): AgentCall | undefined {
    for (const c of this.calls.values()) if (c.cic === cic) return c;
    return undefined;
  }
}
