import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CdrStore } from '../../src/store/cdr-store.js';
import { migrate, openDatabase } from '../../src/store/database.js';

describe('embedded store', () => {
  it('applies migrations once and keeps CDRs across a reopen', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ssw-store-')), 'ssw.sqlite');
    const db = openDatabase(path);
    const store = new CdrStore(db);
    const id = store.insertNow({
      callId: 'c1', direction: 'sip-to-isup', called: '12125550100', startTime: '2026-11-25T10:00:00.000Z',
      answerTime: '2026-11-25T10:00:01.000Z', endTime: '2026-11-25T10:00:11.000Z', durationMs: 11_000, billableMs: 10_000,
      cause: 16, cic: 5, trunkGroup: 'tg-ilec', carrier: 'ilec-tandem', rate: 0.0123, releasedBy: 'caller',
    });
    expect(id).toBe(1);
    expect(migrate(db)).toEqual([]);
    db.close();

    const again = new CdrStore(openDatabase(path));
    const [cdr] = await again.list();
    expect(cdr).toMatchObject({ id: 1, callId: 'c1', cic: 5, cause: 16, billableMs: 10_000, rate: 0.0123 });
    expect(cdr.lrn).toBeUndefined();
  });
});

describe('batched CDR writes', () => {
  it('commits queued CDRs together within the window, and before any read', async () => {
    const store = new CdrStore(openDatabase(':memory:'));
    const cdr = { callId: 'b', direction: 'sip-to-isup' as const, called: '1', startTime: 't', endTime: 't', durationMs: 0, billableMs: 0, cause: 16 };
    store.write({ ...cdr, callId: 'b1' });
    store.write({ ...cdr, callId: 'b2' });
    expect((await store.list()).map((c) => c.callId)).toEqual(['b2', 'b1']);
    store.write({ ...cdr, callId: 'b3' });
    await new Promise((r) => setImmediate(r));
    expect((await store.list({ limit: 1 }))[0].callId).toBe('b3');
  });

  const row = (callId: string) => ({ callId, direction: 'sip-to-isup' as const, called: '1', startTime: 't', endTime: 't', durationMs: 0, billableMs: 0, cause: 16 });
  const stored = (db: ReturnType<typeof openDatabase>) => (db.prepare('SELECT count(*) AS n FROM cdrs').get() as { n: number }).n;

  it('holds a lone CDR for the group-commit window, then commits it without a read', async () => {
    const db = openDatabase(':memory:');
    const store = new CdrStore(db, { commitWindowMs: 40 });
    store.write(row('w1'));
    await new Promise((r) => setTimeout(r, 5));
    store.write(row('w2'));
    expect(stored(db)).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(stored(db)).toBe(2);
  });

  it('commits on the next turn once maxBatch CDRs wait, or with no window', async () => {
    const db = openDatabase(':memory:');
    const store = new CdrStore(db, { commitWindowMs: 10_000, maxBatch: 2 });
    store.write(row('m1'));
    store.write(row('m2'));
    await new Promise((r) => setImmediate(r));
    expect(stored(db)).toBe(2);
    const db2 = openDatabase(':memory:');
    const eager = new CdrStore(db2, { commitWindowMs: 0 });
    eager.write(row('e1'));
    await new Promise((r) => setImmediate(r));
    expect(stored(db2)).toBe(1);
  });
});
