/**
 * ISUP basic call control for one circuit, both directions (Q.764 §2.1–§2.3, T1.113.4 §2.1–§2.3),
 * declared as data: per state, the events it accepts. `handle` performs no I/O; it returns
 * actions (send an ISUP message, start/stop a timer, indicate to call control) that a runner
 * carries out with the injected clock and the ISUP trunk port.
 */
import type { Variant } from '../variant.js';

export type IsupCallState =
  | 'idle'
  | 'outgoing-setup' // IAM sent, awaiting ACM (T7)
  | 'outgoing-alerting' // ACM received, awaiting ANM (T9)
  | 'incoming-setup' // IAM received, nothing sent back yet
  | 'incoming-alerting' // ACM sent
  | 'answered'
  | 'releasing'; // REL sent, awaiting RLC (T1, T5)

export type IsupTimer = 'T1' | 'T5' | 'T7' | 'T9';

/** Messages the FSM asks to send, by mnemonic; the runner fills the full parameters. */
export type IsupSendRequest =
  | { type: 'IAM' }
  | { type: 'ACM' }
  | { type: 'CPG' }
  | { type: 'ANM' }
  | { type: 'REL'; cause: number }
  | { type: 'RLC' }
  | { type: 'RSC' };

export type IsupCallEvent =
  | { name: 'CC_SETUP_REQ' }
  | { name: 'CC_ALERT_REQ' }
  | { name: 'CC_PROGRESS_REQ' }
  | { name: 'CC_ANSWER_REQ' }
  | { name: 'CC_RELEASE_REQ'; cause: number }
  | { name: 'ISUP_IAM' }
  | { name: 'ISUP_ACM' }
  | { name: 'ISUP_CPG' }
  | { name: 'ISUP_ANM' }
  | { name: 'ISUP_CON' }
  | { name: 'ISUP_REL'; cause: number }
  | { name: 'ISUP_RLC' }
  | { name: 'TIMER_EXPIRY'; timer: IsupTimer };

/** Indications to call control (the interworking layer). */
export type IsupCallIndication =
  | { kind: 'setup' }
  | { kind: 'alerting' }
  | { kind: 'progress' }
  | { kind: 'answer' }
  /** The far end released (REL received) or the call failed locally (timer); RLC already handled. */
  | { kind: 'released'; cause: number; by: 'remote' | 'local-timer' }
  /** Our release finished: RLC received, the circuit is idle. */
  | { kind: 'release-complete' }
  /** T5 expired: the far end never confirmed release; RSC sent. */
  | { kind: 'maintenance-alert'; reason: string };

export type IsupCallAction =
  | { kind: 'send'; message: IsupSendRequest }
  | { kind: 'start-timer'; timer: IsupTimer; ms: number }
  | { kind: 'stop-timer'; timer: IsupTimer }
  | { kind: 'indicate'; indication: IsupCallIndication };

export interface IsupTimerValues {
  T1: number;
  T5: number;
  T7: number;
  /** 0 disables T9 (awaiting answer). */
  T9: number;
}

/** Defaults within the ranges of Q.764 Annex A / T1.113.4 Table 4 (milliseconds). */
export function defaultIsupTimers(variant: Variant): IsupTimerValues {
  return variant === 'ansi'
    ? { T1: 10_000, T5: 60_000, T7: 30_000, T9: 180_000 }
    : { T1: 10_000, T5: 300_000, T7: 30_000, T9: 180_000 };
}

/** Q.850 cause values used by call control itself. */
export const CAUSE = {
  NORMAL_CLEARING: 16,
  NO_ANSWER: 19,
  RECOVERY_ON_TIMER_EXPIRY: 102,
} as const;

type Outcome = { next: IsupCallState; actions: IsupCallAction[] };
type Handler = (event: IsupCallEvent, t: IsupTimerValues) => Outcome;

const send = (message: IsupSendRequest): IsupCallAction => ({ kind: 'send', message });
const start = (timer: IsupTimer, ms: number): IsupCallAction[] => (ms > 0 ? [{ kind: 'start-timer', timer, ms }] : []);
const stop = (...timers: IsupTimer[]): IsupCallAction[] => timers.map((timer) => ({ kind: 'stop-timer', timer }));
const indicate = (indication: IsupCallIndication): IsupCallAction => ({ kind: 'indicate', indication });

/**
 * Q.764 §2.3.1: on REL, release the switch path, then answer RLC. Call control hears of the
 * release first (it clears the other leg), then RLC goes out.
 */
const onRemoteRelease: Handler = (e) => ({
  next: 'idle',
  actions: [...stop('T7', 'T9'), indicate({ kind: 'released', cause: e.name === 'ISUP_REL' ? e.cause : 0, by: 'remote' }), send({ type: 'RLC' })],
});

/** Q.764 §2.3.1 a)/§2.3.2: we release: send REL, start T1 and T5. */
const onLocalRelease: Handler = (e, t) => ({
  next: 'releasing',
  actions: [
    ...stop('T7', 'T9'),
    send({ type: 'REL', cause: e.name === 'CC_RELEASE_REQ' ? e.cause : CAUSE.NORMAL_CLEARING }),
    ...start('T1', t.T1),
    ...start('T5', t.T5),
  ],
});

