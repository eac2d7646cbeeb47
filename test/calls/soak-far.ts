/**
 * The far exchange of the soak: an ISUP exchange on the other end of an MTP-TRANSFER wire with
 * latency, scripted by a seeded PRNG. Each of its calls runs the real ISUP call control
 * (IsupCallRunner, so its REL/RLC, T1/T5 are genuine); around them it answers, refuses, rings
 * for ever, stays silent, releases first, ignores the switch's REL, resets circuits (RSC, GRS)
 * mid-call, originates calls (to DIDs, transit numbers, unallocated numbers) and seizes a circuit
 * the switch has just sent an IAM on (dual seizure, resolved as Q.764 §2.9.1.4 says).
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../src/util/clock.js';
import { decodeIsup, encodeIsup } from '../../src/ss7/isup/codec.js';
import { isIsupError, type IamMessage, type IsupMessage } from '../../src/ss7/isup/messages.js';
import { defaultIsupTimers, type IsupCallIndication } from '../../src/ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../../src/ss7/isup/call-runner.js';
import { eventForMessage, messageForRequest } from '../../src/ss7/isup/call-messages.js';
import { buildIam } from '../../src/ss7/isup/builders.js';
import type { MtpTransferData, MtpTransferLink } from '../../src/ss7/mtp3/transfer.js';
import { FAR_PC, OWN_PC } from './fakes.js';
import type { Rng } from './soak-rng.js';

interface JournalEntry {
  t: number;
  what: string;
  msg?: IsupMessage;
  /** The switch's circuit state then. */
  call?: string;
  ref?: string;
}

/** The switch's end of the wire. Messages keep their order in each direction (one SLS stream). */
export class SoakWire extends EventEmitter implements MtpTransferLink {
  far!: SoakExchange;
  private lastToFar = 0;
  private lastToSwitch = 0;
  inFlight = 0;
  /** The switch's view of a circuit (state, owner), noted beside what the switch sends and gets. */
  switchCircuit: (cic: number) => { call: string; callRef?: string } | undefined = () => undefined;
  /** The last events on each CIC, kept unformatted (the journal is written on every message). */
  private readonly journal = new Map<number, JournalEntry[]>();
  /** The owner of the last IAM the switch sent on each CIC. */
  private readonly iamOwner = new Map<number, string | undefined>();
  /**
   * CICs where the switch refused an IAM (REL) while it held the circuit for an outgoing call
   * whose IAM was not out yet, then sent that IAM on the same CIC (see pre-iam-seizure.test.ts),
   * with the time it happened.
   */
  readonly relThenIam = new Map<number, number>();

  constructor(
    private readonly clock: Clock,
    private readonly latency: () => number,
  ) {
    super();
  }

  note(cic: number, what: string, msg?: IsupMessage, at?: { call: string; callRef?: string }): void {
    let list = this.journal.get(cic);
    if (!list) this.journal.set(cic, (list = []));
    list.push({ t: this.clock.now(), what, msg, call: at?.call, ref: at?.callRef });
    if (list.length > 40) list.shift();
  }

  history(cic: number): string[] {
    return (this.journal.get(cic) ?? []).map((e) => {
      const type = e.msg ? ` ${e.msg.type}${e.msg.type === 'REL' ? ` ${e.msg.cause.cause}` : ''}` : '';
      const sw = e.call ? ` [${e.call}${e.ref ? ` ${e.ref.slice(0, 8)}` : ''}]` : '';
      return `${(e.t % 1e7).toFixed(3)} ${e.what}${type}${sw}`;
    });
  }

  sendTransfer(pd: MtpTransferData): boolean {
    const msg = decodeIsup(pd.data, 'ansi');
    if (isIsupError(msg)) {
      this.far.ledger.anomaly(`switch sent undecodable ISUP: ${msg.detail}`);
      return true;
    }
    const at = this.switchCircuit(msg.cic);
    const snapshot = at && { call: at.call, callRef: at.callRef };
    this.note(msg.cic, 'switch sends', msg, snapshot);
    if (msg.type === 'IAM') {
      if (this.relThenIam.get(msg.cic) === -1) this.relThenIam.set(msg.cic, this.clock.now());
      this.iamOwner.set(msg.cic, at?.callRef);
    } else if (msg.type === 'REL' && at?.call === 'outgoing' && this.iamOwner.get(msg.cic) !== at.callRef) {
      this.relThenIam.set(msg.cic, -1);
    }
    this.far.tap(msg);
    this.carry('far', () => {
      this.note(msg.cic, 'far gets', msg);
      this.far.receive(msg, snapshot);
    });
    return true;
  }

