import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApi, bearer, TOKENS } from './app.js';
import { AuditLog, type AuditEntry } from '../../src/api/audit.js';
import { silentLogger } from '../../src/util/log.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const deck = 'prefix,interstate\n1212,0.004\n4420,0.008\n';

async function auditFile(dir: string): Promise<AuditEntry[]> {
  const text = await readFile(join(dir, 'audit.log'), 'utf8');
  return text.trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
}

describe('audit log', () => {
  it('records who changed what, with before/after, in the file, the process log and GET /api/v1/audit; refused requests are not changes', async () => {
    const t = await buildApi();
    try {
      // Refused: no token, wrong role, cross-site. None is a change.
      await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: deck, headers: { 'content-type': 'text/csv' } });
      await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: deck, headers: { 'content-type': 'text/csv', ...bearer('operator') } });
      await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: deck, headers: { 'content-type': 'text/csv', origin: 'http://evil.example', ...bearer('admin') } });
      // Reads are not audited.
      await t.app.inject({ url: '/api/v1/routes/stats', headers: bearer('read-only') });

      const ok = await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: deck, headers: { 'content-type': 'text/csv', ...bearer('admin') } });
      expect(ok.statusCode).toBe(200);
      const rejected = await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: 'prefix,interstate\n12x,1\n', headers: { 'content-type': 'text/csv', ...bearer('admin') } });
      expect(rejected.statusCode).toBe(422);
      await t.app.inject({ method: 'DELETE', url: '/api/v1/test/things/42', headers: bearer('operator') });

      // The reply left after the entry was written.
      const entries = await auditFile(t.dataDir);
      expect(entries).toHaveLength(3);
      expect(entries[0]).toMatchObject({
        actor: 'admin-user',
        role: 'admin',
        method: 'POST',
        route: '/api/v1/routes/decks/:carrier',
        params: { carrier: 'ixc-b' },
        status: 200,
        outcome: 'ok',
        after: { rows: 2, bytes: deck.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
      expect((entries[0].before as { rows: number }).rows).toBeGreaterThan(2);
      expect(entries[1]).toMatchObject({ status: 422, outcome: 'failed', after: { rejected: true, errorCount: 1, version: expect.any(Number) } });
      expect(entries[2]).toMatchObject({ actor: 'operator-user', method: 'DELETE', route: '/api/v1/test/things/:id', params: { id: '42' }, status: 204 });

      const served = (await t.app.inject({ url: '/api/v1/audit', headers: bearer('admin') })).json().entries;
      expect(served.map((e: AuditEntry) => e.reqId)).toEqual(entries.map((e) => e.reqId));
      expect((await t.app.inject({ url: '/api/v1/audit', headers: bearer('operator') })).statusCode).toBe(403);

      const logged = t.lines.map((l) => JSON.parse(l)).filter((l) => l.component === 'audit');
      expect(logged).toHaveLength(3);
      expect(logged[0].audit).toMatchObject({ actor: 'admin-user', route: '/api/v1/routes/decks/:carrier' });
      // The refused attempts are in the process log, from the guards.
      expect(t.lines.join('\n')).toMatch(/request without a bearer token/);
      expect(t.lines.join('\n')).toMatch(/above the token's role/);
      expect(t.lines.join('\n')).toMatch(/cross-site change refused/);
    } finally {
      await t.close();
    }
  });

  it('in the lab profile without tokens the actor says so', async () => {
    const t = await buildApi({ lab: true, tokens: false });
    try {
      await t.app.inject({ method: 'POST', url: '/api/v1/test/echo', payload: { note: 'hi' } });
      expect((await auditFile(t.dataDir))[0]).toMatchObject({ actor: 'lab (no auth)', role: null, route: '/api/v1/test/echo', status: 200 });
    } finally {
      await t.close();
    }
  });

  it('is bounded on disk: rotated to .1 past maxBytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ssw-audit-'));
    const file = join(dir, 'audit.log');
    const audit = new AuditLog({ file, maxBytes: 4096, recent: 10, log: silentLogger });
    const entry = (i: number): AuditEntry => ({ time: new Date().toISOString(), actor: 'a', role: 'admin', method: 'POST', route: '/x', status: 200, outcome: 'ok', reqId: String(i), ip: '127.0.0.1', after: { pad: 'x'.repeat(200) } });
    for (let i = 0; i < 100; i++) void audit.record(entry(i));
    await audit.flush();
    expect((await stat(file)).size).toBeLessThanOrEqual(4096);
    expect((await stat(`${file}.1`)).size).toBeLessThanOrEqual(4096);
    const last = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).reqId);
    expect(last[last.length - 1]).toBe('99');
    expect(audit.recent().map((e) => e.reqId)).toEqual(Array.from({ length: 10 }, (_, i) => String(90 + i)));
  });
});

describe('secrets stay out of logs', () => {
  it('request lines carry headers with Authorization redacted; no token in any log line or the audit file', async () => {
    const t = await buildApi({ logLevel: 'info' });
    try {
      await t.app.inject({ method: 'POST', url: '/api/v1/routes/decks/ixc-b', payload: deck, headers: { 'content-type': 'text/csv', 'user-agent': 'audit-test', ...bearer('admin') } });
      await t.app.inject({ url: '/api/v1/calls', headers: { authorization: `Bearer ${TOKENS.admin}x`, cookie: 'session=s3cret' } });
      await t.app.inject({ url: '/api/v1/calls', headers: bearer('read-only') });
      const incoming = t.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'incoming request');
      expect(incoming.length).toBeGreaterThanOrEqual(3);
      expect(incoming[0].req.headers).toMatchObject({ authorization: '[redacted]', 'user-agent': 'audit-test', 'content-type': 'text/csv' });
      expect(incoming[1].req.headers.cookie).toBe('[redacted]');
      const everything = t.lines.join('\n') + (await readFile(join(t.dataDir, 'audit.log'), 'utf8'));
      for (const token of Object.values(TOKENS)) expect(everything).not.toContain(token.slice(4));
      expect(everything).not.toContain('s3cret');
    } finally {
      await t.close();
    }
  });
});
