/** The open-calls journal writes a turn's answered calls together, and never after their CDRs' commit. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Cdr } from '../../src/calls/cdr.js';

const cdr = (callId: string): Cdr => ({
  callId, direction: 'sip-to-isup', called: '12125550100', startTime: '2026-11-30T10:00:00.000Z', answerTime: '2026-11-30T10:00:01.000Z',
  endTime: '2026-11-30T10:00:11.000Z', durationMs: 11_000, billableMs: 10_000, cause: 16,
});
const openCalls = (s: ReturnType<typeof openSqliteStore>) => (s.db.prepare('SELECT call_id FROM open_calls ORDER BY call_id').all() as Array<{ call_id: string }>).map((r) => r.call_id);

describe('open-calls journal (embedded store)', () => {
  it('writes the calls answered in one turn together at the end of it', async () => {
    const s = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'ssw-journal-')), 'ssw.sqlite'));
    s.journal.answered(cdr('a'));
    s.journal.answered(cdr('b'));
    expect(openCalls(s)).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(openCalls(s)).toEqual(['a', 'b']);
    await s.close();
  });

  it('a call answered and ended before the journal was written leaves no record behind its CDR', async () => {
    const s = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'ssw-journal-')), 'ssw.sqlite'));
    s.journal.answered(cdr('up'));
    s.journal.answered(cdr('done'));
    s.cdrs.write(cdr('done'));
    await s.cdrs.flush(); // commits before the journal's own turn-end write
    await new Promise((r) => setImmediate(r));
    expect(openCalls(s)).toEqual(['up']);
    expect((await s.cdrs.list()).map((c) => c.callId)).toEqual(['done']);
    // A restart after a crash recovers the call still up, and only it.
    expect((await s.journal.recover(new Date('2026-11-30T10:01:00.000Z'))).map((c) => c.callId)).toEqual(['up']);
    await s.close();
  });

  it('close() writes what is queued, so a clean stop leaves no record of a call that ended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-journal-'));
    const s = openSqliteStore(join(dir, 'ssw.sqlite'));
    s.journal.answered(cdr('x'));
    s.cdrs.write(cdr('x'));
    s.journal.answered(cdr('y'));
    await s.close();
    await new Promise((r) => setImmediate(r)); // the turn-end write that close() made early does not run on a closed database
    const again = openSqliteStore(join(dir, 'ssw.sqlite'));
    expect(openCalls(again)).toEqual(['y']);
    await again.close();
  });
});