  canReach(): boolean {
    return true;
  }

  toSwitch(msg: IsupMessage): void {
    const data = encodeIsup(msg, 'ansi');
    this.note(msg.cic, 'far sends', msg);
    this.carry('switch', () => {
      const at = this.switchCircuit(msg.cic);
      this.note(msg.cic, 'switch gets', msg, at && { call: at.call, callRef: at.callRef });
      this.emit('transfer', { opc: FAR_PC, dpc: OWN_PC, si: 5, ni: 2, mp: 0, sls: msg.cic & 0x1f, data } satisfies MtpTransferData);
    });
  }

  private carry(to: 'far' | 'switch', deliver: () => void): void {
    const now = this.clock.now();
    const at = Math.max(now + this.latency(), (to === 'far' ? this.lastToFar : this.lastToSwitch) + 0.001);
    if (to === 'far') this.lastToFar = at;
    else this.lastToSwitch = at;
    this.inFlight++;
    this.clock.setTimeout(() => {
      this.inFlight--;
      deliver();
    }, at - now);
  }
}

/** What the far exchange does with a call the switch places on it. */
export type FarInScript =
  | { kind: 'answer'; alertMs: number; answerMs: number; cpg: boolean; releaseAfterMs?: number; deaf: boolean; reset?: FarReset }
  | { kind: 'reject'; alertFirst: boolean; atMs: number; cause: number }
  | { kind: 'ring'; alertMs: number; reset?: FarReset }
  | { kind: 'silent' };

/** A call the far exchange originates toward the switch. */
export interface FarOutScript {
  called: string;
  /** Release this long after the IAM unless answered by then. */
  abandonMs?: number;
  /** Release this long after the answer (otherwise wait for the switch's REL). */
  releaseAfterMs?: number;
  reset?: FarReset;
}

/** Reset the call's circuit (RSC) or a few around it (GRS) this long after the IAM. */
export interface FarReset {
  afterMs: number;
  group: boolean;
}

export class FarLedger {
  readonly counts: Record<string, number> = {};
  readonly anomalies: string[] = [];
  count(what: string): void {
    this.counts[what] = (this.counts[what] ?? 0) + 1;
  }
  /** First examples (with the CIC's recent messages) of events worth a look that are not anomalies. */
  readonly examples: Record<string, string[]> = {};
  example(kind: string, cic: number): void {
    const list = (this.examples[kind] ??= []);
    if (list.length < 2) list.push(this.history(cic).join(' | '));
  }
  /** Explains an anomaly on a CIC (its recent messages); set by the exchange. */
  history: (cic: number) => string[] = () => [];
  /** Anomalies that follow a known switch defect (by name), with a first example each; not counted as anomalies. */
  readonly known: Record<string, { count: number; example: string }> = {};
  anomaly(what: string, cic?: number, knownDefect?: string): void {
    const text = cic === undefined ? what : `${what} | ${this.history(cic).join(' | ')}`;
    if (knownDefect) {
      const k = (this.known[knownDefect] ??= { count: 0, example: text });
      k.count++;
      return;
    }
    this.count('anomaly');
    if (this.anomalies.length < 20) this.anomalies.push(text);
  }
}

interface FarCall {
  cic: number;
  dir: 'in' | 'out';
  runner: IsupCallRunner;
  timers: TimerHandle[];
  answered: boolean;
  /** Ignores the switch's REL (no RLC): the switch's T1/T5 and RSC must clear the circuit. */
  deaf: boolean;
  /** A backward message (ACM, CPG, ANM, REL, RLC) came for our IAM: no dual seizure any more. */
  heard: boolean;
  /** The switch's call on the circuit (its circuit owner, i.e. its call id), once known. */
  switchCall?: string;
  /** When we released the answered call (CC_RELEASE_REQ in 'answered'). */
  releasedAt?: number;
  /** Their REL crossed ours: the switch released too, so ours was not the first release. */
  collided?: boolean;
  onAnswer?: () => void;
}

