/**
 * Jurisdiction of a call from the NPA-NXX of both ends (47 CFR §69; the same state is intrastate,
 * different states interstate, an unknown end indeterminate). It picks the rate column.
 */
import { RateColumn } from '../lcr/table.js';
import { isNanp } from './normalize.js';

export type Jurisdiction = 'interstate' | 'intrastate' | 'indeterminate' | 'international';

export function stateOf(states: ReadonlyMap<string, string>, digits: string | undefined): string | undefined {
  if (!digits || !isNanp(digits)) return undefined;
  return states.get(digits.slice(1, 7)) ?? states.get(digits.slice(1, 4));
}

export function jurisdictionOf(states: ReadonlyMap<string, string>, calling: string | undefined, called: string): Jurisdiction {
  if (!isNanp(called)) return 'international';
  const a = stateOf(states, calling);
  const b = stateOf(states, called);
  if (!a || !b) return 'indeterminate';
  return a === b ? 'intrastate' : 'interstate';
}

export function rateColumnFor(j: Jurisdiction): RateColumn {
  return j === 'intrastate' ? RateColumn.Intrastate : j === 'indeterminate' ? RateColumn.Indeterminate : RateColumn.Interstate;
}
