/**
 * The call state machine, declared as data: per state, the events it accepts, the state it goes
 * to and the actions to take. It knows legs only as "originating" (A) and "terminating" (B) and
 * performs no I/O; ../call.ts carries the actions out on the legs with the injected clock.
 *
 * Route advance is an action (`next-attempt`): the runner asks the plan for the next
 * destination and answers with ATTEMPT or NO_ROUTE.
 */
import type { LegFailure } from './legs/leg.js';

export type CallState =
  | 'routing' // between attempts: choosing the next destination
  | 'attempting' // a terminating leg is placed, nothing heard yet
  | 'early' // the terminating side is alerting / sent early media
  | 'answering' // the terminating side answered; the answer toward the caller is in flight
  | 'answering-abandoned' // ...and then released (or the switch released): release the caller once answered
  | 'answered'
  | 'releasing'; // both sides are being cleared; ends when every leg has settled

/** `transfer`: the call ended because a party transferred the other (its continuation is another call). */
export type ReleasedBy = 'caller' | 'callee' | 'switch' | 'transfer';

export type CallEvent =
  | { name: 'START' }
  | { name: 'ATTEMPT' }
  | { name: 'NO_ROUTE'; failure: LegFailure }
  | { name: 'B_PROGRESS'; alerting: boolean; sdp?: string }
  | { name: 'B_ANSWER'; sdp?: string }
  | { name: 'B_FAIL'; failure: LegFailure }
  | { name: 'B_RELEASE'; cause: number }
  | { name: 'A_ANSWERED' }
  | { name: 'A_ANSWER_FAILED' }
  | { name: 'A_RELEASE'; cause: number }
  | { name: 'RELEASE_REQ'; cause: number }
  | { name: 'MAX_DURATION' }
  /** A transfer moved the other party to another call: only the transferor's leg is released here. */
  | { name: 'TRANSFERRED'; transferor: 'caller' | 'callee' };

export type CallAction =
  | { kind: 'next-attempt'; failure?: LegFailure }
  | { kind: 'a-progress'; alerting: boolean; sdp?: string }
  | { kind: 'a-answer'; sdp?: string }
  | { kind: 'a-reject'; failure: LegFailure }
  | { kind: 'a-release'; cause?: number }
  | { kind: 'b-release'; cause: number }
  /** Note how the call ended (the first record wins). */
  | { kind: 'record'; cause: number; by: ReleasedBy; canceled?: boolean }
  | { kind: 'answered' }
  | { kind: 'start-duration-cap' }
  | { kind: 'stop-duration-cap' };

type Outcome = { next: CallState; actions: CallAction[] };
type Handler = (e: CallEvent) => Outcome;

/** Q.850 16, normal call clearing. */
const NORMAL = 16;
const causeOf = (e: CallEvent): number => ('cause' in e ? e.cause : NORMAL);

const callerGone =
  (answeredAlready: boolean): Handler =>
  (e) => ({
    next: 'releasing',
    actions: [
      { kind: 'record', cause: causeOf(e), by: 'caller', canceled: !answeredAlready },
      { kind: 'stop-duration-cap' },
      { kind: 'b-release', cause: causeOf(e) },
    ],
  });

const switchReleaseBeforeAnswer: Handler = (e) => ({
  next: 'releasing',
  actions: [{ kind: 'record', cause: causeOf(e), by: 'switch' }, { kind: 'b-release', cause: causeOf(e) }, { kind: 'a-reject', failure: { cause: causeOf(e) } }],
});

const releaseBoth =
  (by: ReleasedBy): Handler =>
  (e) => ({
    next: 'releasing',
    actions: [{ kind: 'record', cause: causeOf(e), by }, { kind: 'stop-duration-cap' }, { kind: 'a-release', cause: causeOf(e) }, { kind: 'b-release', cause: causeOf(e) }],
  });

const progress: Handler = (e) => (e.name === 'B_PROGRESS' ? { next: 'early', actions: [{ kind: 'a-progress', alerting: e.alerting, sdp: e.sdp }] } : { next: 'early', actions: [] });
const answer: Handler = (e) => ({ next: 'answering', actions: [{ kind: 'a-answer', sdp: e.name === 'B_ANSWER' ? e.sdp : undefined }] });
const failed: Handler = (e) => ({ next: 'routing', actions: [{ kind: 'next-attempt', failure: e.name === 'B_FAIL' ? e.failure : { cause: NORMAL } }] });

