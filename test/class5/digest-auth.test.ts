/** Digest authentication (RFC 7616, RFC 3261 §22.4) in virtual time: challenges, good and bad credentials, stale and replayed nonces, per-source blocking. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/util/clock.js';
import { Registry } from 'prom-client';
import { DigestAuthenticator } from '../../src/class5/digest-auth.js';
import { digestResponse, ha1, parseAuthParams, type DigestAlgorithm } from '../../src/sip/digest.js';

const realm = 'a.example';
const users = { '1001': { MD5: ha1('MD5', '1001', realm, 'pw1'), 'SHA-256': ha1('SHA-256', '1001', realm, 'pw1') } };
const lookup = (u: string) => users[u as keyof typeof users];

function nonceOf(headers: Record<string, string | string[]>): string {
  const first = ([] as string[]).concat(headers['WWW-Authenticate'] ?? [])[0];
  return parseAuthParams(first)!.get('nonce')!;
}

function authorization(o: { nonce: string; user?: string; password?: string; nc?: string; algorithm?: DigestAlgorithm; method?: string; uri?: string; realm?: string }): string {
  const alg = o.algorithm ?? 'SHA-256';
  const user = o.user ?? '1001';
  const uri = o.uri ?? `sip:${realm}`;
  const nc = o.nc ?? '00000001';
  const cnonce = 'c0ffee';
  const response = digestResponse(alg, ha1(alg, user, o.realm ?? realm, o.password ?? 'pw1'), o.method ?? 'REGISTER', { nonce: o.nonce, uri, nc, cnonce, qop: 'auth' });
  return `Digest username="${user}", realm="${o.realm ?? realm}", nonce="${o.nonce}", uri="${uri}", response="${response}", algorithm=${alg}, cnonce="${cnonce}", qop=auth, nc=${nc}`;
}

const registry = new Registry();

async function failures(reason: string): Promise<number> {
  const m = await registry.getSingleMetric('softswitch_sip_auth_failures_total')!.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

function setup(extra: Partial<ConstructorParameters<typeof DigestAuthenticator>[0]> = {}) {
  const clock = new VirtualClock();
  const auth = new DigestAuthenticator({ clock, secret: Buffer.from('0123456789abcdef0123456789abcdef'), nonceLifetimeMs: 60_000, maxFailures: 3, failureWindowMs: 60_000, blockMs: 120_000, registry, ...extra });
  const verify = (authz: string | undefined, source = '192.0.2.1', method = 'REGISTER') => auth.verify({ method, authorization: authz, source }, realm, lookup);
  return { clock, auth, verify };
}

describe('DigestAuthenticator', () => {
  it('challenges with SHA-256 then MD5, qop=auth, one nonce (RFC 8760 §2.4)', () => {
    const { verify } = setup();
    const r = verify(undefined);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(401);
    const values = r.headers['WWW-Authenticate'] as string[];
    expect(values).toHaveLength(2);
    expect(values[0]).toMatch(/^Digest realm="a\.example", nonce="[^"]+", algorithm=SHA-256, qop="auth"/);
    expect(values[1]).toContain('algorithm=MD5');
    expect(parseAuthParams(values[0])!.get('nonce')).toBe(parseAuthParams(values[1])!.get('nonce'));
  });

  it.each(['MD5', 'SHA-256'] as const)('accepts a right %s response; the same nc again is a replay', async (algorithm) => {
    const { verify } = setup();
    const nonce = nonceOf((verify(undefined) as { headers: Record<string, string[]> }).headers);
    expect(verify(authorization({ nonce, algorithm }))).toEqual({ ok: true, username: '1001' });
    const before = await failures('replay');
    const again = verify(authorization({ nonce, algorithm }));
    expect(again).toMatchObject({ ok: false, status: 401, reason: 'replay' });
    expect(await failures('replay')).toBe(before + 1);
    expect(verify(authorization({ nonce, algorithm, nc: '00000002' }))).toMatchObject({ ok: true });
  });

  it('answers an expired nonce of ours with stale=true and does not count it as a failure', async () => {
    const { verify, clock } = setup();
    const nonce = nonceOf((verify(undefined) as { headers: Record<string, string[]> }).headers);
    clock.advance(60_001);
    const before = await failures('stale');
    const r = verify(authorization({ nonce }));
    expect(r).toMatchObject({ ok: false, status: 401, reason: 'stale' });
    if (!r.ok) expect((r.headers['WWW-Authenticate'] as string[])[0]).toContain('stale=true');
    expect(await failures('stale')).toBe(before + 1);
    for (let i = 0; i < 5; i++) expect(verify(authorization({ nonce }))).toMatchObject({ status: 401, reason: 'stale' });
  });

  it('refuses a nonce not signed with our secret, a wrong password, an unknown user, another realm', () => {
    const { verify, auth } = setup({ maxFailures: 100 });
    const other = new DigestAuthenticator({ clock: new VirtualClock(), secret: Buffer.from('another-secret-another-secret!!!') });
    expect(verify(authorization({ nonce: other.nonce(realm) }))).toMatchObject({ ok: false, reason: 'bad-nonce' });
    const nonce = auth.nonce(realm);
    expect(verify(authorization({ nonce, password: 'guess' }))).toMatchObject({ ok: false, status: 401, reason: 'bad-response' });
    expect(verify(authorization({ nonce, user: '9999' }))).toMatchObject({ ok: false, reason: 'unknown-user' });
    expect(verify(authorization({ nonce, realm: 'b.example' }))).toMatchObject({ ok: false, reason: 'realm' });
    expect(verify('Digest username="1001", realm=')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verify('Basic MTAwMTpwdzE=')).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('a nonce issued for one realm is no good in another (the realm is under the HMAC)', () => {
    const { verify, auth } = setup();
    const nonce = auth.nonce('b.example');
    expect(verify(authorization({ nonce }))).toMatchObject({ ok: false, reason: 'bad-nonce' });
  });

  it('blocks a source after maxFailures within the window (403, even with right credentials), others unaffected, until blockMs passes', () => {
    const { verify, auth, clock } = setup();
    for (let i = 0; i < 3; i++) verify(authorization({ nonce: auth.nonce(realm), password: 'x' }), '203.0.113.9');
    expect(verify(authorization({ nonce: auth.nonce(realm) }), '203.0.113.9')).toMatchObject({ ok: false, status: 403, reason: 'rate-limited' });
    expect(verify(authorization({ nonce: auth.nonce(realm) }), '192.0.2.77')).toMatchObject({ ok: true });
    clock.advance(120_001);
    expect(verify(authorization({ nonce: auth.nonce(realm) }), '203.0.113.9')).toMatchObject({ ok: true });
  });

  it('refuses credentials without qop (RFC 2069): no nonce-count, no replay protection', () => {
    const { verify, auth } = setup();
    const nonce = auth.nonce(realm);
    const response = digestResponse('MD5', users['1001'].MD5, 'REGISTER', { nonce, uri: `sip:${realm}` });
    expect(verify(`Digest username="1001", realm="${realm}", nonce="${nonce}", uri="sip:${realm}", response="${response}"`)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('digest codec', () => {
  it('RFC 7616 §3.9.1 example: SHA-256 and MD5 responses', () => {
    const c = { nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', uri: '/dir/index.html', nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', qop: 'auth' };
    expect(digestResponse('MD5', ha1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life'), 'GET', c)).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse('SHA-256', ha1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life'), 'GET', c)).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });
  it('parses quoted strings with commas and escapes; refuses duplicates', () => {
    const p = parseAuthParams('Digest username="a\\"b", realm="x,y", nc=00000001, qop=auth')!;
    expect(p.get('username')).toBe('a"b');
    expect(p.get('realm')).toBe('x,y');
    expect(p.get('qop')).toBe('auth');
    expect(parseAuthParams('Digest a=1, a=2')).toBeUndefined();
  });
});