export interface FarOptions {
  /** CICs of each trunk group (the switch's ids), e.g. { tg: [1..48], tg2: [101..148] }. */
  groups: Record<string, number[]>;
  /** Where the far exchange originates its calls. */
  originateOn: string;
  /** The script for a call the switch places. */
  inScript: () => FarInScript;
  /** The script for a call the far exchange originates (also the crossing IAM of a dual seizure). */
  outScript: () => FarOutScript;
  /** Chance that the switch's IAM is crossed by one of ours on the same circuit. */
  glare: number;
  /** Chance that the switch's REL of an answered call is crossed by ours. */
  collision: number;
}

export class SoakExchange {
  readonly ledger = new FarLedger();
  private readonly calls = new Map<number, FarCall>();
  /** Circuits we reset, awaiting RLC (after RSC) or GRA (after GRS). */
  private readonly resetting = new Map<number, 'RSC' | 'GRS'>();
  /** Circuits whose release collided (REL both ways): the far end's RLC is still to come, and is not a reset's. */
  private readonly lateRlc = new Set<number>();
  private readonly groupOf = new Map<number, number[]>();
  private readonly timers = defaultIsupTimers('ansi');

  constructor(
    private readonly wire: SoakWire,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly opts: FarOptions,
  ) {
    wire.far = this;
    this.ledger.history = (cic) => wire.history(cic);
    for (const cics of Object.values(opts.groups)) for (const c of cics) this.groupOf.set(c, cics);
  }

  /**
   * The switch's calls (by call id) whose answered call we released before the switch released it
   * (our REL answered by RLC, no REL crossing it), and which party we were: their CDR must say so.
   */
  readonly firstReleases = new Map<string, 'caller' | 'callee'>();

  get activeCalls(): number {
    return this.calls.size;
  }

  get pendingResets(): number {
    return this.resetting.size;
  }

  /** Q.764 §2.9.1.4 a): the exchange with the higher point code controls the even circuits. */
  private controls(cic: number): boolean {
    return (cic % 2 === 0) === FAR_PC > OWN_PC;
  }

  /**
   * The known switch defect behind a confused circuit, if it happened there lately: REL then IAM
   * on a circuit it held for an outgoing call (test/calls/pre-iam-seizure.test.ts).
   */
  private explained(cic: number): string | undefined {
    const at = this.wire.relThenIam.get(cic);
    return at !== undefined && at >= 0 && this.clock.now() - at < 300_000 ? 'REL then IAM on a circuit held for an outgoing call' : undefined;
  }

  private send(msg: IsupMessage): void {
    this.wire.toSwitch(msg);
  }

  /** The switch is sending `msg` now (not yet arrived): a crossing IAM or REL starts here. */
  tap(msg: IsupMessage): void {
    if (msg.type === 'IAM' && !this.calls.has(msg.cic) && !this.resetting.has(msg.cic) && this.rng.chance(this.opts.glare)) {
      this.ledger.count('glare:injected');
      this.originateOn(msg.cic, this.opts.outScript());
    } else if (msg.type === 'REL') {
      const c = this.calls.get(msg.cic);
      if (c && !c.deaf && c.runner.state === 'answered' && this.rng.chance(this.opts.collision)) {
        this.ledger.count('collision:injected');
        this.release(c, 16);
      }
    }
  }