export const CALL_TRANSITIONS: Record<CallState, Partial<Record<CallEvent['name'], Handler>>> = {
  routing: {
    START: () => ({ next: 'routing', actions: [{ kind: 'next-attempt' }] }),
    ATTEMPT: () => ({ next: 'attempting', actions: [] }),
    NO_ROUTE: (e) => {
      const failure = e.name === 'NO_ROUTE' ? e.failure : { cause: NORMAL };
      return { next: 'releasing', actions: [{ kind: 'record', cause: failure.cause, by: 'callee' }, { kind: 'a-reject', failure }] };
    },
    A_RELEASE: (e) => ({ next: 'releasing', actions: [{ kind: 'record', cause: causeOf(e), by: 'caller', canceled: true }] }),
    RELEASE_REQ: (e) => ({ next: 'releasing', actions: [{ kind: 'record', cause: causeOf(e), by: 'switch' }, { kind: 'a-reject', failure: { cause: causeOf(e) } }] }),
  },
  attempting: {
    B_PROGRESS: progress,
    B_ANSWER: answer,
    B_FAIL: failed,
    A_RELEASE: callerGone(false),
    RELEASE_REQ: switchReleaseBeforeAnswer,
  },
  early: {
    B_PROGRESS: progress,
    B_ANSWER: answer,
    B_FAIL: failed,
    A_RELEASE: callerGone(false),
    RELEASE_REQ: switchReleaseBeforeAnswer,
  },
  answering: {
    A_ANSWERED: () => ({ next: 'answered', actions: [{ kind: 'answered' }, { kind: 'start-duration-cap' }] }),
    // The caller was gone before the answer reached it (CANCEL crossed the 200, or REL crossed ANM).
    A_ANSWER_FAILED: () => ({ next: 'releasing', actions: [{ kind: 'record', cause: NORMAL, by: 'caller', canceled: true }, { kind: 'b-release', cause: NORMAL }] }),
    A_RELEASE: callerGone(false),
    // RFC 3398 §8.2.3: the called side released while our answer was on its way: release the caller once answered.
    B_RELEASE: (e) => ({ next: 'answering-abandoned', actions: [{ kind: 'record', cause: causeOf(e), by: 'callee' }] }),
    B_FAIL: (e) => ({ next: 'answering-abandoned', actions: [{ kind: 'record', cause: e.name === 'B_FAIL' ? e.failure.cause : NORMAL, by: 'callee' }] }),
    RELEASE_REQ: (e) => ({ next: 'answering-abandoned', actions: [{ kind: 'record', cause: causeOf(e), by: 'switch' }, { kind: 'b-release', cause: causeOf(e) }] }),
  },
  'answering-abandoned': {
    A_ANSWERED: () => ({ next: 'releasing', actions: [{ kind: 'answered' }, { kind: 'a-release' }] }),
    A_ANSWER_FAILED: () => ({ next: 'releasing', actions: [] }),
    A_RELEASE: () => ({ next: 'releasing', actions: [] }),
  },
  answered: {
    A_RELEASE: callerGone(true),
    B_RELEASE: (e) => ({ next: 'releasing', actions: [{ kind: 'record', cause: causeOf(e), by: 'callee' }, { kind: 'stop-duration-cap' }, { kind: 'a-release', cause: causeOf(e) }] }),
    RELEASE_REQ: releaseBoth('switch'),
    MAX_DURATION: releaseBoth('switch'),
    TRANSFERRED: (e) => ({
      next: 'releasing',
      actions: [
        { kind: 'record', cause: NORMAL, by: 'transfer' },
        { kind: 'stop-duration-cap' },
        e.name === 'TRANSFERRED' && e.transferor === 'caller' ? { kind: 'a-release', cause: NORMAL } : { kind: 'b-release', cause: NORMAL },
      ],
    }),
  },
  releasing: {},
};

/** One call's state and its transition function. */
export class CallFsm {
  state: CallState = 'routing';

  handle(event: CallEvent): { actions: CallAction[]; accepted: boolean } {
    const handler = CALL_TRANSITIONS[this.state][event.name];
    if (!handler) return { actions: [], accepted: false };
    const out = handler(event);
    this.state = out.next;
    return { actions: out.actions, accepted: true };
  }
}
