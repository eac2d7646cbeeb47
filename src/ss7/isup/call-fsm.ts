/**
 * ISUP basic call control for one circuit, both directions (Q.764 §2.1–§2.6, T1.113.4 §2.1–§2.6),
 * declared as data: per state, the events it accepts. `handle` performs no I/O; it returns
 * actions (send an ISUP message, start/stop a timer, indicate to call control) that a runner
 * carries out with the injected clock and the ISUP trunk port.
 *
 * Covered: en-bloc and overlap address signalling (SAM, ITU only: T1.113 has no overlap), ACM /
 * CPG / ANM / CON, continuity on the incoming side (T8 awaiting COT; T27 awaiting CCR after a
 * failed check), information request (INR/INF, T33), suspend/resume (SUS/RES: T2 user, T6
 * network), release in every state (T1 repeats REL, T5 ends in RSC).
 */
import type { Variant } from '../variant.js';

export type IsupCallState =
  | 'idle'
  | 'outgoing-setup' // IAM (and SAMs) sent, awaiting ACM/CON (T7)
  | 'outgoing-alerting' // ACM received, awaiting ANM (T9)
  | 'incoming-awaiting-cot' // IAM asking for a continuity check received: awaiting COT (T8)
  | 'incoming-awaiting-ccr' // COT reported failure: awaiting the re-check request (T27)
  | 'incoming-recheck' // CCR received, check loop connected: awaiting the outgoing side's REL
  | 'incoming-setup' // IAM received (and COT, if asked for), nothing sent back yet
  | 'incoming-alerting' // ACM sent
  | 'answered'
  | 'suspended' // SUS received while answered: awaiting RES (T2 user-initiated, T6 network-initiated)
  | 'releasing'; // REL sent, awaiting RLC (T1, T5)

export type IsupTimer = 'T1' | 'T2' | 'T5' | 'T6' | 'T7' | 'T8' | 'T9' | 'T27' | 'T33';

/** Messages the FSM asks to send, by mnemonic; the runner's owner fills the full parameters. */
export type IsupSendRequest =
  | { type: 'IAM'; continuityCheck?: boolean }
  | { type: 'SAM'; digits: string }
  | { type: 'ACM' }
  | { type: 'CPG' }
  | { type: 'ANM' }
  /** `acl`: automatic congestion level of this exchange (Q.764 §2.11.1), 1 or 2, when overloaded. */
  | { type: 'REL'; cause: number; acl?: number }
  | { type: 'RLC' }
  | { type: 'RSC' }
  | { type: 'INR' }
  | { type: 'INF' }
  | { type: 'SUS'; networkInitiated: boolean }
  | { type: 'RES'; networkInitiated: boolean }
  | { type: 'LPA' };

export type IsupCallEvent =
  | { name: 'CC_SETUP_REQ'; continuityCheck?: boolean }
  /** Overlap: further digits after the IAM (Q.764 §2.1.2; ITU only). */
  | { name: 'CC_SAM_REQ'; digits: string }
  | { name: 'CC_ALERT_REQ' }
  | { name: 'CC_PROGRESS_REQ' }
  | { name: 'CC_ANSWER_REQ' }
  | { name: 'CC_RELEASE_REQ'; cause: number; acl?: number }
  /** Ask the preceding exchange for information (INR, Q.764 §2.1.6). */
  | { name: 'CC_INFO_REQ' }
  /** Answer an INR (INF). */
  | { name: 'CC_INFO_RESP' }
  | { name: 'CC_SUSPEND_REQ' }
  | { name: 'CC_RESUME_REQ' }
  /** `continuityCheck`: nature of connection bits DC (0 not required, 1 on this circuit, 2 on a previous circuit). */
  | { name: 'ISUP_IAM'; continuityCheck?: number }
  | { name: 'ISUP_SAM'; digits: string }
  | { name: 'ISUP_ACM' }
  | { name: 'ISUP_CPG' }
  | { name: 'ISUP_ANM' }
  | { name: 'ISUP_CON' }
  | { name: 'ISUP_REL'; cause: number }
  | { name: 'ISUP_RLC' }
  | { name: 'ISUP_COT'; success: boolean }
  | { name: 'ISUP_CCR' }
  | { name: 'ISUP_INR' }
  | { name: 'ISUP_INF' }
  | { name: 'ISUP_SUS'; networkInitiated: boolean }
  | { name: 'ISUP_RES'; networkInitiated: boolean }
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
  | { kind: 'maintenance-alert'; reason: string }
  /** Overlap: digits received in a SAM. */
  | { kind: 'address'; digits: string }
  /** INR received: call control answers with CC_INFO_RESP. */
  | { kind: 'information-request' }
  /** INF received (answer to our INR). */
  | { kind: 'information' }
  | { kind: 'suspended'; networkInitiated: boolean }
  | { kind: 'resumed' }
  /** Connect the check loop on the circuit's bearer (Q.764 §2.1.8: continuity check or re-check). */
  | { kind: 'continuity-loop'; recheck: boolean };

