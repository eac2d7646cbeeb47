/**
 * The outgoing side of the ISUP continuity check (Q.764 §2.1.8, T1.113.4 §2.1.8) on an MGCP trunk
 * gateway: the gateway sends the check tone on the circuit's endpoint and reports the tone coming
 * back (RFC 3660 §2.3 trunk package T). Loopback procedure (the far end loops the circuit): signal
 * T/co1, event T/co1. Dual-tone (transponder) procedure: the go tone T/co1 out, the far end's
 * return tone T/co2 back. The tone is a time-out signal (3 s by default): when it ran
 * out without the return tone the gateway reports T/oc, a failure to play it T/of.
 *
 * `toneOutcome` is pure; `ContinuityToneTester` sends the NotificationRequest, waits for the Notify
 * with its request identifier (the ISUP service bounds the whole test with T24) and then stops the
 * detection with an empty request.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { MgcpCallAgent, NotifyEvent } from '../mgcp/mgcp/call-agent.js';
import type { Peer } from '../mgcp/mgcp/transaction-layer.js';
import { formatRequestedEvents, isEvent, parseEventList, TRUNK } from '../mgcp/mgcp/packages.js';
import { perRegistry } from '../util/metrics.js';

export type ContinuityProcedure = 'loopback' | 'transponder';
export type ToneOutcome = 'passed' | 'failed';

const toneMetrics = perRegistry((registry: Registry) => ({
  tests: new Counter({
    name: 'softswitch_isup_continuity_tone_tests_total',
    help: 'Continuity check tones sent and detected by MGCP trunk gateways (RFC 3660 T/co1), by outcome: passed, failed, timeout, refused',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
}));

/** The tone that comes back in a procedure: the go tone itself through a loop, the other tone from a transponder. */
const returnTone = (procedure: ContinuityProcedure) => (procedure === 'loopback' ? TRUNK.continuityTone : TRUNK.continuityTest);

/** The signal to send and the events to request for a procedure. */
export function toneRequest(procedure: ContinuityProcedure): { signal: string; events: string } {
  return {
    signal: TRUNK.continuityTone,
    events: formatRequestedEvents([returnTone(procedure), TRUNK.operationComplete, TRUNK.operationFailure].map((event) => ({ event, actions: ['N'] }))),
  };
}

/** What an ObservedEvents list says of the test, or undefined when it says nothing yet. */
export function toneOutcome(observed: string, procedure: ContinuityProcedure = 'loopback'): ToneOutcome | undefined {
  const list = parseEventList(observed);
  if ('error' in list) return 'failed';
  if (list.some((t) => isEvent(t, returnTone(procedure), 'T'))) return 'passed';
  if (list.some((t) => isEvent(t, TRUNK.operationComplete, 'T') || isEvent(t, TRUNK.operationFailure, 'T'))) return 'failed';
  return undefined;
}

export interface ContinuityToneDeps {
  agent: Pick<MgcpCallAgent, 'notificationRequest' | 'on' | 'off'>;
  peerOf(endpoint: string): { name: string; peer: Peer } | undefined;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Longest wait for the return tone (default 3 s, the tone's own time-out). */
  timeoutMs?: number;
  procedure?: ContinuityProcedure;
}

export class ContinuityToneTester {
  private seq = 0;

  constructor(private readonly d: ContinuityToneDeps) {}

  /** Resolves true when the check tone came back on the endpoint's circuit; never rejects. */
  async test(endpoint: string): Promise<boolean> {
    const m = toneMetrics(this.d.registry);
    const target = this.d.peerOf(endpoint);
    const log = this.d.logger.child({ endpoint });
    if (!target) {
      m.tests.inc({ outcome: 'refused' });
      log.warn('continuity test on an endpoint of no MGCP gateway: the check tone cannot be sent; the check fails');
      return false;
    }
    const requestId = `c0${(++this.seq).toString(16)}${Date.now().toString(16).slice(-6)}`;
    const { signal, events } = toneRequest(this.d.procedure ?? 'loopback');
    let timer: TimerHandle | undefined;
    let listener: ((e: NotifyEvent) => void) | undefined;
    const outcome = new Promise<ToneOutcome | 'timeout'>((resolve) => {
      listener = (e) => {
        if (e.requestId !== requestId || e.endpoint.toLowerCase() !== endpoint.toLowerCase()) return;
        const o = toneOutcome(e.observedEvents ?? '', this.d.procedure ?? 'loopback');
        if (o) resolve(o);
      };
      this.d.agent.on('notify', listener);
      timer = this.d.clock.setTimeout(() => resolve('timeout'), this.d.timeoutMs ?? 3000);
    });
    try {
      try {
        await this.d.agent.notificationRequest(target.peer, { endpoint, requestId, requestedEvents: events, signalRequests: signal });
      } catch (err) {
        m.tests.inc({ outcome: 'refused' });
        log.warn({ err: err instanceof Error ? err.message : err, gateway: target.name }, 'the gateway refused the continuity tone request (no T package?); the check fails');
        return false;
      }
      const r = await outcome;
      m.tests.inc({ outcome: r });
      log.info({ outcome: r, signal }, 'continuity tone test');
      // Stop detection and any tone still on: an empty request (RFC 3435 §2.3.3).
      void this.d.agent.notificationRequest(target.peer, { endpoint, requestId: `${requestId}e`, requestedEvents: '', signalRequests: '' }).catch(() => undefined);
      return r === 'passed';
    } finally {
      this.d.clock.clearTimeout(timer);
      if (listener) this.d.agent.off('notify', listener);
    }
  }
}

/** A tester on the switch's MGCP call agent, as the continuity hook wants it. */
export function continuityTone(
  mgcp: { agent: ContinuityToneDeps['agent']; peerOf: ContinuityToneDeps['peerOf'] },
  d: { clock: Clock; logger: Logger; registry: Registry; timeoutMs?: number },
): (endpoint: string) => Promise<boolean> {
  const tester = new ContinuityToneTester({ agent: mgcp.agent, peerOf: (e) => mgcp.peerOf(e), ...d });
  return (endpoint) => tester.test(endpoint);
}

/** Which outgoing IAMs ask for a continuity check: every Nth per trunk group (0: none). */
export class ContinuityEvery {
  private readonly counts = new Map<string, number>();

  next(trunkGroup: string, every: number): boolean {
    if (every <= 0) return false;
    const n = (this.counts.get(trunkGroup) ?? 0) + 1;
    this.counts.set(trunkGroup, n % every);
    return n % every === 0;
  }
}
