/**
 * The soak rig: the real call engine (CallManager, both Class 4 intakes, every leg) on
 * in-memory ports in virtual time, with a scripted far exchange (./soak-far.ts), scripted SIP
 * parties (./soak-sip.ts) and a media gateway with delays and refusals, all driven by one
 * seeded PRNG. The driver fires the virtual clock's timers one at a time and lets every promise
 * continuation run in between, as Node's event loop does between two I/O callbacks.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../src/util/clock.js';
import { BearerError, type BearerConnection, type BearerPort, type ConnectionChange, type CreateConnectionRequest, type EndpointAudit } from '../../src/mgcp/bearer-port.js';
import { CircuitGroup } from '../../src/ss7/isup/circuits.js';
import { IsupService } from '../../src/ss7/isup/service.js';
import type { CallRouter, RoutePlan } from '../../src/class4/routing/route-plan.js';
import type { Cdr } from '../../src/calls/cdr.js';
import type { CallPlan } from '../../src/calls/plan.js';
import type { OriginatingLeg } from '../../src/calls/legs/leg.js';
import type { IsupLegDeps } from '../../src/calls/legs/isup-deps.js';
import { Call } from '../../src/calls/call.js';
import { CallManager } from '../../src/calls/manager.js';
import { TrunkIntake } from '../../src/class4/intake/trunk-intake.js';
import { PstnIntake } from '../../src/class4/intake/pstn-intake.js';
import { targetKey } from '../../src/class4/intake/did-delivery.js';
import { trunkCustomerSchema } from '../../src/class4/trunks/config.js';
import { TrunkCustomerTable } from '../../src/class4/trunks/trunk-customers.js';
import { DidTable } from '../../src/class4/trunks/dids.js';
import { TargetHealth } from '../../src/class4/trunks/target-health.js';
import { FAR_PC, OWN_PC } from './fakes.js';
import { Rng } from './soak-rng.js';
import { SoakExchange, SoakWire, type FarInScript, type FarOutScript, type FarReset } from './soak-far.js';
import { SipLedger, SoakInvite, SoakSip, type CalleeScript } from './soak-sip.js';

/**
 * Virtual time with the semantics of src/util/clock.ts's VirtualClock (timers fire in deadline
 * order, ties by creation order; time moves only when told) on a binary heap: VirtualClock scans
 * and copies its whole timer array on every fire and every clearTimeout, which at the soak's
 * ~200 pending timers was the largest single cost of the run. `fireNext()` fires one deadline's
 * timer so the driver can let promise continuations run between two timers.
 */
export class SoakClock implements Clock {
  private time: number;
  private seq = 1;
  private readonly heap: Array<{ at: number; id: number; fn: () => void }> = [];
  private readonly live = new Set<number>();

