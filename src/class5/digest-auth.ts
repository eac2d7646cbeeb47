/**
 * Digest authentication of requests from extensions (RFC 3261 §22.4, RFC 7616, RFC 8760).
 *
 * Nonces carry their issue time and the realm under an HMAC with a server secret (RFC 7616 §5.4
 * suggests time-stamped nonces), so a challenge keeps no state: any nonce we signed within its
 * lifetime is good, an older one is answered with stale=true (§3.3). The only state is the highest
 * nonce-count seen per nonce in use (§3.4: a repeated nc is a replay), bounded and dropped when the
 * nonce expires, and failure counts per source address, which block a source that keeps guessing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { DIGEST_ALGORITHMS, digestResponse, formatChallenge, parseCredentials, type DigestAlgorithm } from '../sip/digest.js';
import { Registry } from 'prom-client';
import { class5Metrics, type Class5Metrics } from './metrics.js';

export type AuthFailureReason = 'missing' | 'malformed' | 'realm' | 'bad-nonce' | 'stale' | 'replay' | 'unknown-user' | 'bad-response' | 'algorithm' | 'rate-limited';

/** HA1 per algorithm for one user (RFC 7616 §3.4.2), hex. */
export type Ha1Set = Partial<Record<DigestAlgorithm, string>>;

export type AuthOutcome =
  | { ok: true; username: string }
  | { ok: false; reason: AuthFailureReason; status: 401 | 403; headers: Record<string, string | string[]> };

export interface DigestAuthOptions {
  clock: Clock;
  /** HMAC key for nonces; random per process when absent (nonces then die with a restart: stale=true). */
  secret?: Buffer;
  nonceLifetimeMs?: number;
  /** Failed attempts per source within windowMs before it is blocked for blockMs (403, nothing checked). */
  maxFailures?: number;
  failureWindowMs?: number;
  blockMs?: number;
  /** Algorithms challenged with, most preferred first (default SHA-256 then MD5, RFC 8760 §2.4). */
  algorithms?: readonly DigestAlgorithm[];
  /** Nonces whose nonce-count is tracked at once; the oldest are forgotten first. */
  maxTrackedNonces?: number;
  /** Where challenges and failures are counted (the switch's registry; default: one of its own). */
  registry?: Registry;
}

interface SourceFailures {
  count: number;
  windowStart: number;
  blockedUntil: number;
}

const NC = /^[0-9a-f]{8}$/i;

export class DigestAuthenticator {
  private readonly secret: Buffer;
  private readonly lifetime: number;
  /** nonce → highest nonce-count accepted and when the nonce expires. */
  private readonly counts = new Map<string, { nc: number; expires: number }>();
  private readonly failures = new Map<string, SourceFailures>();
  private readonly opaque: string;
  private readonly m: Class5Metrics;

  constructor(private readonly o: DigestAuthOptions) {
    this.m = class5Metrics(o.registry ?? new Registry());
    this.secret = o.secret ?? randomBytes(32);
    this.lifetime = o.nonceLifetimeMs ?? 300_000;
    this.opaque = createHmac('sha256', this.secret).update('opaque').digest('hex').slice(0, 16);
  }

  private sign(realm: string, issued: string, salt: string): string {
    return createHmac('sha256', this.secret).update(`${realm}\n${issued}\n${salt}`).digest('base64url').slice(0, 27);
  }

  nonce(realm: string): string {
    const issued = this.o.clock.now().toString(16);
    const salt = randomBytes(6).toString('base64url');
    return `${issued}.${salt}.${this.sign(realm, issued, salt)}`;
  }

  /** One WWW-Authenticate per algorithm in order of preference (RFC 8760 §2.4: the UAC takes the first it supports). */
  challenge(realm: string, method: string, stale = false): Record<string, string[]> {
    this.m.authChallenges.inc({ method });
    const nonce = this.nonce(realm);
    return { 'WWW-Authenticate': (this.o.algorithms ?? DIGEST_ALGORITHMS).map((algorithm) => formatChallenge({ realm, nonce, algorithm, opaque: this.opaque, stale })) };
  }

