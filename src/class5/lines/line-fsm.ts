/**
 * One analogue line on a residential gateway (an MGCP "aaln/N" endpoint), as the Call Agent sees
 * it: hook state, dial tone and digit collection by digit map, the line's outgoing or incoming
 * call. Declared as data and pure: `handle(event)` returns the actions (notification requests to
 * the gateway, call set-up and release, timers) that a runner (line-service.ts) carries out.
 *
 * Events and signals are the RFC 3660 line package's (L/hd off-hook, L/hu on-hook, L/hf flash;
 * L/dl dial tone, L/rg ringing, L/rt ringback, L/bz busy, L/ro reorder) and the generic package's
 * congestion tone G/cg. Digits are collected by the gateway per the digit map (RFC 3435 §2.1.5) and
 * notified at once as a string of D/ events; the Call Agent checks the string against the map.
 */
import { matchDigitMap, dialledDigits, type DigitMap, type DigitMapOutcome } from '../../mgcp/mgcp/digit-map.js';
import { DIGITS_BY_MAP, GENERIC, LINE, type RequestedEvent } from '../../mgcp/mgcp/packages.js';

export type LineState =
  /** On hook, nothing to do; the gateway is asked for off-hook. */
  | 'idle'
  /** Off hook with dial tone, collecting digits by the map. */
  | 'dialing'
  /** The line's call is being placed (ringback once the far end alerts). */
  | 'calling'
  /** A call is answered on the line. */
  | 'connected'
  /** An incoming call rings the line. */
  | 'ringing'
  /** Off hook with nothing to do (call refused or released by the far end): a tone until on-hook. */
  | 'lockout';

export type LineTimer = 'permanent-signal';

export type LineEvent =
  /** The line (re)starts: ask for off-hook. */
  | { name: 'START' }
  | { name: 'OFF_HOOK' }
  | { name: 'ON_HOOK' }
  | { name: 'FLASH' }
  /** The gateway's digit map matched (or timed out): the collected letters, "T" for the timer. */
  | { name: 'DIGITS'; collected: string }
  | { name: 'CALL_PROGRESS'; alerting: boolean; earlyMedia: boolean }
  | { name: 'CALL_ANSWERED' }
  | { name: 'CALL_FAILED'; cause: number }
  /** The other party cleared the answered call (or answering the line failed). */
  | { name: 'FAR_RELEASE'; cause: number }
  | { name: 'INCOMING' }
  | { name: 'INCOMING_CANCELLED' }
  | { name: 'TIMER'; timer: LineTimer };

export type LineEventName = LineEvent['name'];

export type LineAction =
  /** RQNT: requested events (R:), signals (S:, empty stops them) and whether the digit map (D:) goes with it. */
  | { kind: 'request'; events: RequestedEvent[]; signals: string[]; digitMap?: boolean }
  | { kind: 'place-call'; dialled: string }
  /** The line's party left the call (on-hook): release it with this Q.850 cause. */
  | { kind: 'hang-up'; cause: number }
  /** Off-hook on a ringing line: connect and answer the incoming call. */
  | { kind: 'answer' }
  /** An incoming call cannot ring the line now (Q.850 17 user busy). */
  | { kind: 'refuse-incoming'; cause: number }
  | { kind: 'start-timer'; timer: LineTimer; ms: number }
  | { kind: 'stop-timer'; timer: LineTimer }
  | { kind: 'digit-map'; outcome: DigitMapOutcome; collected: string };

export interface LineFsmOptions {
  digitMap: DigitMap;
  /** Off hook this long without a dialled number: reorder tone (permanent signal). */
  permanentSignalMs: number;
}

const USER_BUSY = 17;
const NORMAL = 16;

/** Which events each state takes; anything else is ignored (and counted by the runner). */
export const LINE_ACCEPTS: Readonly<Record<LineState, readonly LineEventName[]>> = {
  idle: ['START', 'OFF_HOOK', 'INCOMING'],
  dialing: ['START', 'ON_HOOK', 'DIGITS', 'TIMER', 'INCOMING'],
  calling: ['START', 'ON_HOOK', 'CALL_PROGRESS', 'CALL_ANSWERED', 'CALL_FAILED', 'FAR_RELEASE', 'INCOMING'],
  connected: ['START', 'ON_HOOK', 'FAR_RELEASE', 'INCOMING', 'FLASH'],
  ringing: ['START', 'OFF_HOOK', 'INCOMING_CANCELLED', 'INCOMING'],
  lockout: ['START', 'ON_HOOK', 'INCOMING'],
};

const watchOffHook: RequestedEvent[] = [{ event: LINE.offHook, actions: ['N'] }];
const watchOnHook: RequestedEvent[] = [{ event: LINE.onHook, actions: ['N'] }];
const watchCall: RequestedEvent[] = [{ event: LINE.onHook, actions: ['N'] }, { event: LINE.flash, actions: ['N'] }];

