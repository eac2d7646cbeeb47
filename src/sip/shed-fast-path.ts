/**
 * Refusing new INVITEs from their raw bytes while the switch sheds load, so that a refusal costs
 * a scan and a send rather than a parse, a transaction and a dialog lookup (RFC 3261 §8.2.6
 * stateless responses; §21.5.4 503). What it keeps is small and short-lived: the To tag given to
 * each refused INVITE, for 64×T1 (§17.2.1 Timer H), so that
 *  - a retransmission of a refused INVITE gets the same 503 again, even once shedding has
 *    stopped (it is the same request, already refused: never a new call);
 *  - the ACK for that 503 is recognised by this stack's random tag prefix in its bytes (every
 *    To tag given here starts with it) and absorbed without a parse or a scan.
 * Requests of existing dialogs and transactions never match here: their To tags are not ours
 * from this prefix, and requests other than INVITE and ACK are not looked at.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { BRANCH_COOKIE, T1 } from './constants.js';
import { buildRawResponse, scanRequest, type RawRequest } from './raw-request.js';
import { ExpiringFifo } from './transaction/expiring-fifo.js';
import { cookieServerKey, sentByKey } from './transaction/keys.js';

const I = 0x49;
const A = 0x41;
const ACK_SP = Buffer.from('ACK ', 'latin1');

export type RawClass =
  /** The ACK for a 503 given here: nothing more to do. */
  | { kind: 'ack' }
  /** A retransmission of an INVITE refused here: send `bytes` to `to` again. */
  | { kind: 'again'; bytes: Buffer; to: { address: string; port: number } }
  /** A new INVITE (no To tag) that may be refused with `refuse`. */
  | { kind: 'invite'; raw: RawRequest };

/** Header lines of an overload 503 (§21.5.4 Retry-After; Q.850 cause 42, switching equipment congestion). */
export function overloadRefusalHeaders(retryAfterS: number, userAgent?: string): Array<[string, string]> {
  const lines: Array<[string, string]> = [['Retry-After', String(retryAfterS)], ['Reason', 'Q.850;cause=42']];
  if (userAgent) lines.push(['Server', userAgent]);
  return lines;
}

export class ShedFastPath {
  /** Refused INVITEs by Call-ID and top Via branch: the To tag they were given. */
  private readonly refused: ExpiringFifo<string>;
  private readonly prefix = `shed${randomBytes(4).toString('hex')}`;
  private readonly prefixBytes = Buffer.from(this.prefix, 'latin1');
  private counter = 0;

  constructor(
    clock: Clock,
    /** Header lines of the overload 503 (Retry-After, Reason), repeated for retransmissions. */
    private readonly overloadHeaders: ReadonlyArray<readonly [string, string]>,
    maxRemembered = 100_000,
  ) {
    this.refused = new ExpiringFifo<string>({ clock, maxEntries: Math.max(1, maxRemembered) });
  }

  /** Whether anything is remembered (when not, and not shedding, the fast path has nothing to do). */
  get active(): boolean {
    return this.refused.size > 0;
  }

  get remembered(): number {
    return this.refused.size;
  }

  /**
   * What a datagram is to the fast path, or undefined for anything it leaves to the full stack
   * (including all it cannot read with certainty). `sheddingNow`: new INVITEs are being refused;
   * `known`: whether the stack holds a server transaction (or a 2xx-answered INVITE) under this
   * key (transaction/layer.ts serverKey): a retransmission of an admitted call is never refused.
   */
  classify(buf: Buffer, source: { address: string; port: number }, shedding: () => boolean, known: (serverKey: string) => boolean): RawClass | undefined {
    if (buf.length < 16 || (buf[0] !== I && buf[0] !== A)) return undefined;
    const sheddingNow = shedding();
    if (!sheddingNow && this.refused.size === 0) return undefined;
    if (buf[0] === A) {
      // An ACK is ours only with one of our To tags, so without the prefix's bytes it is not. With
      // them it is the ACK of one of our 503s: the prefix is this process's own random string, and
      // an ACK that carries it anywhere else (forged) asks for nothing an absorbed ACK would give.
      if (buf.indexOf(this.prefixBytes) < 0) return undefined;
      return buf.compare(ACK_SP, 0, 4, 0, 4) === 0 ? { kind: 'ack' } : undefined;
    }
    const raw = scanRequest(buf);
    if (!raw) return undefined;
    if (raw.method !== 'INVITE' || raw.cseqMethod !== 'INVITE' || raw.toTag !== undefined) return undefined;
    const tag = this.refused.size > 0 ? this.refused.get(this.keyOf(raw)) : undefined;
    if (tag !== undefined) {
      const r = buildRawResponse(raw, source, { status: 503, reason: 'Service Unavailable', toTag: tag, headers: this.overloadHeaders });
      return { kind: 'again', bytes: r.bytes, to: r.to };
    }
    if (!sheddingNow) return undefined;
    // Older (RFC 2543) branches go the full way.
    const key = inviteServerKey(raw);
    if (key === undefined || known(key)) return undefined;
    return { kind: 'invite', raw };
  }

  /**
   * The stateless 503 refusing a new INVITE: its bytes and destination. An overload refusal is
   * remembered (its retransmissions get it again); a rate-limit one, with its own `headers`, is not.
   */
  refuse(raw: RawRequest, source: { address: string; port: number }, overload: boolean, headers: ReadonlyArray<readonly [string, string]> = []): { bytes: Buffer; to: { address: string; port: number } } {
    const toTag = `${this.prefix}${(this.counter++).toString(36)}`;
    if (overload) this.refused.set(this.keyOf(raw), toTag, 64 * T1);
    return buildRawResponse(raw, source, { status: 503, reason: 'Service Unavailable', toTag, headers: overload ? this.overloadHeaders : headers });
  }

  clear(): void {
    this.refused.clear();
  }

  private keyOf(raw: RawRequest): string {
    return `${raw.callId}\n${raw.topVia.branch ?? ''}\n${raw.cseq}`;
  }
}

/** The transaction layer's key (transaction/keys.ts) for a raw INVITE with an RFC 3261 branch; undefined for an older one. */
export function inviteServerKey(raw: RawRequest): string | undefined {
  const v = raw.topVia;
  return v.branch?.startsWith(BRANCH_COOKIE) ? cookieServerKey(v.branch, sentByKey(v.host, v.port), 'INVITE') : undefined;
}
