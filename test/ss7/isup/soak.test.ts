/**
 * Soak in virtual time: two IsupService nodes on an in-memory MTP link (real ISUP codec, random
 * latency, rare loss) carry ≥ 100,000 calls both ways with random outcomes (answer, reject, no
 * answer, abandon, release by either side at any point), dual seizure provoked by ascending
 * selection at both ends, operator resets (RSC and GRS) and blocking under traffic. At the end
 * every circuit must be idle, unblocked and in service at both ends, no call or supervision
 * procedure left, and no timer pending.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../../src/util/clock.js';
import { mulberry32 } from '../../../src/util/prng.js';
import { CircuitGroup } from '../../../src/ss7/isup/circuits.js';
import type { IsupTimerValues } from '../../../src/ss7/isup/call-fsm.js';
import { IsupService, type IsupTrunkGroup } from '../../../src/ss7/isup/service.js';
import type { MtpTransferData, MtpTransferLink } from '../../../src/ss7/mtp3/transfer.js';
import type { Variant } from '../../../src/ss7/variant.js';
import { TestCallAgent, type AgentCall } from './agent.js';

/** A virtual clock with a binary heap (VirtualClock scans a list: too slow for millions of timers). */
class HeapClock implements Clock {
  private time = 0;
  private seq = 0;
  private heap: Array<{ at: number; id: number; fn: () => void }> = [];
  private readonly live = new Set<number>();
  now(): number {
    return this.time;
  }
  get pending(): number {
    return this.live.size;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const e = { at: this.time + Math.max(0, ms), id: ++this.seq, fn };
    this.live.add(e.id);
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
    return { id: e.id };
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.live.delete(handle.id);
  }
  private less(a: { at: number; id: number }, b: { at: number; id: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }
  /** Runs the next live timer; false when none is left. */
  step(): boolean {
    const h = this.heap;
    while (h.length > 0) {
      const top = h[0];
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && this.less(h[l], h[m])) m = l;
          if (r < h.length && this.less(h[r], h[m])) m = r;
          if (m === i) break;
          [h[m], h[i]] = [h[i], h[m]];
          i = m;
        }
      }
      if (!this.live.delete(top.id)) continue;
      this.time = top.at;
      top.fn();
      return true;
    }
    return false;
  }
}

/** One end of an in-memory MTP link: delivery after a random latency on the virtual clock, rare loss. */
class MemLink extends EventEmitter implements MtpTransferLink {
  peer!: MemLink;
  lost = 0;
  constructor(
    private readonly clock: HeapClock,
    private readonly rnd: () => number,
    private readonly lossRate: number,
  ) {
    super();
  }
  sendTransfer(pd: MtpTransferData): boolean {
    if (this.rnd() < this.lossRate) {
      this.lost++;
      return true;
    }
    const data = Buffer.from(pd.data);
    const copy = { ...pd, data };
    // Per-SLS order (one circuit's messages never overtake each other): a fixed latency per SLS plus jitter only across SLSs.
    this.clock.setTimeout(() => this.peer.emit('transfer', copy), 2 + (pd.sls % 5));
    return true;
  }
  canReach(): boolean {
    return true;
  }
}

const SOAK_TIMERS: Partial<IsupTimerValues> = { T7: 10_000, T9: 8_000, T1: 4_000, T5: 60_000, T16: 10_000, T17: 120_000, T22: 10_000, T23: 120_000, T12: 10_000, T14: 10_000, T18: 10_000, T20: 10_000, alertAfter: 60_000 };