const request = (events: RequestedEvent[], signals: string[] = [], digitMap?: boolean): LineAction => ({ kind: 'request', events, signals, ...(digitMap ? { digitMap } : {}) });

/** The tone a caller hears when the call fails with this Q.850 cause: busy, congestion, else reorder. */
export function toneForCause(cause: number): string {
  if (cause === USER_BUSY) return LINE.busy;
  // No circuit (34), network out of order (38), temporary failure (41), switching congestion (42), no resources (47).
  if ([34, 38, 41, 42, 47].includes(cause)) return GENERIC.congestion;
  return LINE.reorder;
}

export class LineFsm {
  private st: LineState = 'idle';

  constructor(private readonly opts: LineFsmOptions) {}

  get state(): LineState {
    return this.st;
  }

  accepts(name: LineEventName): boolean {
    return LINE_ACCEPTS[this.st].includes(name);
  }

  handle(e: LineEvent): LineAction[] {
    if (!this.accepts(e.name)) return [];
    if (e.name === 'START') return this.restart();
    if (e.name === 'INCOMING' && this.st !== 'idle') return [{ kind: 'refuse-incoming', cause: USER_BUSY }];
    switch (this.st) {
      case 'idle':
        if (e.name === 'OFF_HOOK') {
          this.st = 'dialing';
          return [
            request([...watchOnHook, { event: DIGITS_BY_MAP, actions: ['D'] }], [LINE.dialTone], true),
            { kind: 'start-timer', timer: 'permanent-signal', ms: this.opts.permanentSignalMs },
          ];
        }
        this.st = 'ringing';
        return [request(watchOffHook, [LINE.ringing])];
      case 'dialing':
        if (e.name === 'DIGITS') {
          const outcome = matchDigitMap(this.opts.digitMap, e.collected);
          const out: LineAction[] = [{ kind: 'stop-timer', timer: 'permanent-signal' }, { kind: 'digit-map', outcome, collected: e.collected }];
          const dialled = dialledDigits(e.collected);
          // Ambiguous after the timer ("T") means the caller stopped dialling on a match.
          if ((outcome === 'complete' || outcome === 'ambiguous') && dialled.length > 0) {
            this.st = 'calling';
            return [...out, request(watchOnHook), { kind: 'place-call', dialled }];
          }
          this.st = 'lockout';
          return [...out, request(watchOnHook, [LINE.reorder])];
        }
        if (e.name === 'TIMER') {
          this.st = 'lockout';
          return [request(watchOnHook, [LINE.reorder])];
        }
        // ON_HOOK
        this.st = 'idle';
        return [{ kind: 'stop-timer', timer: 'permanent-signal' }, request(watchOffHook)];
      case 'calling':
        switch (e.name) {
          case 'CALL_PROGRESS':
            // The far end's own early media (a 183 with SDP) carries its tones; else ringback here.
            return e.alerting && !e.earlyMedia ? [request(watchOnHook, [LINE.ringback])] : [];
          case 'CALL_ANSWERED':
            this.st = 'connected';
            return [request(watchCall)];
          case 'CALL_FAILED':
          case 'FAR_RELEASE':
            this.st = 'lockout';
            return [request(watchOnHook, [toneForCause(e.cause)])];
          default: // ON_HOOK
            this.st = 'idle';
            return [{ kind: 'hang-up', cause: NORMAL }, request(watchOffHook)];
        }
      case 'connected':
        if (e.name === 'FLASH') return [];
        if (e.name === 'FAR_RELEASE') {
          this.st = 'lockout';
          return [request(watchOnHook, [LINE.reorder])];
        }
        this.st = 'idle';
        return [{ kind: 'hang-up', cause: NORMAL }, request(watchOffHook)];
      case 'ringing':
        if (e.name === 'OFF_HOOK') {
          this.st = 'connected';
          // The new request stops the ringing (signals not repeated are stopped, RFC 3435 §2.3.3).
          return [request(watchCall), { kind: 'answer' }];
        }
        this.st = 'idle';
        return [request(watchOffHook)];
      case 'lockout':
        this.st = 'idle';
        return [request(watchOffHook)];
    }
  }

  /** START in any state: whatever call the line had is released, and the line waits for off-hook. */
  private restart(): LineAction[] {
    const hadCall = this.st === 'calling' || this.st === 'connected' || this.st === 'ringing';
    const wasDialing = this.st === 'dialing';
    this.st = 'idle';
    return [
      ...(hadCall ? [{ kind: 'hang-up', cause: NORMAL } as const] : []),
      ...(wasDialing ? [{ kind: 'stop-timer', timer: 'permanent-signal' } as const] : []),
      request(watchOffHook),
    ];
  }
}
