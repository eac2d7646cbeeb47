/**
 * Hunt groups as a pure decision: which members to ring, in which order, and whether together.
 * Linear starts at the first member each time, circular after the member tried first last time,
 * simultaneous rings every member at once (a ForkLeg: first answer wins).
 */
export type HuntStrategy = 'linear' | 'circular' | 'simultaneous';

export interface HuntGroup {
  number: string;
  strategy: HuntStrategy;
  members: string[];
  /** How long each member rings before the next one (linear, circular). */
  ringS: number;
}

export interface HuntDecision {
  /** Each entry is one step; a step with several members rings them together. */
  steps: string[][];
  /** Where circular hunting starts next time. */
  nextStart: number;
}

export function huntDecision(group: HuntGroup, state: { start: number; available: (member: string) => boolean }): HuntDecision {
  const members = group.members.filter(state.available);
  if (members.length === 0) return { steps: [], nextStart: state.start };
  if (group.strategy === 'simultaneous') return { steps: [members], nextStart: state.start };
  if (group.strategy === 'linear') return { steps: members.map((m) => [m]), nextStart: 0 };
  const n = group.members.length;
  const ordered: string[] = [];
  for (let i = 0; i < n; i++) {
    const m = group.members[(state.start + i) % n];
    if (state.available(m)) ordered.push(m);
  }
  return { steps: ordered.map((m) => [m]), nextStart: (state.start + 1) % n };
}

/** Find-me-follow-me: the subscriber's own phones, then each number in turn (or all with the phones). */
export function followMeSteps(ownContacts: boolean, numbers: string[], simultaneous: boolean): Array<Array<'self' | string>> {
  const self: Array<'self'> = ownContacts ? ['self'] : [];
  if (simultaneous) return [[...self, ...numbers]];
  return [...(ownContacts ? [self] : []), ...numbers.map((n) => [n])];
}