function soak(variant: Variant, targetCalls: number, seed: number) {
  const rnd = mulberry32(seed);
  const clock = new HeapClock();
  const la = new MemLink(clock, rnd, 0.0002);
  const lb = new MemLink(clock, rnd, 0.0002);
  la.peer = lb;
  lb.peer = la;
  const pcA = variant === 'itu' ? 1000 : 0x010101;
  const pcB = variant === 'itu' ? 2000 : 0x020202;
  const N = 60;
  const mk = (own: number, far: number): IsupTrunkGroup => ({
    id: 'tg',
    variant,
    farPointCode: far,
    circuits: new CircuitGroup({ id: 'tg', firstCic: 1, count: N, ownPointCode: own, farPointCode: far, variant, selection: 'ascending' }),
  });
  const tgA = mk(pcA, pcB);
  const tgB = mk(pcB, pcA);
  const A = new IsupService({ link: la, ownPointCode: pcA, networkIndicator: 2, trunkGroups: [tgA], clock, timers: SOAK_TIMERS });
  const B = new IsupService({ link: lb, ownPointCode: pcB, networkIndicator: 2, trunkGroups: [tgB], clock, timers: SOAK_TIMERS });
  const agents = [new TestCallAgent(A, clock, 'A'), new TestCallAgent(B, clock, 'B')];
  const nodes = [
    { isup: A, tg: tgA, agent: agents[0] },
    { isup: B, tg: tgB, agent: agents[1] },
  ];
  const timers = new Map<string, TimerHandle[]>();
  const later = (call: AgentCall, ms: number, fn: () => void) => {
    const list = timers.get(call.id) ?? [];
    list.push(clock.setTimeout(() => !call.end && fn(), ms));
    timers.set(call.id, list);
  };
  const outcomes = new Map<string, number>();
  for (const ag of agents) {
    ag.keepEnded = false;
    ag.onEnd = (c) => {
      for (const h of timers.get(c.id) ?? []) clock.clearTimeout(h);
      timers.delete(c.id);
      const k = `${c.direction}:${c.end!.how}`;
      outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    };
    ag.onIndication = (c, ind) => {
      // Whoever holds an answered call releases it after a talk time.
      if (ind.kind === 'answer' && rnd() < 0.5) later(c, 1000 + rnd() * 20_000, () => c.handle({ name: 'CC_RELEASE_REQ', cause: 16 }));
    };
    ag.incoming = (c) => {
      const r = rnd();
      if (r < 0.7) {
        later(c, rnd() * 500, () => c.handle({ name: 'CC_ALERT_REQ' }));
        later(c, 500 + rnd() * 3000, () => {
          c.handle({ name: 'CC_ANSWER_REQ' });
          later(c, 1000 + rnd() * 20_000, () => c.handle({ name: 'CC_RELEASE_REQ', cause: 16 }));
        });
      } else if (r < 0.8) later(c, rnd() * 1000, () => c.handle({ name: 'CC_RELEASE_REQ', cause: 17 }));
      else if (r < 0.9) later(c, rnd() * 500, () => c.handle({ name: 'CC_ALERT_REQ' }));
      // else: no answer at all (the caller's T7 ends it)
    };
  }
  let originated = 0;
  let arrivals = true;
  const arrive = () => {
    if (!arrivals) return;
    const side = rnd() < 0.5 ? 0 : 1;
    const call = agents[side].originate('tg');
    if (call) {
      originated++;
      // Some callers abandon before answer.
      if (rnd() < 0.1) later(call, rnd() * 3000, () => call.handle({ name: 'CC_RELEASE_REQ', cause: 16 }));
    }
    if (originated >= targetCalls) arrivals = false;
    else clock.setTimeout(arrive, rnd() * 250);
  };
  clock.setTimeout(arrive, 0);
  // Maintenance under traffic: resets of one circuit or a range, blocking for a while.
  let maint = 0;
  const maintenance = () => {
    if (!arrivals) return;
    const n = nodes[rnd() < 0.5 ? 0 : 1];
    const cic = 1 + Math.floor(rnd() * N);
    const r = rnd();
    if (r < 0.6) n.isup.reset('tg', cic);
    else if (r < 0.8) n.isup.reset('tg', Math.min(cic, N - 7), 8);
    else {
      n.isup.block('tg', cic);
      clock.setTimeout(() => n.isup.unblock('tg', cic), 20_000);
    }
    maint++;
    clock.setTimeout(maintenance, 20_000 + rnd() * 40_000);
  };
  clock.setTimeout(maintenance, 10_000);
  return { clock, nodes, agents, outcomes, links: [la, lb], get originated() { return originated; }, get maint() { return maint; } };
}

async function run(s: ReturnType<typeof soak>): Promise<void> {
  let n = 0;
  while (s.clock.step()) {
    // Let the rare deferred work (service refusals) run now and then.
    if (++n % 5000 === 0) await Promise.resolve();
  }
  await new Promise((r) => setImmediate(r));
  while (s.clock.step()) await Promise.resolve();
}

describe('ISUP soak in virtual time', () => {
  for (const [variant, calls, seed] of [
    ['itu', 100_000, 11],
    ['ansi', 10_000, 12],
  ] as const) {
    it(`${variant}: ${calls.toLocaleString('en')} calls both ways with glare, resets and blocking end with every circuit idle and no timer pending`, async () => {
      const started = Date.now();
      const s = soak(variant, calls, seed);
      await run(s);
      const elapsed = Date.now() - started;
      expect(s.originated).toBeGreaterThanOrEqual(calls);
      for (const n of s.nodes) {
        const bad = n.tg.circuits.snapshot().filter((c) => c.call !== 'idle' || c.localBlocked || c.remoteBlocked || c.outOfService !== undefined);
        expect(bad).toEqual([]);
        expect(n.agent.calls.size).toBe(0);
        expect(n.isup.pendingProcedures()).toEqual([]);
      }
      expect(s.clock.pending).toBe(0);
      const glare = s.agents[0].glare + s.agents[1].glare;
      expect(glare).toBeGreaterThan(0);
      expect(s.maint).toBeGreaterThan(10);
      const summary = { variant, originated: s.originated, glare, maintenance: s.maint, lost: s.links[0].lost + s.links[1].lost, virtualHours: +(s.clock.now() / 3_600_000).toFixed(1), elapsedMs: elapsed, outcomes: Object.fromEntries(s.outcomes) };
      console.log(JSON.stringify(summary));
    });
  }
});