  constructor(start: number) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.live.size;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = { at: this.time + Math.max(0, ms), id: this.seq++, fn };
    this.live.add(t.id);
    this.push(t);
    // Cleared timers stay in the heap until they surface; rebuild when they are most of it.
    if (this.heap.length > 1024 && this.heap.length > 4 * this.live.size) this.rebuild();
    return { id: t.id };
  }

  private rebuild(): void {
    const keep = this.heap.filter((e) => this.live.has(e.id));
    this.heap.length = 0;
    for (const e of keep) this.push(e);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.live.delete(handle.id);
  }

  /** Fires the earliest pending timer (moving time to its deadline); false when none is left. */
  fireNext(): boolean {
    const h = this.heap;
    while (h.length && !this.live.has(h[0].id)) this.pop();
    if (!h.length) return false;
    const t = h[0];
    this.pop();
    this.live.delete(t.id);
    this.time = t.at;
    t.fn();
    return true;
  }

  private before(a: { at: number; id: number }, b: { at: number; id: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  private push(e: { at: number; id: number; fn: () => void }): void {
    const h = this.heap;
    h.push(e);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.before(e, h[p])) break;
      h[i] = h[p];
      h[p] = e;
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l], h[m])) m = l;
      if (r < h.length && this.before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

/** A media gateway that answers after a delay (sometimes a long one) and now and then refuses. */
export class SoakBearer extends EventEmitter implements BearerPort {
  readonly live = new Map<string, BearerConnection>();
  readonly counts: Record<string, number> = {};
  pending = 0;
  private next = 1;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
  ) {
    super();
  }

  private count(what: string): void {
    this.counts[what] = (this.counts[what] ?? 0) + 1;
  }

  private delay(): number {
    return this.rng.chance(0.02) ? this.rng.between(200, 800) : this.rng.between(0.5, 20);
  }

  private later<T>(fn: () => T): Promise<T> {
    this.pending++;
    return new Promise<T>((resolve, reject) =>
      this.clock.setTimeout(() => {
        this.pending--;
        try {
          resolve(fn());
        } catch (err) {
          reject(err);
        }
      }, this.delay()),
    );
  }

  createConnection(req: CreateConnectionRequest): Promise<BearerConnection> {
    return this.later(() => {
      if (this.rng.chance(0.01)) {
        this.count('crcx-refused');
        throw new BearerError('rejected', 'insufficient resources', 403, 'gw', req.endpoint);
      }
      const c: BearerConnection = { endpoint: req.endpoint, connectionId: String(this.next++), callId: req.callId, mode: req.mode, localSdp: 'v=0\r\nc=IN IP4 192.0.2.50\r\nm=audio 5000 RTP/AVP 0\r\n', gateway: 'gw' };
      this.live.set(c.connectionId, c);
      this.count('crcx');
      return c;
    });
  }

  modifyConnection(conn: BearerConnection, change: ConnectionChange): Promise<BearerConnection> {
    return this.later(() => {
      if (!this.live.has(conn.connectionId)) {
        this.count('mdcx-unknown-connection');
        throw new BearerError('rejected', 'unknown connection', 515, 'gw', conn.endpoint);
      }
      if (this.rng.chance(0.01)) {
        this.count('mdcx-refused');
        throw new BearerError('rejected', 'cannot modify', 510, 'gw', conn.endpoint);
      }
      this.count('mdcx');
      return { ...conn, mode: change.mode ?? conn.mode };
    });
  }

  /** The connection is always gone afterwards; now and then the answer is lost (the port reports a failure). */
  deleteConnection(conn: BearerConnection): Promise<void> {
    return this.later(() => {
      if (!this.live.delete(conn.connectionId)) this.count('dlcx-unknown-connection');
      else this.count('dlcx');
      if (this.rng.chance(0.005)) {
        this.count('dlcx-answer-lost');
        throw new BearerError('unreachable', 'no response', undefined, 'gw', conn.endpoint);
      }
    });
  }

  async auditEndpoint(endpoint: string): Promise<EndpointAudit> {
    return { endpoint, gateway: 'gw', connectionIds: [], details: {} };
  }

  async close(): Promise<void> {}
}

/**
 * A logger for the soak that counts warn and error lines by message (keeping the first examples
 * of each with the circuit's recent messages) and drops the rest. pino's child() (bindings
 * serialised, level set up) was about a tenth of the soak's CPU even at level silent: a cost of
 * the engine worth knowing, not what the soak is about. Only the methods the engine calls exist.
 */
export class LogTally {
  readonly counts: Record<string, number> = {};
  /** First examples of each warning about a circuit, with what `explain` says of that CIC. */
  readonly examples: Record<string, string[]> = {};
  explain: (cic: number) => string[] = () => [];
  readonly logger: Logger = new TallyLogger(this, {}) as unknown as Logger;

  line(level: string, bindings: Record<string, unknown>, a: unknown, b?: unknown): void {
    const msg = typeof a === 'string' ? a : typeof b === 'string' ? b : '(no message)';
    const key = `${level}: ${msg}`;
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    const cic = (typeof a === 'object' && a && 'cic' in a ? (a as { cic: unknown }).cic : undefined) ?? bindings.cic;
    const list = (this.examples[key] ??= []);
    if (typeof cic === 'number' && list.length < 2) list.push([`cic ${cic}`, ...this.explain(cic)].join(' | '));
  }

  /** Lines at error or fatal: the engine logs its own bugs there ("call action failed (a bug)"). */
  get errors(): number {
    return Object.entries(this.counts).reduce((s, [k, n]) => s + (k.startsWith('warn') ? 0 : n), 0);
  }
}

class TallyLogger {
  readonly level = 'warn';
  constructor(
    private readonly tally: LogTally,
    private readonly bindings: Record<string, unknown>,
  ) {}
  trace(): void {}
  debug(): void {}
  info(): void {}
  warn(a: unknown, b?: unknown): void {
    this.tally.line('warn', this.bindings, a, b);
  }
  error(a: unknown, b?: unknown): void {
    this.tally.line('error', this.bindings, a, b);
  }
  fatal(a: unknown, b?: unknown): void {
    this.tally.line('fatal', this.bindings, a, b);
  }
  child(more: Record<string, unknown>): TallyLogger {
    return new TallyLogger(this.tally, { ...this.bindings, ...more });
  }
  isLevelEnabled(l: string): boolean {
    return l === 'warn' || l === 'error' || l === 'fatal';
  }
}