export type IsupCallAction =
  | { kind: 'send'; message: IsupSendRequest }
  | { kind: 'start-timer'; timer: IsupTimer; ms: number }
  | { kind: 'stop-timer'; timer: IsupTimer }
  | { kind: 'indicate'; indication: IsupCallIndication };

/**
 * Timer values in milliseconds. T1, T5, T7 and T9 are the call's; the others are optional so
 * callers that build the object by hand keep compiling: a missing value takes the variant's
 * default ({@link resolveIsupTimers}). 0 disables a supervision timer where the text says so.
 */
export interface IsupTimerValues {
  /** Q.764 / T1.113.4: REL sent, awaiting RLC; on expiry REL repeated. */
  T1: number;
  /** REL sent: after T5 maintenance is alerted and RSC sent. */
  T5: number;
  /** Latest address message sent, awaiting ACM/CON. */
  T7: number;
  /** ACM received, awaiting answer; 0 disables. */
  T9: number;
  /** SUS (user-initiated) received: awaiting RES (Q.764 §2.6.2; not in T1.113). */
  T2?: number;
  /** SUS (network-initiated) received: awaiting RES (Q.764 §2.6.3, T1.113.4 §2.6). */
  T6?: number;
  /** IAM with continuity check received: awaiting COT (Q.764 §2.1.8). */
  T8?: number;
  /** Blocking: BLO sent, repeat interval (Q.764 §2.8.2.1). */
  T12?: number;
  /** Blocking: first interval after which maintenance is alerted; then BLO repeated every T13. */
  T13?: number;
  /** Unblocking: UBL repeat interval. */
  T14?: number;
  T15?: number;
  /** Reset: RSC repeat interval (Q.764 §2.10.3.1). */
  T16?: number;
  T17?: number;
  /** Group blocking: CGB repeat interval (Q.764 §2.8.2.3). */
  T18?: number;
  T19?: number;
  /** Group unblocking: CGU repeat interval. */
  T20?: number;
  T21?: number;
  /** Group reset: GRS repeat interval (Q.764 §2.10.3.2). */
  T22?: number;
  T23?: number;
  /** Continuity re-check: awaiting the check tone back (Q.764 §2.1.8, Q.724 T24). */
  T24?: number;
  /** First re-check after a failed continuity check. */
  T25?: number;
  /** Later re-checks. */
  T26?: number;
  /** COT failure received: awaiting CCR; on expiry RSC (Q.764 §2.1.8). */
  T27?: number;
  /** CQM sent: awaiting CQR (Q.764 §2.10.4). */
  T28?: number;
  /** Automatic congestion control: ACL ignored while T29 runs (Q.764 §2.11.2). */
  T29?: number;
  /** Automatic congestion control: traffic reduction steps back one level per T30. */
  T30?: number;
  /** INR sent: awaiting INF (Q.764 §2.1.6). */
  T33?: number;
  /**
   * The first interval of the escalating supervisions (T13, T15, T17, T19, T21, T23): Q.764
   * §2.8.2.1 and §2.10.3.1 alert maintenance when no acknowledgement came within one minute of the
   * first message, and go on repeating at the long timer's interval.
   */
  alertAfter?: number;
}

export type ResolvedIsupTimers = Required<IsupTimerValues>;

/**
 * Defaults within the ranges of Q.764 Annex A (ITU) and T1.113.4 Table 4 (ANSI), milliseconds.
 * The ANSI differences: T5 is one minute (T1.113.4 §2.3.1), T6 10–32 s for the network suspend
 * (T1.113.4 §2.6.2), no T2 (T1.113 has no user-initiated suspend).
 */
