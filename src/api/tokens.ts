/**
 * Admin API bearer tokens. A token is 32 random bytes (`ssw_` + base64url); the configuration
 * holds only `sha256$<salt>$<digest>` with a per-token 16-byte salt. SHA-256 rather than a slow
 * KDF because the secret has 256 bits of entropy (nothing to guess) and is checked on every
 * request; digests are compared with crypto.timingSafeEqual.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ROLES = ['read-only', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_PREFIX = 'ssw_';
export const TOKEN_HASH_RE = /^sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/;
/** Longer Authorization values are refused without hashing. */
const MAX_TOKEN_LENGTH = 256;

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function createToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

function digest(salt: Buffer, token: string): Buffer {
  return createHash('sha256').update(salt).update(token, 'utf8').digest();
}

export function hashToken(token: string, salt: Buffer = randomBytes(16)): string {
  return `sha256$${salt.toString('base64url')}$${digest(salt, token).toString('base64url')}`;
}

export interface Principal {
  name: string;
  role: Role;
}

interface StoredToken extends Principal {
  salt: Buffer;
  digest: Buffer;
}

/** Finds the configured token a presented secret belongs to. */
export class TokenVerifier {
  private readonly tokens: StoredToken[];

  constructor(tokens: ReadonlyArray<{ name: string; role: Role; hash: string }>) {
    this.tokens = tokens.map((t) => {
      if (!TOKEN_HASH_RE.test(t.hash)) throw new Error(`token ${t.name}: malformed hash`);
      const [, salt, d] = t.hash.split('$');
      return { name: t.name, role: t.role, salt: Buffer.from(salt, 'base64url'), digest: Buffer.from(d, 'base64url') };
    });
  }

  get size(): number {
    return this.tokens.length;
  }

  verify(presented: string): Principal | undefined {
    if (presented.length === 0 || presented.length > MAX_TOKEN_LENGTH) return undefined;
    let found: StoredToken | undefined;
    // Every configured token is checked, so the time taken does not say which one (or none) matched.
    for (const t of this.tokens) {
      if (timingSafeEqual(digest(t.salt, presented), t.digest) && !found) found = t;
    }
    return found && { name: found.name, role: found.role };
  }
}

/** The token in `Authorization: Bearer <token>` (RFC 6750 §2.1), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
  return m?.[1];
}