/** The call manager, also keeping the id of every call it started. */
class TrackedCalls extends CallManager {
  readonly started = new Set<string>();
  override start(a: OriginatingLeg, plan: CallPlan, callId?: string): Call {
    const call = super.start(a, plan, callId);
    if (this.started.has(call.id)) throw new Error(`call id ${call.id} used twice`);
    this.started.add(call.id);
    return call;
  }
}

export interface SoakOptions {
  seed: number;
  /** Calls to start on the engine before arrivals stop. */
  calls: number;
  /** Mean arrivals per virtual second (all kinds). */
  arrivalsPerS?: number;
  circuitsPerGroup?: number;
}

const ADVANCE_CAUSES = new Set([34, 38, 41, 42, 44, 47]);
const TRANSIT_NUMBER = '3125557777';
const DID_FIRST = 2125550100;

export function soakRig(opts: SoakOptions) {
  const clock = new SoakClock(1_700_000_000_000);
  const rng = new Rng(opts.seed);
  const tally = new LogTally();
  const logger = tally.logger;
  const n = opts.circuitsPerGroup ?? 64;
  const cics = (first: number) => Array.from({ length: n }, (_, i) => first + i);
  const groups = { tg: cics(1), tg2: cics(101) };

  // --- The far exchange, over a wire with 0.5–10 ms latency (now and then 20–200 ms).
  const wire = new SoakWire(clock, () => (rng.chance(0.05) ? rng.between(20, 200) : rng.between(0.5, 10)));
  const circuits = {
    tg: new CircuitGroup({ id: 'tg', firstCic: 1, count: n, ownPointCode: OWN_PC, farPointCode: FAR_PC }),
    tg2: new CircuitGroup({ id: 'tg2', firstCic: 101, count: n, ownPointCode: OWN_PC, farPointCode: FAR_PC }),
  };
  wire.switchCircuit = (cic) => (cic > 100 ? circuits.tg2 : circuits.tg).get(cic);
  tally.explain = (cic) => wire.history(cic);
  const isup = new IsupService({
    link: wire,
    ownPointCode: OWN_PC,
    networkIndicator: 2,
    clock,
    logger,
    trunkGroups: Object.values(circuits).map((c) => ({ id: c.id, variant: 'ansi' as const, farPointCode: FAR_PC, circuits: c })),
  });
  const reset = (): FarReset | undefined =>
    rng.chance(0.03) ? { afterMs: rng.between(0, 6000), group: rng.chance(0.3) } : undefined;
  const inScript = (): FarInScript => {
    switch (rng.weighted({ answer: 66, reject: 22, ring: 2, silent: 0.5, deaf: 0.3 })) {
      case 'answer':
        return { kind: 'answer', alertMs: rng.between(0.5, 300), answerMs: rng.between(0.5, 3000), cpg: rng.chance(0.1), releaseAfterMs: rng.chance(0.7) ? rng.between(0, 5000) : undefined, deaf: false, reset: reset() };
      case 'deaf':
        return { kind: 'answer', alertMs: rng.between(0.5, 300), answerMs: rng.between(0.5, 3000), cpg: false, deaf: true };
      case 'reject':
        return { kind: 'reject', alertFirst: rng.chance(0.3), atMs: rng.between(0.5, 2000), cause: rng.pick([17, 17, 17, 34, 34, 41, 1, 21, 42]) };
      case 'ring':
        return { kind: 'ring', alertMs: rng.between(0.5, 300), reset: reset() };
      default:
        return { kind: 'silent' };
    }
  };
  const outScript = (called = `${DID_FIRST + rng.int(0, 99)}`): FarOutScript => ({
    called,
    abandonMs: rng.chance(0.25) ? rng.between(0, 8000) : undefined,
    releaseAfterMs: rng.chance(0.85) ? rng.between(0, 5000) : undefined,
    reset: reset(),
  });
  const far = new SoakExchange(wire, clock, rng, { groups, originateOn: 'tg', inScript, outScript: () => outScript(), glare: 0.04, collision: 0.1 });

  // --- Media gateway and SIP parties.
  const bearer = new SoakBearer(clock, rng);
  const sipLedger = new SipLedger();
  const callee = (): CalleeScript => {
    switch (rng.weighted({ answer: 68, refuse: 26, silent: 0.2, ringForever: 1 })) {
      case 'answer':
        return { kind: 'answer', ringMs: rng.between(0.5, 300), answerMs: rng.between(0.5, 3000), early: rng.chance(0.2), byeAfterMs: rng.chance(0.9) ? rng.between(0, 5000) : undefined };
      case 'refuse':
        return { kind: 'refuse', ringMs: rng.chance(0.4) ? rng.between(0.5, 300) : undefined, atMs: rng.between(0.5, 2000), status: rng.pick([486, 486, 503, 480, 404, 500]) };
      case 'silent':
        return { kind: 'silent' };
      default:
        return { kind: 'ring-forever', ringMs: rng.between(0.5, 300) };
    }
  };
  const sip = new SoakSip(clock, rng, sipLedger, callee);

  // --- The engine: CDRs counted per call id.
  const cdrCount = new Map<string, number>();
  const cdrOutcomes: Record<string, number> = {};
  const cdrProblems: string[] = [];
  /** Who released each answered call, for checking afterwards against the far end's account (SoakExchange.firstReleases). */
  const releasedBy = new Map<string, string | undefined>();
  let capReleases = 0;
  const MAX_CALL_MS = 150_000;
  const calls = new TrackedCalls({
    clock,
    logger,
    maxCallDurationMs: MAX_CALL_MS,
    writeCdr: (cdr: Cdr) => {
      cdrCount.set(cdr.callId, (cdrCount.get(cdr.callId) ?? 0) + 1);
      const party = cdr.sipCallId === undefined ? undefined : sipLedger.partyReleased.get(cdr.sipCallId);
      if (party) sipLedger.partyReleased.delete(cdr.sipCallId!);
      const problem = cdrProblem(cdr) ?? releaseNotReported(cdr, party);
      if (problem && cdrProblems.length < 20) cdrProblems.push(`${problem}: ${JSON.stringify(cdr)}`);
      if (cdr.answerTime) releasedBy.set(cdr.callId, cdr.releasedBy);
      const key = `${cdr.direction} ${cdr.answerTime ? 'answered' : 'unanswered'} cause ${cdr.cause} by ${cdr.releasedBy}`;
      cdrOutcomes[key] = (cdrOutcomes[key] ?? 0) + 1;
      if (cdr.billableMs >= MAX_CALL_MS) capReleases++;
    },
  });
  const isupLegs: IsupLegDeps = {
    isup,
    bearer,
    trunkGroup: (id) => (id in circuits ? { variant: 'ansi', endpointFor: (cic: number) => `ds/${cic}@gw` } : undefined),
    usable: (id) => isup.isAvailable(id),
    clock,
    logger,
    mediaAddress: '192.0.2.1',
  };
  const router: CallRouter = {
    plan: ({ called }): RoutePlan => {
      // Calls from SIP trunks and transit calls go out on tg2 first; the far exchange originates on tg.
      // Both are always candidates: a trunk group with no idle circuit fails its leg with cause 34 (route advance).
      return {
        called: /^\d+$/.test(called) ? called.replace(/^1(\d{10})$/, '$1') : called,
        calledNai: 3,
        candidates: ['tg2', 'tg'].map((tg) => ({ carrier: `carrier-${tg}`, trunkGroup: tg })),
        congested: false,
        advanceOn: (cause) => ADVANCE_CAUSES.has(cause),
      };
    },
  };
  const targets = [
    { host: '10.0.0.1', port: 5060, transport: 'udp' as const, weight: 1 },
    { host: '10.0.0.2', port: 5060, transport: 'udp' as const, weight: 1 },
    { host: '10.0.0.3', port: 5060, transport: 'udp' as const, weight: 1 },
  ];
  const customers = [
    trunkCustomerSchema.parse({ id: 'trunk', sources: ['192.0.2.0/24'], maxCalls: 80 }),
    trunkCustomerSchema.parse({ id: 'pbx', sources: ['10.0.0.0/8'], maxCalls: 60, dids: [{ range: { from: `${DID_FIRST}`, to: `${DID_FIRST + 99}` }, targets }] }),
  ];
  const table = new TrunkCustomerTable(customers);
  const health = new TargetHealth(targets.map(targetKey), undefined, clock, logger, 0, 1);
  new TrunkIntake({ sip, calls, customers: table, router, isupLegs, logger, mediaAddress: '192.0.2.1' }).listen();
  new PstnIntake({
    isup,
    calls,
    dids: new DidTable(customers),
    isupLegs,
    router,
    transit: (id) => id === 'tg',
    customer: (id) => table.byId(id),
    logger,
    delivery: { sip, clock, logger, health, localHost: '192.0.2.1', noResponseMs: 2000, answerTimeoutMs: 60_000, random: () => rng.float() },
  }).listen();

  // --- Arrivals.
  const arrivals: Record<string, number> = {};
  let invites = 0;
  const sipCall = () => {
    const bad = rng.float();
    const source = bad < 0.01 ? '198.51.100.9' : '192.0.2.10';
    const called = bad > 0.99 ? 'alice' : '13125551234';
    const inv = new SoakInvite(`sip-${++invites}`, called, '2125550000', source, sipLedger);
    if (rng.chance(0.3)) clock.setTimeout(() => inv.cancel(), rng.between(0, 12_000));
    const hangup = rng.weighted({ bye: 88, quick: 5, wait: 6, noAck: 1 });
    inv.onAnswered = (d) => {
      if (hangup === 'wait') return;
      const after = hangup === 'bye' ? rng.between(0, 5000) : hangup === 'quick' ? rng.between(0, 5) : 32_000;
      clock.setTimeout(() => d.remoteEnd(hangup === 'noAck' ? { by: 'failure' } : { by: 'remote', reason: 'Q.850;cause=16' }), after);
    };
    sip.invite(inv);
  };
  const arrive = () => {
    const kind = rng.weighted({ 'sip-to-isup': 50, 'isup-to-sip': 35, transit: 10, unallocated: 5 });
    arrivals[kind] = (arrivals[kind] ?? 0) + 1;
    if (kind === 'sip-to-isup') sipCall();
    else if (!far.originate(kind === 'isup-to-sip' ? outScript() : outScript(kind === 'transit' ? TRANSIT_NUMBER : '9995550000'))) arrivals[`${kind}:no-far-circuit`] = (arrivals[`${kind}:no-far-circuit`] ?? 0) + 1;
  };
  const meanGapMs = 1000 / (opts.arrivalsPerS ?? 22);
  const scheduleArrival = () => {
    if (calls.started.size >= opts.calls) return;
    clock.setTimeout(() => {
      arrive();
      scheduleArrival();
    }, rng.between(0, 2 * meanGapMs));
  };

  /** Runs arrivals until `opts.calls` calls started, then every call and timer to its end. */
  async function run(maxSteps = 50_000_000, onStep?: (step: number) => void): Promise<{ steps: number; virtualMs: number }> {
    const t0 = clock.now();
    scheduleArrival();
    let steps = 0;
    for (; steps < maxSteps && clock.fireNext(); steps++) {
      // Every promise continuation of that timer runs before the next one fires: the microtask
      // queue is drained before the next tick callback runs (Node's processTicksAndRejections).
      // A real turn of the event loop now and then keeps the process responsive.
      if (steps % 1024 === 0) await new Promise<void>((r) => setImmediate(r));
      else await new Promise<void>((r) => process.nextTick(r));
      onStep?.(steps);
    }
    return { steps, virtualMs: clock.now() - t0 };
  }

  /** Answered calls the far end released first whose CDR names someone else (checked once the run is over). */
  const farReleaseProblems = (): string[] => {
    const out: string[] = [];
    for (const [callId, party] of far.firstReleases) {
      // Not answered at the switch: the answer never reached the caller (CANCEL or REL crossed it).
      if (!releasedBy.has(callId)) continue;
      const by = releasedBy.get(callId);
      if (by !== party && out.length < 20) out.push(`the far end (${party}) released call ${callId} first but releasedBy is ${by}`);
    }
    return out;
  };

  return { clock, rng, far, wire, bearer, sip, sipLedger, circuits, isup, calls, cdrCount, cdrOutcomes, cdrProblems, farReleaseProblems, tally, arrivals, health, run, capReleases: () => capReleases };
}

