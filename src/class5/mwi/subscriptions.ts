/**
 * message-summary subscriptions (RFC 6665) as state without I/O: creating one from an initial
 * SUBSCRIBE, refreshing or ending it from one inside its dialog, the CSeq of each NOTIFY we send,
 * and which ones a mailbox has. Time is passed in; the service runs the expiry timers.
 */

export interface Subscription {
  /** Call-ID;local tag;remote tag. */
  readonly id: string;
  readonly tenant: string;
  /** The extension whose mailbox this is. */
  readonly mailbox: string;
  readonly callId: string;
  /** Our tag (the To tag of our 200, the From tag of our NOTIFYs). */
  readonly localTag: string;
  readonly remoteTag: string;
  /** The resource URI (To of the SUBSCRIBE, From of our NOTIFYs). */
  readonly localUri: string;
  /** The subscriber's From URI (To of our NOTIFYs). */
  readonly remoteUri: string;
  /** §4.1.2 / RFC 3261 §12.1.1: where NOTIFYs go (the SUBSCRIBE's Contact). */
  remoteTarget: string;
  source: { address: string; port: number };
  expiresAt: number;
  /** CSeq of our last NOTIFY in this dialog. */
  cseq: number;
}

export interface ExpiryLimits {
  minExpiresS: number;
  maxExpiresS: number;
  defaultExpiresS: number;
}

export type ExpiresDecision = { ok: true; expiresS: number } | { ok: false; status: 400 | 423; headers: Record<string, string> };

/** RFC 6665 §4.2.1.1: the duration asked for, capped; shorter than the minimum (but not 0) is 423 with Min-Expires. */
export function subscriptionExpires(header: string | undefined, limits: ExpiryLimits): ExpiresDecision {
  if (header === undefined) return { ok: true, expiresS: limits.defaultExpiresS };
  if (!/^\s*\d{1,10}\s*$/.test(header)) return { ok: false, status: 400, headers: {} };
  const asked = Number(header);
  if (asked === 0) return { ok: true, expiresS: 0 };
  if (asked < limits.minExpiresS) return { ok: false, status: 423, headers: { 'Min-Expires': String(limits.minExpiresS) } };
  return { ok: true, expiresS: Math.min(asked, limits.maxExpiresS) };
}

export const subscriptionId = (callId: string, localTag: string, remoteTag: string) => `${callId};${localTag};${remoteTag}`;

export class SubscriptionTable {
  private readonly byId = new Map<string, Subscription>();
  private readonly byMailbox = new Map<string, Set<Subscription>>();

  constructor(private readonly limits: { maxPerMailbox: number; maxTotal: number }) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Subscription | undefined {
    return this.byId.get(id);
  }

  /** Adds a subscription, or says why not: the mailbox or the switch is at its bound. */
  add(s: Omit<Subscription, 'id' | 'cseq'>): Subscription | 'mailbox-full' | 'table-full' {
    const key = `${s.tenant}\n${s.mailbox}`;
    const set = this.byMailbox.get(key) ?? new Set<Subscription>();
    if (set.size >= this.limits.maxPerMailbox) return 'mailbox-full';
    if (this.byId.size >= this.limits.maxTotal) return 'table-full';
    const sub: Subscription = { ...s, id: subscriptionId(s.callId, s.localTag, s.remoteTag), cseq: 0 };
    set.add(sub);
    this.byMailbox.set(key, set);
    this.byId.set(sub.id, sub);
    return sub;
  }

  remove(sub: Subscription): boolean {
    if (!this.byId.delete(sub.id)) return false;
    const key = `${sub.tenant}\n${sub.mailbox}`;
    const set = this.byMailbox.get(key);
    set?.delete(sub);
    if (set?.size === 0) this.byMailbox.delete(key);
    return true;
  }

  ofMailbox(tenant: string, mailbox: string): Subscription[] {
    return [...(this.byMailbox.get(`${tenant}\n${mailbox}`) ?? [])];
  }

  /** The CSeq for the next NOTIFY of a subscription (RFC 3261 §12.2.1.1: one more than the last). */
  nextCSeq(sub: Subscription): number {
    sub.cseq += 1;
    return sub.cseq;
  }

  /** Every subscription whose time is up at `now`, removed. */
  takeExpired(now: number): Subscription[] {
    const out: Subscription[] = [];
    for (const s of [...this.byId.values()]) if (s.expiresAt <= now && this.remove(s)) out.push(s);
    return out;
  }

  all(): Subscription[] {
    return [...this.byId.values()];
  }
}
