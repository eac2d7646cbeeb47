/**
 * REGISTER end to end inside the process, in virtual time: bytes into the embedded UA core, the
 * registrar service answering through onRequest (RFC 3261 §10.3), digest (RFC 7616), Path (RFC 3327).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/util/log.js';
import { Registry } from 'prom-client';
import type { SignallingPort } from '../../src/sip/port.js';
import type { SipResponse } from '../../src/sip/message.js';
import { digestResponse, ha1, parseAuthParams } from '../../src/sip/digest.js';
import { class5ConfigSchema } from '../../src/class5/config.js';
import { startClass5 } from '../../src/class5/index.js';
import { crlf } from '../sip/fixtures.js';
import { rig } from '../sip/rig.js';

const config = class5ConfigSchema.parse({
  enabled: true,
  nonceSecret: 'lab-secret-lab-secret',
  nonceLifetimeS: 60,
  auth: { maxFailures: 3, failureWindowS: 60, blockS: 300 },
  registration: { minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 3600, maxContactsPerAor: 3 },
  tenants: [
    { id: 'acme', domain: 'acme.example', extensions: [{ number: '1001', password: 'pw1001' }, { number: '1002', password: 'pw1002' }] },
    { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'pw2001' }] },
  ],
});

let branchSeq = 0;
function register(o: { user?: string; domain?: string; cseq?: number; callId?: string; contact?: string | null; expires?: number; authz?: string; extra?: string[]; source?: number }): Buffer {
  const user = o.user ?? '1001';
  const domain = o.domain ?? 'acme.example';
  return crlf([
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.10:${o.source ?? 5070};branch=z9hG4bK-reg-${++branchSeq}`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${domain}>;tag=r${user}`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${o.callId ?? `reg-${user}@192.0.2.10`}`,
    `CSeq: ${o.cseq ?? 1} REGISTER`,
    ...(o.contact === null ? [] : [`Contact: ${o.contact ?? `<sip:${user}@192.0.2.10:5070>`}`]),
    ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []),
    ...(o.authz ? [`Authorization: ${o.authz}`] : []),
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ]);
}

function credentials(challenge: SipResponse, o: { user?: string; password?: string; domain?: string; nc?: string; algorithm?: 'MD5' | 'SHA-256' } = {}): string {
  const alg = o.algorithm ?? 'MD5';
  const values = challenge.headers.getAll('www-authenticate');
  const chosen = values.find((v) => v.includes(`algorithm=${alg}`))!;
  const p = parseAuthParams(chosen)!;
  const user = o.user ?? '1001';
  const domain = o.domain ?? 'acme.example';
  const nonce = p.get('nonce')!;
  const uri = `sip:${domain}`;
  const nc = o.nc ?? '00000001';
  const response = digestResponse(alg, ha1(alg, user, p.get('realm')!, o.password ?? `pw${user}`), 'REGISTER', { nonce, uri, nc, cnonce: 'abc', qop: 'auth' });
  return `Digest username="${user}", realm="${p.get('realm')}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${alg}, cnonce="abc", qop=auth, nc=${nc}, opaque="${p.get('opaque')}"`;
}

const registry = new Registry();

function setup() {
  const r = rig();
  const port = { onRequest: (m: 'REGISTER', h: (a: never, b: never) => void) => r.core.onRequest(m, (x) => h(x as never, x as never)) } as unknown as SignallingPort;
  const c5 = startClass5(config, { sip: port, clock: r.clock, logger: silentLogger, contact: 'sip:192.0.2.1:5060', registry });
  const from = { address: '192.0.2.10', port: 5070 };
  const send = (buf: Buffer, src = from): SipResponse => {
    const before = r.responses().length;
    r.core.receive(buf, src);
    const got = r.responses().slice(before);
    expect(got.length).toBeGreaterThan(0);
    return got[got.length - 1].msg;
  };
  return { ...r, c5, send };
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0;
}

describe('registrar over the embedded UA core', () => {
  it('401 with two challenges, then 200 listing the binding with its expiry; the binding is visible and the gauge counts it', async () => {
    const { send, c5 } = setup();
    const ch = send(register({ expires: 600 }));
    expect(ch.status).toBe(401);
    expect(ch.headers.getAll('www-authenticate')).toHaveLength(2);
    const ok = send(register({ cseq: 2, expires: 600, authz: credentials(ch) }));
    expect(ok.status).toBe(200);
    expect(ok.headers.getAll('contact')).toEqual(['<sip:1001@192.0.2.10:5070>;expires=600']);
    expect(c5.registrar.lookup('acme', 'sip:1001@acme.example').map((b) => b.contact)).toEqual(['sip:1001@192.0.2.10:5070']);
    expect(await metric('softswitch_registrations_active', { tenant: 'acme' })).toBe(1);
  });

  it('several contacts per AOR, SHA-256, Path kept and echoed only with Supported: path; expiry removes bindings', async () => {
    const { send, c5, clock } = setup();
    const ch = send(register({}));
    send(register({ cseq: 2, expires: 120, authz: credentials(ch, { algorithm: 'SHA-256' }), extra: ['Path: <sip:edge1.acme.example;lr>', 'Supported: path'] }));
    const ch2 = send(register({ cseq: 3, contact: '<sip:1001@192.0.2.11:5070>' }));
    const ok = send(register({ cseq: 4, contact: '<sip:1001@192.0.2.11:5070>;expires=3000', authz: credentials(ch2, { algorithm: 'SHA-256' }), extra: ['Path: <sip:edge2.acme.example;lr>'] }));
    expect(ok.status).toBe(200);
    expect(ok.headers.has('path')).toBe(false);
    expect(ok.headers.getAll('contact')).toHaveLength(2);
    const bindings = c5.registrar.lookup('acme', 'sip:1001@acme.example');
    expect(bindings.map((b) => b.path)).toEqual([['<sip:edge2.acme.example;lr>'], ['<sip:edge1.acme.example;lr>']]);
    clock.advance(121_000);
    expect(c5.registrar.lookup('acme', 'sip:1001@acme.example').map((b) => b.contact)).toEqual(['sip:1001@192.0.2.11:5070']);
    expect(await metric('softswitch_registrations_active', { tenant: 'acme' })).toBe(1);
  });

  it('the gauge drops when bindings expire, without any lookup (sweep timer)', async () => {
    const { send, clock } = setup();
    const ch = send(register({ user: '1002' }));
    expect(send(register({ user: '1002', cseq: 2, expires: 60, authz: credentials(ch, { user: '1002' }) })).status).toBe(200);
    const before = await metric('softswitch_registrations_active', { tenant: 'acme' });
    clock.advance(61_000);
    expect(await metric('softswitch_registrations_active', { tenant: 'acme' })).toBe(before - 1);
  });

  it('Expires below the minimum → 423 Min-Expires; Contact * with Expires 0 removes all; a query (no Contact) lists them', () => {
    const { send, c5 } = setup();
    const ch = send(register({}));
    const r423 = send(register({ cseq: 2, expires: 10, authz: credentials(ch) }));
    expect(r423.status).toBe(423);
    expect(r423.headers.get('min-expires')).toBe('60');
    expect(send(register({ cseq: 3, expires: 600, authz: credentials(ch, { nc: '00000003' }) })).status).toBe(200);
    const q = send(register({ cseq: 4, contact: null, authz: credentials(ch, { nc: '00000004' }) }));
    expect(q.headers.getAll('contact')).toHaveLength(1);
    expect(send(register({ cseq: 5, contact: '*', expires: 1, authz: credentials(ch, { nc: '00000005' }) })).status).toBe(400);
    expect(send(register({ cseq: 6, contact: '*', expires: 0, authz: credentials(ch, { nc: '00000006' }) })).status).toBe(200);
    expect(c5.registrar.lookup('acme', 'sip:1001@acme.example')).toEqual([]);
  });

  it('unknown domain → 404; an unknown extension is challenged like a known one (no enumeration), metric by tenant and status', async () => {
    const { send } = setup();
    const before = await metric('softswitch_register_requests_total', { tenant: 'unknown', status: '404' });
    expect(send(register({ domain: 'nowhere.example' })).status).toBe(404);
    expect(await metric('softswitch_register_requests_total', { tenant: 'unknown', status: '404' })).toBe(before + 1);
    const unknown = send(register({ user: '1999' }));
    const known = send(register({ user: '1001' }));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.getAll('www-authenticate').length).toBe(known.headers.getAll('www-authenticate').length);
    // Right credentials of 1001, sent for the unknown 1999: refused like credentials for another extension.
    expect(send(register({ user: '1999', cseq: 2, authz: credentials(known) })).status).toBe(403);
  });

  it('bad password → 401 again and counted; a replayed REGISTER (same nonce and nc) → 401; credentials of 1002 for 1001 → 403', async () => {
    const { send } = setup();
    const ch = send(register({}));
    const bad = await metric('softswitch_sip_auth_failures_total', { reason: 'bad-response' });
    expect(send(register({ cseq: 2, authz: credentials(ch, { password: 'nope' }) })).status).toBe(401);
    expect(await metric('softswitch_sip_auth_failures_total', { reason: 'bad-response' })).toBe(bad + 1);
    const good = credentials(ch);
    expect(send(register({ cseq: 3, authz: good })).status).toBe(200);
    expect(send(register({ cseq: 4, authz: good })).status).toBe(401);
    const ch2 = send(register({ user: '1002' }));
    const as1002 = credentials(ch2, { user: '1002' });
    expect(send(register({ user: '1001', cseq: 9, authz: as1002.replace('uri="sip:acme.example"', 'uri="sip:acme.example"') })).status).toBe(403);
  });

  it('a tenant’s credentials do not work in another tenant (realm is the domain)', () => {
    const { send } = setup();
    const ch = send(register({ user: '2001', domain: 'globex.example' }));
    const acmeCh = send(register({}));
    const wrongRealm = credentials(acmeCh, { user: '2001', password: 'pw2001' });
    expect(send(register({ user: '2001', domain: 'globex.example', cseq: 2, authz: wrongRealm })).status).toBe(401);
    expect(send(register({ user: '2001', domain: 'globex.example', cseq: 3, authz: credentials(ch, { user: '2001', domain: 'globex.example' }) })).status).toBe(200);
  });

  it('a source failing maxFailures times is refused with 403 for blockS', () => {
    const { send } = setup();
    const src = { address: '203.0.113.50', port: 5070 };
    const ch = send(register({}), src);
    for (let i = 0; i < 3; i++) send(register({ cseq: 2 + i, authz: credentials(ch, { password: 'guess', nc: `0000000${i + 1}` }) }), src);
    expect(send(register({ cseq: 9, authz: credentials(ch, { nc: '00000009' }) }), src).status).toBe(403);
  });

  it('SUBSCRIBE is Class 5’s (MWI): another event package than message-summary is 489 with Allow-Events (RFC 6665 §4.2.1)', () => {
    const { send } = setup();
    const r = send(crlf(['SUBSCRIBE sip:1001@acme.example SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-sub1', 'From: <sip:1002@acme.example>;tag=s', 'To: <sip:1001@acme.example>', 'Call-ID: sub-1', 'CSeq: 1 SUBSCRIBE', 'Event: presence', 'Content-Length: 0', '', '']));
    expect(r.status).toBe(489);
    expect(r.headers.get('allow-events')).toBe('message-summary');
  });
});