/** A timer supervising set-up expired: release toward the far end and tell call control. */
const failOnTimer =
  (cause: number): Handler =>
  (_e, t) => {
    const out = onLocalRelease({ name: 'CC_RELEASE_REQ', cause }, t);
    return { next: out.next, actions: [...out.actions, indicate({ kind: 'released', cause, by: 'local-timer' })] };
  };

const answered: Handler = () => ({ next: 'answered', actions: [...stop('T7', 'T9'), indicate({ kind: 'answer' })] });

export const ISUP_CALL_TRANSITIONS: Record<IsupCallState, Partial<Record<IsupCallEvent['name'], Handler>>> = {
  idle: {
    CC_SETUP_REQ: (_e, t) => ({ next: 'outgoing-setup', actions: [send({ type: 'IAM' }), ...start('T7', t.T7)] }),
    ISUP_IAM: () => ({ next: 'incoming-setup', actions: [indicate({ kind: 'setup' })] }),
  },
  'outgoing-setup': {
    ISUP_ACM: (_e, t) => ({ next: 'outgoing-alerting', actions: [...stop('T7'), ...start('T9', t.T9), indicate({ kind: 'alerting' })] }),
    // Q.764 §2.1.4.7: CON (ITU) is ACM and ANM at once.
    ISUP_CON: answered,
    ISUP_ANM: answered,
    ISUP_CPG: () => ({ next: 'outgoing-setup', actions: [indicate({ kind: 'progress' })] }),
    ISUP_REL: onRemoteRelease,
    CC_RELEASE_REQ: onLocalRelease,
    // Q.764 §2.1.4.5 / T1.113.4: T7 expiry releases with cause 102 (ANSI and ITU alike here).
    TIMER_EXPIRY: (e, t) => (e.name === 'TIMER_EXPIRY' && e.timer === 'T7' ? failOnTimer(CAUSE.RECOVERY_ON_TIMER_EXPIRY)(e, t) : { next: 'outgoing-setup', actions: [] }),
  },
  'outgoing-alerting': {
    ISUP_ANM: answered,
    ISUP_CON: answered,
    ISUP_CPG: () => ({ next: 'outgoing-alerting', actions: [indicate({ kind: 'progress' })] }),
    ISUP_REL: onRemoteRelease,
    CC_RELEASE_REQ: onLocalRelease,
    TIMER_EXPIRY: (e, t) => (e.name === 'TIMER_EXPIRY' && e.timer === 'T9' ? failOnTimer(CAUSE.NO_ANSWER)(e, t) : { next: 'outgoing-alerting', actions: [] }),
  },
  'incoming-setup': {
    CC_ALERT_REQ: () => ({ next: 'incoming-alerting', actions: [send({ type: 'ACM' })] }),
    CC_ANSWER_REQ: () => ({ next: 'answered', actions: [send({ type: 'ACM' }), send({ type: 'ANM' })] }),
    ISUP_REL: onRemoteRelease,
    CC_RELEASE_REQ: onLocalRelease,
  },
  'incoming-alerting': {
    CC_PROGRESS_REQ: () => ({ next: 'incoming-alerting', actions: [send({ type: 'CPG' })] }),
    CC_ANSWER_REQ: () => ({ next: 'answered', actions: [send({ type: 'ANM' })] }),
    ISUP_REL: onRemoteRelease,
    CC_RELEASE_REQ: onLocalRelease,
  },
  answered: {
    ISUP_REL: onRemoteRelease,
    CC_RELEASE_REQ: onLocalRelease,
    ISUP_CPG: () => ({ next: 'answered', actions: [] }),
  },
  releasing: {
    ISUP_RLC: () => ({ next: 'idle', actions: [...stop('T1', 'T5'), indicate({ kind: 'release-complete' })] }),
    // Release collision (Q.764 §2.3.1): a REL while awaiting RLC is answered with RLC; the circuit is idle.
    ISUP_REL: () => ({ next: 'idle', actions: [...stop('T1', 'T5'), send({ type: 'RLC' }), indicate({ kind: 'release-complete' })] }),
    TIMER_EXPIRY: (e, t) => {
      if (e.name !== 'TIMER_EXPIRY') return { next: 'releasing', actions: [] };
      // Q.764 §2.3.1 e): on T1 expiry, repeat REL and restart T1.
      if (e.timer === 'T1') return { next: 'releasing', actions: [send({ type: 'REL', cause: CAUSE.NORMAL_CLEARING }), ...start('T1', t.T1)] };
      // Q.764 §2.3.1 e) / T1.113.4 §2.3: on T5 expiry, alert maintenance, stop T1, send RSC.
      if (e.timer === 'T5')
        return {
          next: 'idle',
          actions: [...stop('T1'), send({ type: 'RSC' }), indicate({ kind: 'maintenance-alert', reason: 'T5 expired: no RLC for REL' }), indicate({ kind: 'release-complete' })],
        };
      return { next: 'releasing', actions: [] };
    },
  },
};

/** One circuit's call: the current state and the transition function. */
export class IsupCallFsm {
  state: IsupCallState = 'idle';

  constructor(private readonly timers: IsupTimerValues) {}

  /** Events not accepted in the current state yield no actions and are reported as unexpected. */
  handle(event: IsupCallEvent): { actions: IsupCallAction[]; accepted: boolean } {
    const handler = ISUP_CALL_TRANSITIONS[this.state][event.name];
    if (!handler) return { actions: [], accepted: false };
    const out = handler(event, this.timers);
    this.state = out.next;
    return { actions: out.actions, accepted: true };
  }
}