  /** A message from the switch; `sw` is the switch's circuit (state, owner) when it sent it. */
  receive(msg: IsupMessage, sw?: { call: string; callRef?: string }): void {
    const cic = msg.cic;
    switch (msg.type) {
      case 'IAM':
        return this.onIam(msg, sw?.call === 'outgoing' ? sw.callRef : undefined);
      case 'RSC': {
        // The switch's T5 ran out (or it reset the circuit): clear, answer RLC.
        const c = this.calls.get(cic);
        if (c) this.end(c, 'reset-by-switch');
        this.ledger.count('rsc-from-switch');
        return this.send({ type: 'RLC', cic, optional: [] });
      }
      case 'GRA':
        for (let i = 0; i <= msg.rangeAndStatus.range; i++) if (this.resetting.get(cic + i) === 'GRS') this.resetting.delete(cic + i);
        return this.ledger.count('gra');
      case 'UCIC':
      case 'CFN':
        return this.ledger.anomaly(`switch sent ${msg.type} on CIC ${cic}`, cic);
      case 'RLC':
        if (this.lateRlc.delete(cic)) return this.ledger.count('rlc-after-collision');
        if (this.resetting.get(cic) === 'RSC') {
          this.resetting.delete(cic);
          return this.ledger.count('rsc-acknowledged');
        }
        break;
    }
    const c = this.calls.get(cic);
    if (!c) {
      if (msg.type === 'REL') {
        // Q.764 §2.3.1: a REL on an idle circuit is answered with RLC.
        this.ledger.count('rel-on-idle');
        this.send({ type: 'RLC', cic, optional: [] });
      } else this.ledger.count(`stray:${msg.type}`);
      return;
    }
    // Our call's counterpart at the switch: the incoming call it answers ours with.
    if (c.dir === 'out' && !c.switchCall && sw?.call === 'incoming') c.switchCall = sw.callRef;
    if (msg.type === 'REL' && c.deaf) return this.ledger.count('rel-ignored(deaf)');
    // Q.764 §2.3.1: REL while awaiting RLC: both released at once; their RLC for our REL comes later.
    if (msg.type === 'REL' && c.runner.state === 'releasing') {
      this.lateRlc.add(cic);
      c.collided = true;
    }
    c.heard = true;
    const ev = eventForMessage(msg);
    if (ev) c.runner.handle(ev);
    else this.ledger.count(`unused:${msg.type}`);
  }

  private onIam(iam: IamMessage, switchCall: string | undefined): void {
    const cic = iam.cic;
    if (this.resetting.has(cic)) return this.ledger.count('iam-while-resetting');
    const c = this.calls.get(cic);
    if (c) {
      if (c.dir === 'out' && !c.heard && c.runner.state === 'releasing') {
        // Our IAM crossed theirs and we have released it already: our REL clears the circuit on both sides.
        return this.ledger.count('glare:after-our-rel');
      }
      if (c.dir === 'out' && c.runner.state === 'outgoing-setup') {
        // Dual seizure (Q.764 §2.9.1.4): the controlling exchange keeps its call; the other backs off.
        if (this.controls(cic)) return this.ledger.count('glare:far-keeps');
        this.ledger.count('glare:far-yields');
        this.end(c, 'glare');
      } else return this.ledger.anomaly(`IAM on CIC ${cic}, busy here (${c.dir}, ${c.runner.state})`, cic, this.explained(cic));
    }
    this.incoming(iam, this.opts.inScript()).switchCall = switchCall;
  }

  private newCall(cic: number, dir: 'in' | 'out', iam: IamMessage): FarCall {
    const call: FarCall = {
      cic,
      dir,
      timers: [],
      answered: false,
      deaf: false,
      heard: false,
      runner: new IsupCallRunner({
        clock: this.clock,
        timers: this.timers,
        send: (req) => this.send(messageForRequest(req, cic, () => iam)),
        indicate: (ind) => this.indicated(call, ind),
        unexpected: (e, s) => {
          this.ledger.count(`far-unexpected:${e.name}@${s}`);
          this.ledger.example(`far-unexpected:${e.name}@${s}`, cic);
        },
      }),
    };
    this.calls.set(cic, call);
    return call;
  }

  private indicated(call: FarCall, ind: IsupCallIndication): void {
    switch (ind.kind) {
      case 'answer':
        call.answered = true;
        call.onAnswer?.();
        return;
      case 'released':
        // A timer of ours (T7, T9) released: our REL is out, the circuit is busy until RLC.
        if (ind.by === 'local-timer') return this.ledger.count(`far-timer-release:${ind.cause}`);
        // After the runner's remaining actions (the RLC that follows a 'released').
        queueMicrotask(() => this.end(call, ind.kind));
        return;
      case 'release-complete':
        queueMicrotask(() => this.end(call, ind.kind));
        return;
      case 'maintenance-alert':
        this.ledger.count('far-t5-expired');
        return;
      default:
        return;
    }
  }

  private at(call: FarCall, ms: number, fn: () => void): void {
    call.timers.push(this.clock.setTimeout(() => this.calls.get(call.cic) === call && fn(), ms));
  }

  private release(call: FarCall, cause: number): void {
    const s = call.runner.state;
    if (s === 'idle' || s === 'releasing') return;
    if (s === 'answered') call.releasedAt = this.clock.now();
    call.runner.handle({ name: 'CC_RELEASE_REQ', cause });
  }