/** A SIP party hung up first (BYE, or no ACK), yet the CDR names someone else as releasing. */
function releaseNotReported(c: Cdr, party: 'uas' | 'uac' | undefined): string | undefined {
  const expected = party === 'uas' ? 'caller' : party === 'uac' ? 'callee' : undefined;
  return expected && c.releasedBy !== expected ? `the SIP ${expected} hung up first but releasedBy is ${c.releasedBy}` : undefined;
}

/** What is wrong with a CDR on its face, if anything. */
function cdrProblem(c: Cdr): string | undefined {
  if (!(c.cause >= 1 && c.cause <= 127)) return 'cause outside Q.850';
  if (!c.releasedBy) return 'no releasedBy';
  if (c.billableMs < 0 || c.durationMs < c.billableMs) return 'durations';
  if (!c.answerTime && c.billableMs > 0) return 'billable without answer';
  if (c.answerTime && Date.parse(c.answerTime) > Date.parse(c.endTime)) return 'answered after the end';
  return undefined;
}

/** Error-level lines the soak expects: the deaf far end's circuits need a reset (T5). */
const EXPECTED_ERRORS = new Set(['error: circuit needs maintenance: the far end did not complete release; reset sent']);

/** What a soak run leaves behind (all zero / empty when clean) and what happened, as plain data. */
export interface SoakReport {
  seed: number;
  started: number;
  steps: number;
  virtualS: number;
  wallMs: number;
  left: {
    activeCalls: number;
    busyCircuits: number;
    blockedCircuits: number;
    gatewayConnections: number;
    gatewayRequests: number;
    timers: number;
    farCalls: number;
    farResets: number;
    sipDialogs: number;
    sipUnanswered: number;
    sipUacs: number;
    wireInFlight: number;
  };
  /** Calls with other than one CDR (first few), and CDRs for calls never started. */
  cdrMismatches: string[];
  strayCdrs: number;
  cdrProblems: string[];
  sipViolations: string[];
  farAnomalies: string[];
  unexpectedErrors: Record<string, number>;
  knownDefects: Record<string, { count: number; example: string }>;
  tallies: Record<string, Record<string, number>>;
  examples: Record<string, string[]>;
}