export function defaultIsupTimers(variant: Variant): ResolvedIsupTimers {
  const common = {
    T1: 10_000,
    T7: 30_000,
    T8: 12_000,
    T9: 180_000,
    T12: 30_000,
    T13: 600_000,
    T14: 30_000,
    T15: 600_000,
    T16: 30_000,
    T17: 600_000,
    T18: 30_000,
    T19: 600_000,
    T20: 30_000,
    T21: 600_000,
    T22: 30_000,
    T23: 600_000,
    T24: 2_000,
    T25: 5_000,
    T26: 120_000,
    T27: 240_000,
    T28: 10_000,
    T29: 500,
    T30: 7_000,
    T33: 13_000,
    alertAfter: 60_000,
  };
  return variant === 'ansi'
    ? { ...common, T5: 60_000, T2: 180_000, T6: 20_000 }
    : { ...common, T5: 300_000, T2: 180_000, T6: 60_000 };
}

const DEFAULTS: Record<Variant, ResolvedIsupTimers> = { itu: defaultIsupTimers('itu'), ansi: defaultIsupTimers('ansi') };
/** Per given object and variant: calls share their trunk group's timer object, so each is resolved once. */
const resolved = new WeakMap<object, Partial<Record<Variant, ResolvedIsupTimers>>>();

/** The given values over the variant's defaults (undefined values fall back to the defaults). */
export function resolveIsupTimers(variant: Variant, given?: Partial<IsupTimerValues>): ResolvedIsupTimers {
  if (!given) return { ...DEFAULTS[variant] };
  const cached = resolved.get(given)?.[variant];
  if (cached) return cached;
  const out = { ...DEFAULTS[variant] };
  for (const k of Object.keys(given) as (keyof IsupTimerValues)[]) {
    const v = given[k];
    if (typeof v === 'number') out[k] = v;
  }
  resolved.set(given, { ...resolved.get(given), [variant]: out });
  return out;
}

/** Q.850 cause values used by call control itself. */
export const CAUSE = {
  NORMAL_CLEARING: 16,
  NO_ANSWER: 19,
  TEMPORARY_FAILURE: 41,
  RECOVERY_ON_TIMER_EXPIRY: 102,
  PROTOCOL_ERROR: 111,
} as const;

type Outcome = { next: IsupCallState; actions: IsupCallAction[] };
type Ctx = { t: ResolvedIsupTimers; variant: Variant };
type Handler = (event: IsupCallEvent, c: Ctx) => Outcome;

const send = (message: IsupSendRequest): IsupCallAction => ({ kind: 'send', message });
const start = (timer: IsupTimer, ms: number): IsupCallAction[] => (ms > 0 ? [{ kind: 'start-timer', timer, ms }] : []);
const stop = (...timers: IsupTimer[]): IsupCallAction[] => timers.map((timer) => ({ kind: 'stop-timer', timer }));
const indicate = (indication: IsupCallIndication): IsupCallAction => ({ kind: 'indicate', indication });
const stay =
  (state: IsupCallState, ...actions: IsupCallAction[]): Handler =>
  () => ({ next: state, actions });

/** Every timer a call may run outside release: stopped whenever the call leaves its phase. */
const CALL_TIMERS: IsupTimer[] = ['T2', 'T6', 'T7', 'T8', 'T9', 'T27', 'T33'];

/**
 * Q.764 §2.3.1 / T1.113.4 §2.3.1: on REL, release the switch path, then answer RLC. Call control
 * hears of the release first (it clears the other leg), then RLC goes out.
 */
const onRemoteRelease: Handler = (e) => ({
  next: 'idle',
  actions: [...stop(...CALL_TIMERS), indicate({ kind: 'released', cause: e.name === 'ISUP_REL' ? e.cause : 0, by: 'remote' }), send({ type: 'RLC' })],
});

/** Q.764 §2.3.1 a)/§2.3.2: we release: send REL, start T1 and T5. */
const onLocalRelease: Handler = (e, { t }) => ({
  next: 'releasing',
  actions: [
    ...stop(...CALL_TIMERS),
    send(e.name === 'CC_RELEASE_REQ' && e.acl ? { type: 'REL', cause: e.cause, acl: e.acl } : { type: 'REL', cause: e.name === 'CC_RELEASE_REQ' ? e.cause : CAUSE.NORMAL_CLEARING }),
    ...start('T1', t.T1),
    ...start('T5', t.T5),
  ],
});