  /** 'fresh', 'stale' (signed by us, expired) or 'forged'. */
  private checkNonce(realm: string, nonce: string): 'fresh' | 'stale' | 'forged' {
    const [issued, salt, mac, extra] = nonce.split('.');
    if (extra !== undefined || !issued || !salt || !mac || !/^[0-9a-f]{1,13}$/.test(issued)) return 'forged';
    const want = Buffer.from(this.sign(realm, issued, salt));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'forged';
    const age = this.o.clock.now() - parseInt(issued, 16);
    return age >= 0 && age <= this.lifetime ? 'fresh' : 'stale';
  }

  blocked(source: string): boolean {
    const f = this.failures.get(source);
    return f !== undefined && f.blockedUntil > this.o.clock.now();
  }

  /**
   * Checks the Authorization header of a request for `realm`. `lookup` gives the user's HA1s
   * (undefined: no such user). A refusal carries the status and headers to answer with.
   */
  verify(req: { method: string; authorization: string | undefined; source: string }, realm: string, lookup: (username: string) => Ha1Set | undefined): AuthOutcome {
    const now = this.o.clock.now();
    if (this.blocked(req.source)) return this.refuse('rate-limited', 403, req, realm, false);
    if (!req.authorization) return { ok: false, reason: 'missing', status: 401, headers: this.challenge(realm, req.method) };
    const c = parseCredentials(req.authorization);
    if (!c) return this.refuse('malformed', 401, req, realm);
    if (c.realm !== realm) return this.refuse('realm', 401, req, realm);
    const nonce = this.checkNonce(realm, c.nonce);
    if (nonce === 'forged') return this.refuse('bad-nonce', 401, req, realm);
    // RFC 7616 §3.3: a response to an expired nonce of ours may well be right; stale=true asks for a retry, not a new password.
    if (nonce === 'stale') return this.refuse('stale', 401, req, realm, false, true);
    // Only qop=auth is offered (RFC 7616 §3.3); auth-int and RFC 2069 (no qop, so no replay check) are refused.
    if (c.qop !== 'auth' || !c.nc || !NC.test(c.nc) || !c.cnonce) return this.refuse('malformed', 401, req, realm);
    const user = lookup(c.username);
    if (!user) return this.refuse('unknown-user', 401, req, realm);
    const stored = (this.o.algorithms ?? DIGEST_ALGORITHMS).includes(c.algorithm) ? user[c.algorithm] : undefined;
    if (!stored) return this.refuse('algorithm', 401, req, realm);
    const expected = Buffer.from(digestResponse(c.algorithm, stored, req.method, c));
    const got = Buffer.from(c.response);
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) return this.refuse('bad-response', 401, req, realm);
    const nc = parseInt(c.nc, 16);
    const seen = this.counts.get(c.nonce);
    if (seen && nc <= seen.nc) return this.refuse('replay', 401, req, realm);
    this.track(c.nonce, nc, parseInt(c.nonce.split('.')[0], 16) + this.lifetime, now);
    return { ok: true, username: c.username };
  }

  private track(nonce: string, nc: number, expires: number, now: number): void {
    this.counts.delete(nonce);
    this.counts.set(nonce, { nc, expires });
    const max = this.o.maxTrackedNonces ?? 100_000;
    for (const [k, v] of this.counts) {
      if (this.counts.size <= max && v.expires > now) break;
      this.counts.delete(k);
    }
  }

  private refuse(reason: AuthFailureReason, status: 401 | 403, req: { method: string; source: string }, realm: string, counts = true, stale = false): AuthOutcome {
    this.m.authFailures.inc({ reason });
    if (counts) this.countFailure(req.source);
    const blockedNow = this.blocked(req.source);
    if (blockedNow || status === 403) return { ok: false, reason, status: 403, headers: {} };
    return { ok: false, reason, status, headers: this.challenge(realm, req.method, stale) };
  }

  private countFailure(source: string): void {
    const now = this.o.clock.now();
    const window = this.o.failureWindowMs ?? 60_000;
    let f = this.failures.get(source);
    if (!f || now - f.windowStart > window) {
      f = { count: 0, windowStart: now, blockedUntil: f?.blockedUntil ?? 0 };
      this.failures.set(source, f);
    }
    f.count++;
    if (f.count >= (this.o.maxFailures ?? 10)) f.blockedUntil = now + (this.o.blockMs ?? 300_000);
    if (this.failures.size > 100_000) {
      for (const [k, v] of this.failures) {
        if (v.blockedUntil <= now && now - v.windowStart > window) this.failures.delete(k);
      }
    }
  }
}