  private incoming(iam: IamMessage, s: FarInScript): FarCall {
    const call = this.newCall(iam.cic, 'in', iam);
    call.runner.handle({ name: 'ISUP_IAM' });
    this.ledger.count(`in:${s.kind}`);
    switch (s.kind) {
      case 'answer':
        call.deaf = s.deaf;
        this.at(call, s.alertMs, () => call.runner.handle({ name: 'CC_ALERT_REQ' }));
        if (s.cpg) this.at(call, s.alertMs + s.answerMs / 2, () => call.runner.handle({ name: 'CC_PROGRESS_REQ' }));
        this.at(call, s.alertMs + s.answerMs, () => {
          call.runner.handle({ name: 'CC_ANSWER_REQ' });
          if (s.releaseAfterMs !== undefined) this.at(call, s.releaseAfterMs, () => this.release(call, 16));
        });
        if (s.reset) this.at(call, s.reset.afterMs, () => this.reset(call, s.reset!.group));
        return call;
      case 'reject':
        if (s.alertFirst) this.at(call, s.atMs / 2, () => call.runner.handle({ name: 'CC_ALERT_REQ' }));
        this.at(call, s.atMs, () => this.release(call, s.cause));
        return call;
      case 'ring':
        this.at(call, s.alertMs, () => call.runner.handle({ name: 'CC_ALERT_REQ' }));
        if (s.reset) this.at(call, s.reset.afterMs, () => this.reset(call, s.reset!.group));
        return call;
      case 'silent':
        return call;
    }
  }

  /** Originates a call on an idle circuit of `originateOn` (ours, the even ones, preferred); false when none. */
  originate(s: FarOutScript): boolean {
    const cics = this.opts.groups[this.opts.originateOn];
    const idle = cics.filter((c) => !this.calls.has(c) && !this.resetting.has(c));
    if (idle.length === 0) {
      this.ledger.count('out:no-circuit');
      return false;
    }
    const ours = idle.filter((c) => this.controls(c));
    this.originateOn(this.rng.pick(ours.length && this.rng.chance(0.8) ? ours : idle), s);
    return true;
  }

  private originateOn(cic: number, s: FarOutScript): void {
    const iam = buildIam({ cic, variant: 'ansi', called: s.called, calling: '3125550000' });
    const call = this.newCall(cic, 'out', iam);
    this.ledger.count('out:originated');
    const after = s.releaseAfterMs;
    if (after !== undefined) call.onAnswer = () => this.at(call, after, () => this.release(call, 16));
    if (s.abandonMs !== undefined) this.at(call, s.abandonMs, () => !call.answered && this.release(call, 16));
    if (s.reset) this.at(call, s.reset.afterMs, () => this.reset(call, s.reset!.group));
    call.runner.handle({ name: 'CC_SETUP_REQ' });
  }

  /** Q.764 §2.10.3: reset the call's circuit (RSC), or a small group around it (GRS); our calls there end silently. */
  private reset(call: FarCall, group: boolean): void {
    if (call.runner.state === 'releasing') return;
    if (!group) {
      this.end(call, 'reset');
      this.resetting.set(call.cic, 'RSC');
      this.ledger.count('rsc-sent');
      return this.send({ type: 'RSC', cic: call.cic });
    }
    const cics = this.groupOf.get(call.cic)!;
    const i = cics.indexOf(call.cic);
    const from = Math.max(0, i - this.rng.int(0, 2));
    const to = Math.min(cics.length - 1, from + this.rng.int(1, 4));
    for (let k = from; k <= to; k++) {
      const c = this.calls.get(cics[k]);
      if (c) this.end(c, 'reset');
      this.resetting.set(cics[k], 'GRS');
    }
    this.ledger.count('grs-sent');
    this.send({ type: 'GRS', cic: cics[from], rangeAndStatus: { range: to - from } });
  }

  private end(call: FarCall, why: string): void {
    if (this.calls.get(call.cic) !== call) return;
    this.calls.delete(call.cic);
    if (why === 'release-complete' && call.releasedAt !== undefined && !call.collided) {
      if (call.switchCall) this.firstReleases.set(call.switchCall, call.dir === 'out' ? 'caller' : 'callee');
    }
    for (const t of call.timers) this.clock.clearTimeout(t);
    call.runner.dispose();
    this.ledger.count(`end:${call.dir}:${why}`);
    this.wire.note(call.cic, `far ${call.dir} call ends: ${why}`);
  }
}
