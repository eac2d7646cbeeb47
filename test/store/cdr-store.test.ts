import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CdrStore } from '../../src/store/cdr-store.js';
import { migrate, openDatabase } from '../../src/store/database.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';

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

describe('open-calls journal', () => {
  const cdr = { callId: 'j', direction: 'sip-to-isup' as const, called: '1', startTime: '2026-11-25T10:00:00.000Z', answerTime: '2026-11-25T10:00:01.000Z', endTime: '', durationMs: 0, billableMs: 0, cause: 16 };
  const openIds = (db: ReturnType<typeof openDatabase>) => (db.prepare('SELECT call_id FROM open_calls ORDER BY call_id').all() as Array<{ call_id: string }>).map((r) => r.call_id);

  it.each([false, true])('writes the calls answered in one turn together at its end, and survives a reopen as interrupted CDRs (writer thread: %s)', async (writerThread) => {
    const path = join(mkdtempSync(join(tmpdir(), 'ssw-journal-')), 'ssw.sqlite');
    const store = openSqliteStore(path, { writerThread });
    store.journal.answered({ ...cdr, callId: 'j1' });
    store.journal.answered({ ...cdr, callId: 'j2' });
    expect(openIds(store.db)).toEqual([]);
    await new Promise((r) => setImmediate(r));
    // With the thread they are posted within 5 ms and written after: settle() posts them now and waits.
    if (writerThread) store.journal.settle();
    expect(openIds(store.db)).toEqual(['j1', 'j2']);
    store.db.close(); // as a crash would leave it: no CDR for either call

    const again = openSqliteStore(path);
    const recovered = await again.journal.recover(new Date('2026-11-25T10:05:00.000Z'));
    expect(recovered.map((c) => c.callId).sort()).toEqual(['j1', 'j2']);
    await again.close();
  });

  it("a CDR committed in the same turn as its call's answer leaves no open record behind", async () => {
    const store = openSqliteStore(':memory:');
    store.journal.answered({ ...cdr, callId: 'j3' });
    store.journal.answered({ ...cdr, callId: 'j4' });
    store.cdrs.write({ ...cdr, callId: 'j3', endTime: '2026-11-25T10:00:02.000Z' });
    store.cdrs.commit();
    expect(openIds(store.db)).toEqual(['j4']);
    await new Promise((r) => setImmediate(r));
    expect(openIds(store.db)).toEqual(['j4']);
    await store.close();
  });

  it('a refused journal write is reported, not thrown, when the store guard listens', async () => {
    const store = openSqliteStore(':memory:');
    const reported: unknown[] = [];
    store.journal.onWriteError = (err) => reported.push(err);
    store.db.exec('DROP TABLE open_calls');
    store.journal.answered({ ...cdr, callId: 'j5' });
    await new Promise((r) => setImmediate(r));
    expect(reported).toHaveLength(1);
    expect(String(reported[0])).toMatch(/open_calls/);
  });
});

describe('the store writer thread', () => {
  const cdr = { direction: 'sip-to-isup' as const, called: '1', startTime: '2026-11-25T10:00:00.000Z', answerTime: '2026-11-25T10:00:01.000Z', endTime: '2026-11-25T10:00:09.000Z', durationMs: 9000, billableMs: 8000, cause: 16 };
  const fresh = () => join(mkdtempSync(join(tmpdir(), 'ssw-writer-')), 'ssw.sqlite');
  const openIds = (db: ReturnType<typeof openDatabase>) => (db.prepare('SELECT call_id FROM open_calls ORDER BY call_id').all() as Array<{ call_id: string }>).map((r) => r.call_id);

  it('writes CDRs off the event loop in the order posted, each closing its journal record, and reads see them', async () => {
    const store = openSqliteStore(fresh());
    for (let i = 0; i < 300; i++) store.journal.answered({ ...cdr, callId: `w${i}` });
    for (let i = 0; i < 300; i++) store.cdrs.write({ ...cdr, callId: `w${i}` });
    // Nothing written by the event loop within the turn: the batch is posted at the window's end.
    expect(store.db.prepare('SELECT count(*) AS n FROM cdrs').get()).toEqual({ n: 0 });
    const listed = await store.cdrs.list({ limit: 1000 });
    expect(listed).toHaveLength(300);
    expect(listed[0]).toMatchObject({ callId: 'w299', billableMs: 8000, cause: 16 });
    expect(openIds(store.db)).toEqual([]);
    expect(store.cdrs.count({})).toBe(300);
    await store.close();
  });

  it('a batch the store refuses comes back to the store guard with its CDRs', async () => {
    const store = openSqliteStore(fresh());
    const refused: string[] = [];
    const codes: string[] = [];
    store.cdrs.onWriteError = (batch, err) => {
      refused.push(...batch.map((c) => c.callId));
      codes.push((err as { code: string }).code);
    };
    store.db.exec('DROP TABLE cdrs');
    store.cdrs.write({ ...cdr, callId: 'r1' });
    store.cdrs.write({ ...cdr, callId: 'r2' });
    store.cdrs.commit();
    expect(refused).toEqual(['r1', 'r2']);
    expect(codes[0]).toMatch(/^SQLITE_/);
    await store.close();
  });

  it('without a listener, a refused batch is thrown by the next commit', async () => {
    const store = openSqliteStore(fresh());
    store.db.exec('DROP TABLE cdrs');
    store.cdrs.write({ ...cdr, callId: 'r3' });
    expect(() => store.cdrs.commit()).toThrow(/cdrs/);
    await store.close().catch(() => undefined);
  });

  it('if the thread dies, what it had not finished and everything after is written on the event loop', async () => {
    const store = openSqliteStore(fresh());
    await store.cdrs.list(); // the thread is up and idle
    const thread = (store.cdrs as unknown as { thread: { worker: { terminate(): Promise<number> } } }).thread;
    await thread.worker.terminate();
    await new Promise((r) => setTimeout(r, 50)); // its exit event
    store.journal.answered({ ...cdr, callId: 'd1' });
    store.cdrs.write({ ...cdr, callId: 'd2' });
    store.cdrs.commit();
    expect(openIds(store.db)).toEqual(['d1']);
    expect((await store.cdrs.list()).map((c) => c.callId)).toEqual(['d2']);
    await store.close();
  });
});