/** A timer supervising the call expired: release toward the far end and tell call control. */
const failOn =
  (cause: number): Handler =>
  (_e, c) => {
    const out = onLocalRelease({ name: 'CC_RELEASE_REQ', cause }, c);
    return { next: out.next, actions: [...out.actions, indicate({ kind: 'released', cause, by: 'local-timer' })] };
  };

/** Dispatches TIMER_EXPIRY by timer name; other timers are stale and ignored. */
const onTimer =
  (state: IsupCallState, table: Partial<Record<IsupTimer, Handler>>): Handler =>
  (e, c) => {
    const h = e.name === 'TIMER_EXPIRY' ? table[e.timer] : undefined;
    return h ? h(e, c) : { next: state, actions: [] };
  };

const answered: Handler = () => ({ next: 'answered', actions: [...stop('T7', 'T9'), indicate({ kind: 'answer' })] });

/** Q.764 §2.1.6: an INR is answered by call control (CC_INFO_RESP → INF) in any state after the IAM. */
const onInr = (state: IsupCallState): Handler => stay(state, indicate({ kind: 'information-request' }));
/** INR sent; T33 supervises the INF (Q.764 §2.1.6.1; T1.113.4 §2.1.6). */
const sendInr =
  (state: IsupCallState): Handler =>
  (_e, { t }) => ({ next: state, actions: [send({ type: 'INR' }), ...start('T33', t.T33)] });
const onInf = (state: IsupCallState): Handler => stay(state, ...stop('T33'), indicate({ kind: 'information' }));
/** Q.764 §2.1.6.1: no INF within T33: the call is released (cause 111 unspecified protocol error is not mandated; 102 recovery on timer is used). */
const t33 = failOn(CAUSE.RECOVERY_ON_TIMER_EXPIRY);

/** What every state in a call accepts: release both ways. */
const releases = { ISUP_REL: onRemoteRelease, CC_RELEASE_REQ: onLocalRelease };