/** Runs a whole soak and reports it. */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const rig = soakRig(opts);
  const t0 = performance.now();
  const { steps, virtualMs } = await rig.run();
  const wallMs = performance.now() - t0;
  const circuitCounts = Object.values(rig.circuits).map((c) => c.counts());
  const mismatched = [...rig.calls.started].filter((id) => rig.cdrCount.get(id) !== 1);
  const errors = Object.fromEntries(Object.entries(rig.tally.counts).filter(([k]) => !k.startsWith('warn') && !EXPECTED_ERRORS.has(k)));
  return {
    seed: opts.seed,
    started: rig.calls.started.size,
    steps,
    virtualS: Math.round(virtualMs / 1000),
    wallMs: Math.round(wallMs),
    left: {
      activeCalls: rig.calls.activeCount,
      busyCircuits: circuitCounts.reduce((s, c) => s + c.incoming + c.outgoing, 0),
      blockedCircuits: circuitCounts.reduce((s, c) => s + c.blocked, 0),
      gatewayConnections: rig.bearer.live.size,
      gatewayRequests: rig.bearer.pending,
      timers: rig.clock.pending,
      farCalls: rig.far.activeCalls,
      farResets: rig.far.pendingResets,
      sipDialogs: rig.sipLedger.dialogs.size,
      sipUnanswered: rig.sipLedger.open.size,
      sipUacs: rig.sipLedger.uacs.size,
      wireInFlight: rig.wire.inFlight,
    },
    cdrMismatches: mismatched.slice(0, 10).map((id) => `${id}: ${rig.cdrCount.get(id) ?? 0} CDRs`),
    strayCdrs: [...rig.cdrCount.keys()].filter((id) => !rig.calls.started.has(id)).length,
    cdrProblems: [...rig.cdrProblems, ...rig.farReleaseProblems()],
    sipViolations: rig.sipLedger.violations,
    farAnomalies: rig.far.ledger.anomalies,
    unexpectedErrors: errors,
    knownDefects: rig.far.ledger.known,
    tallies: {
      arrivals: rig.arrivals,
      cdrs: rig.cdrOutcomes,
      far: rig.far.ledger.counts,
      sip: rig.sipLedger.outcomes,
      gateway: rig.bearer.counts,
      logs: rig.tally.counts,
      capReleases: { count: rig.capReleases() },
    },
    examples: { ...rig.far.ledger.examples, ...rig.tally.examples },
  };
}
