/**
 * Terminating features of an extension as a pure decision: from the subscriber's data and what is
 * known now (registered or not, how many forwarding hops the call already made), where to ring
 * first and where to go on busy, no answer or unreachability. The call intake turns it into a plan.
 */
import type { ExtensionConfig, TenantConfig } from '../config.js';

/** RFC 5806 §4 diversion reasons (the ones a Class 5 switch produces). */
export type DiversionReason = 'unconditional' | 'user-busy' | 'no-answer' | 'unavailable' | 'do-not-disturb';

export interface Redirect {
  /** Extension number, national number or SIP URI to go to next. */
  target: string;
  reason: DiversionReason;
  /** RFC 4458 §3.5 / RFC 7044 §4.3.2: the SIP status the retargeting stands for (302, 486, 408, 480). */
  cause: number;
  voicemail: boolean;
}

export interface TerminatingDecision {
  /** Ring the extension's registered contacts first (undefined: go straight to `immediate`). */
  ringContacts: boolean;
  /** Where the call goes at once instead of ringing (CFU, DND to voicemail, unreachable). */
  immediate?: Redirect;
  onBusy?: Redirect;
  onNoAnswer?: Redirect;
  /** How long to ring before onNoAnswer applies. */
  noAnswerMs?: number;
  /** Nowhere to go: answer the caller with this. */
  refuse?: { status: number; cause: number };
}

/** Forwarding hops a call may make before forwarding stops (RFC 5806 §4 counter, RFC 7044 index depth). */
export const MAX_FORWARD_HOPS = 5;

const CAUSE: Record<DiversionReason, number> = { unconditional: 302, 'user-busy': 486, 'no-answer': 408, unavailable: 480, 'do-not-disturb': 480 };

export function terminatingDecision(ext: ExtensionConfig, tenant: Pick<TenantConfig, 'voicemail'>, state: { registered: boolean; hops: number; emergency?: boolean }): TerminatingDecision {
  const f = ext.features;
  const canForward = state.hops < MAX_FORWARD_HOPS && !state.emergency;
  const vm = f.voicemail && tenant.voicemail ? tenant.voicemail : undefined;
  const redirect = (target: string | undefined, reason: DiversionReason, voicemail = false): Redirect | undefined =>
    target && canForward ? { target, reason, cause: CAUSE[reason], voicemail } : undefined;
  const orVoicemail = (target: string | undefined, reason: DiversionReason) => redirect(target, reason) ?? redirect(vm, reason, true);

  const cfu = redirect(f.cfu, 'unconditional');
  if (cfu) return { ringContacts: false, immediate: cfu };
  if (f.dnd && !state.emergency) {
    const dnd = redirect(vm, 'do-not-disturb', true);
    return dnd ? { ringContacts: false, immediate: dnd } : { ringContacts: false, refuse: { status: 486, cause: 17 } };
  }
  if (!state.registered) {
    const nr = orVoicemail(f.cfnr, 'unavailable');
    return nr ? { ringContacts: false, immediate: nr } : { ringContacts: false, refuse: { status: 480, cause: 20 } };
  }
  const onNoAnswer = orVoicemail(f.cfna, 'no-answer');
  return { ringContacts: true, onBusy: orVoicemail(f.cfb, 'user-busy'), onNoAnswer, noAnswerMs: onNoAnswer ? f.noAnswerS * 1000 : undefined };
}
