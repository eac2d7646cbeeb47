/**
 * The filter of CDR queries and exports, as one WHERE clause for either store: SQLite numbers its
 * parameters `?`, PostgreSQL `$1, $2 …`; the terms are the same, so both stores return the same CDRs.
 */

/** Which CDRs a query or an export takes; every given condition must hold. */
export interface CdrFilter {
  /** Calls that started at or after this instant (ISO 8601). */
  from?: string;
  /** Calls that started before this instant (ISO 8601). */
  to?: string;
  customer?: string;
  /** The trunk group the call went out on or came in on. */
  trunkGroup?: string;
  /** Q.850 release cause. */
  cause?: number;
  /** Records up to this id only (an export counts and streams the same set while calls go on). */
  throughId?: number;
}

/** The WHERE clause and parameters of a filter (times normalised to the stored ISO form); `param(n)` writes the n-th placeholder (1-based). */
export function cdrWhere(f: CdrFilter, afterId: number, param: (n: number) => string): { sql: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => (params.push(v), param(params.length));
  terms.push(`id > ${p(afterId)}`);
  if (f.from !== undefined) terms.push(`start_time >= ${p(new Date(f.from).toISOString())}`);
  if (f.to !== undefined) terms.push(`start_time < ${p(new Date(f.to).toISOString())}`);
  if (f.customer !== undefined) terms.push(`customer = ${p(f.customer)}`);
  if (f.trunkGroup !== undefined) terms.push(`(trunk_group = ${p(f.trunkGroup)} OR in_trunk_group = ${p(f.trunkGroup)})`);
  if (f.cause !== undefined) terms.push(`cause = ${p(f.cause)}`);
  if (f.throughId !== undefined) terms.push(`id <= ${p(f.throughId)}`);
  return { sql: terms.join(' AND '), params };
}

export const sqlitePlaceholder = (): string => '?';
export const pgPlaceholder = (n: number): string => `$${n}`;