export const ISUP_CALL_TRANSITIONS: Record<IsupCallState, Partial<Record<IsupCallEvent['name'], Handler>>> = {
  idle: {
    CC_SETUP_REQ: (e, { t }) => ({
      next: 'outgoing-setup',
      actions: [send(e.name === 'CC_SETUP_REQ' && e.continuityCheck ? { type: 'IAM', continuityCheck: true } : { type: 'IAM' }), ...start('T7', t.T7)],
    }),
    ISUP_IAM: (e, { t }) => {
      const cc = e.name === 'ISUP_IAM' ? (e.continuityCheck ?? 0) : 0;
      // Q.764 §2.1.8 / T1.113.4 §2.1.8: a check on this circuit (loop connected) or on a previous one: await COT under T8.
      if (cc === 1 || cc === 2) {
        return { next: 'incoming-awaiting-cot', actions: [...start('T8', t.T8), ...(cc === 1 ? [indicate({ kind: 'continuity-loop', recheck: false })] : [])] };
      }
      return { next: 'incoming-setup', actions: [indicate({ kind: 'setup' })] };
    },
  },
  'outgoing-setup': {
    ISUP_ACM: (_e, { t }) => ({ next: 'outgoing-alerting', actions: [...stop('T7'), ...start('T9', t.T9), indicate({ kind: 'alerting' })] }),
    // Q.764 §2.1.4.7: CON (ITU) is ACM and ANM at once.
    ISUP_CON: answered,
    // Q.764 §2.1.4.8: ANM before ACM (e.g. an automatic answer) answers the call.
    ISUP_ANM: answered,
    ISUP_CPG: stay('outgoing-setup', indicate({ kind: 'progress' })),
    // Q.764 §2.1.2: T7 is restarted when each further address message is sent. T1.113 has no SAM.
    CC_SAM_REQ: (e, { t, variant }) =>
      variant === 'ansi' || e.name !== 'CC_SAM_REQ' ? { next: 'outgoing-setup', actions: [] } : { next: 'outgoing-setup', actions: [send({ type: 'SAM', digits: e.digits }), ...start('T7', t.T7)] },
    ISUP_INR: onInr('outgoing-setup'),
    CC_INFO_RESP: stay('outgoing-setup', send({ type: 'INF' })),
    ...releases,
    // Q.764 §2.1.4.5 / T1.113.4 §2.1.4: T7 expiry releases with cause 102.
    TIMER_EXPIRY: onTimer('outgoing-setup', { T7: failOn(CAUSE.RECOVERY_ON_TIMER_EXPIRY) }),
  },
  'outgoing-alerting': {
    ISUP_ANM: answered,
    ISUP_CON: answered,
    ISUP_CPG: stay('outgoing-alerting', indicate({ kind: 'progress' })),
    ISUP_INR: onInr('outgoing-alerting'),
    CC_INFO_RESP: stay('outgoing-alerting', send({ type: 'INF' })),
    ...releases,
    TIMER_EXPIRY: onTimer('outgoing-alerting', { T9: failOn(CAUSE.NO_ANSWER) }),
  },
  'incoming-awaiting-cot': {
    // Q.764 §2.1.8: a successful COT lets the call proceed; it is offered to call control only now.
    ISUP_COT: (e, { t }) =>
      e.name === 'ISUP_COT' && e.success
        ? { next: 'incoming-setup', actions: [...stop('T8'), indicate({ kind: 'setup' })] }
        : // Q.764 §2.1.8: a failed check: the switch path is released and T27 awaits the re-check request (CCR).
          { next: 'incoming-awaiting-ccr', actions: [...stop('T8'), ...start('T27', t.T27)] },
    // Digits arriving before COT are held by the owner (the service buffers them): accepted, no indication.
    ISUP_SAM: stay('incoming-awaiting-cot'),
    ...releases,
    // Q.764 §2.1.8 / T1.113.4 §2.1.8: no COT within T8: release the call (cause 41 temporary failure).
    TIMER_EXPIRY: onTimer('incoming-awaiting-cot', { T8: failOn(CAUSE.TEMPORARY_FAILURE) }),
  },
  'incoming-awaiting-ccr': {
    // Q.764 §2.1.8 (re-check): connect the loop again; T1.113.4 §2.1.8 acknowledges with LPA.
    ISUP_CCR: (_e, { variant }) => ({
      next: 'incoming-recheck',
      actions: [...stop('T27'), indicate({ kind: 'continuity-loop', recheck: true }), ...(variant === 'ansi' ? [send({ type: 'LPA' })] : [])],
    }),
    ISUP_REL: onRemoteRelease,
    // Q.764 §2.1.8: T27 expiry: reset the circuit (the reset is supervised by the service, T16/T17).
    TIMER_EXPIRY: onTimer('incoming-awaiting-ccr', {
      T27: () => ({ next: 'idle', actions: [send({ type: 'RSC' }), indicate({ kind: 'release-complete' })] }),
    }),
  },
  'incoming-recheck': {
    // The outgoing side ends the re-check with REL on success, or reports failure and re-checks later.
    ISUP_REL: onRemoteRelease,
    ISUP_COT: (e, { t }) => (e.name === 'ISUP_COT' && !e.success ? { next: 'incoming-awaiting-ccr', actions: [...start('T27', t.T27)] } : { next: 'incoming-recheck', actions: [] }),
    ISUP_CCR: (_e, { variant }) => ({ next: 'incoming-recheck', actions: [indicate({ kind: 'continuity-loop', recheck: true }), ...(variant === 'ansi' ? [send({ type: 'LPA' })] : [])] }),
  },
  'incoming-setup': {
    CC_ALERT_REQ: () => ({ next: 'incoming-alerting', actions: [...stop('T33'), send({ type: 'ACM' })] }),
    CC_ANSWER_REQ: () => ({ next: 'answered', actions: [...stop('T33'), send({ type: 'ACM' }), send({ type: 'ANM' })] }),
    // Q.764 §2.1.2: overlap: each SAM brings digits to call control.
    ISUP_SAM: (e) => ({ next: 'incoming-setup', actions: e.name === 'ISUP_SAM' ? [indicate({ kind: 'address', digits: e.digits })] : [] }),
    CC_INFO_REQ: sendInr('incoming-setup'),
    ISUP_INF: onInf('incoming-setup'),
    ...releases,
    TIMER_EXPIRY: onTimer('incoming-setup', { T33: t33 }),
  },
  'incoming-alerting': {
    CC_PROGRESS_REQ: stay('incoming-alerting', send({ type: 'CPG' })),
    CC_ANSWER_REQ: () => ({ next: 'answered', actions: [...stop('T33'), send({ type: 'ANM' })] }),
    CC_INFO_REQ: sendInr('incoming-alerting'),
    ISUP_INF: onInf('incoming-alerting'),
    ISUP_SAM: stay('incoming-alerting'),
    ...releases,
    TIMER_EXPIRY: onTimer('incoming-alerting', { T33: t33 }),
  },
  answered: {
    ...releases,
    ISUP_CPG: stay('answered'),
    ISUP_INF: onInf('answered'),
    // Q.764 §2.6.1 / T1.113.4 §2.6: the far end suspends; the controlling exchange supervises the RES.
    ISUP_SUS: (e, { t, variant }) => {
      const network = e.name === 'ISUP_SUS' ? e.networkInitiated || variant === 'ansi' : true;
      // Q.764 §2.6.2 user-initiated: T2; §2.6.3 network-initiated: T6 (T1.113.4 §2.6.2: network only, T6).
      return { next: 'suspended', actions: [...(network ? start('T6', t.T6) : start('T2', t.T2)), indicate({ kind: 'suspended', networkInitiated: network })] };
    },
    // Our side suspends/resumes (network-initiated, e.g. the interworked leg is on hold): the far end supervises.
    CC_SUSPEND_REQ: stay('answered', send({ type: 'SUS', networkInitiated: true })),
    CC_RESUME_REQ: stay('answered', send({ type: 'RES', networkInitiated: true })),
    ISUP_RES: stay('answered'),
    TIMER_EXPIRY: onTimer('answered', { T33: t33 }),
  },
  suspended: {
    ISUP_RES: () => ({ next: 'answered', actions: [...stop('T2', 'T6'), indicate({ kind: 'resumed' })] }),
    ISUP_SUS: stay('suspended'),
    ISUP_CPG: stay('suspended'),
    ...releases,
    // Q.764 §2.6.2/§2.6.3, T1.113.4 §2.6.2: no RES in time: the controlling exchange releases (cause 102).
    TIMER_EXPIRY: onTimer('suspended', { T2: failOn(CAUSE.RECOVERY_ON_TIMER_EXPIRY), T6: failOn(CAUSE.RECOVERY_ON_TIMER_EXPIRY) }),
  },
  releasing: {
    ISUP_RLC: () => ({ next: 'idle', actions: [...stop('T1', 'T5'), indicate({ kind: 'release-complete' })] }),
    // Release collision (Q.764 §2.3.1 f)): a REL while awaiting RLC is answered with RLC; the circuit is idle.
    ISUP_REL: () => ({ next: 'idle', actions: [...stop('T1', 'T5'), send({ type: 'RLC' }), indicate({ kind: 'release-complete' })] }),
    TIMER_EXPIRY: onTimer('releasing', {
      // Q.764 §2.3.1 e) / T1.113.4 §2.3.1: on T1 expiry, repeat REL and restart T1.
      T1: (_e, { t }) => ({ next: 'releasing', actions: [send({ type: 'REL', cause: CAUSE.NORMAL_CLEARING }), ...start('T1', t.T1)] }),
      // Q.764 §2.3.1 e) / T1.113.4 §2.3.1: on T5 expiry, alert maintenance, stop T1, send RSC (the service then supervises the reset with T16/T17).
      T5: () => ({
        next: 'idle',
        actions: [...stop('T1'), send({ type: 'RSC' }), indicate({ kind: 'maintenance-alert', reason: 'T5 expired: no RLC for REL' }), indicate({ kind: 'release-complete' })],
      }),
    }),
  },
};

/** One circuit's call: the current state and the transition function. */
export class IsupCallFsm {
  state: IsupCallState = 'idle';
  private readonly ctx: Ctx;

  /** `variant` decides the ANSI differences; missing timer values take its defaults (ITU when not given). */
  constructor(timers: IsupTimerValues, variant: Variant = 'itu') {
    this.ctx = { t: resolveIsupTimers(variant, timers), variant };
  }

  /** Events not accepted in the current state yield no actions and are reported as unexpected. */
  handle(event: IsupCallEvent): { actions: IsupCallAction[]; accepted: boolean } {
    const handler = ISUP_CALL_TRANSITIONS[this.state][event.name];
    if (!handler) return { actions: [], accepted: false };
    const out = handler(event, this.ctx);
    this.state = out.next;
    return { actions: out.actions, accepted: true };
  }
}
