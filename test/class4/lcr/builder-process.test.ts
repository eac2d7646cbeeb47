/**
 * The deck builder process (issue #9): every thread of it, V8's collector threads included,
 * runs at the background priority while the thread that answers calls keeps its own; it writes a
 * table that reads back into shared memory, reports bad decks row by row, and a builder that
 * dies fails its request without taking the caller with it.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { BuilderProcess, scratchDir } from '../../../src/class4/lcr/builder-process.js';
import { RoutingEngine } from '../../../src/class4/routing/engine.js';
import { readTableFile } from '../../../src/class4/lcr/table-file.js';
import { BACKGROUND_NICE, threadNiceValues } from '../../../src/class4/lcr/thread-cpu.js';
import { longestId } from '../../../src/class4/lcr/trie.js';

const linux = existsSync('/proc/self/task');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lcr-builder-'));
  await writeFile(join(dir, 'a.csv'), 'prefix,interstate\n1212,0.004\n1212555,0.003\n44,0.01\n');
  await writeFile(join(dir, 'bad.csv'), 'prefix,interstate\n1212,0.004\nx9,0.01\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('deck builder process', () => {
  it('builds at the background priority, every thread of it, and the table reads back into shared memory', async () => {
    const b = new BuilderProcess();
    try {
      const r = await b.build([{ carrier: 'a', paths: [join(dir, 'a.csv')] }]);
      if (!('ok' in r) || !r.ok) throw new Error(`build failed: ${JSON.stringify(r)}`);
      expect(r.from).toBe('decks');
      const s = readTableFile(r.tablePath);
      rmSync(r.tablePath);
      if (!s.ok) throw new Error(s.reason);
      expect(s.table.trie.prefixCount).toBe(3);
      expect(s.table.trie.slots.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(s.table.rowInterstate.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(longestId(s.table.trie, '12125550000')).toBeGreaterThanOrEqual(0);
      if (linux) {
        const nice = threadNiceValues(b.pid!);
        expect(nice.size).toBeGreaterThan(3); // the main thread and V8's platform threads
        for (const [tid, n] of nice) expect(n, `builder thread ${tid}`).toBe(BACKGROUND_NICE);
        expect(threadNiceValues().get(process.pid)).toBe(0);
      }
    } finally {
      await b.close();
    }
    expect(existsSync(`/proc/${b.pid ?? 0}`) && b.pid !== undefined).toBe(false);
  });

  it('answers a bad deck with its rows, and a builder that dies fails the request and is replaced', async () => {
    // A hand-over file left by a builder that is gone (no task can have an id above pid_max, 2^22).
    const orphan = join(scratchDir(), 'lcr-table-4194305-1.bin');
    await writeFile(orphan, 'x');
    const b = new BuilderProcess();
    try {
      const bad = await b.build([{ carrier: 'bad', paths: [join(dir, 'bad.csv')] }]);
      expect(bad).toMatchObject({ ok: false, carriers: [{ carrier: 'bad', ok: false, errors: [{ line: 3 }] }] });
      if (linux) expect(existsSync(orphan)).toBe(false);
      const pid = b.pid!;
      const pending = b.build([{ carrier: 'a', paths: [join(dir, 'a.csv')] }]);
      process.kill(pid, 'SIGKILL');
      await expect(pending).rejects.toThrow(/deck builder process exited \(SIGKILL\)/);
      const again = await b.build([{ carrier: 'a', paths: [join(dir, 'a.csv')] }]);
      expect(again).toMatchObject({ ok: true, from: 'decks' });
      expect(b.pid).not.toBe(pid);
      if ('ok' in again && again.ok) rmSync(again.tablePath);
    } finally {
      await b.close();
    }
  });

  it.runIf(linux)('a closed routing engine leaves no builder process behind, running or unreaped', async () => {
    const children = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .flatMap((p) => {
          try {
            const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            return Number(f[1]) === process.pid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('deck-builder') ? [`${p} ${f[0]}`] : [];
          } catch {
            return [];
          }
        });
    const engine = await RoutingEngine.load({ carriers: [{ id: 'a', trunkGroups: ['tg-a'], deck: join(dir, 'a.csv') }], snapshot: { enabled: false } }, { dataDir: dir });
    expect(children()).toHaveLength(1);
    // In this process, the deck worker's thread runs niced and the thread that answers calls does not.
    const nice = threadNiceValues();
    expect(nice.get(process.pid)).toBe(0);
    // Exactly one: no thread started later (libuv's pool, V8's platform) inherited the worker's priority.
    expect([...nice.values()].filter((n) => n === BACKGROUND_NICE)).toHaveLength(1);
    await engine.close();
    expect(children()).toEqual([]);
  });
});

describe('table hand-over file', () => {
  it('reads back what was written, into shared memory, and refuses a truncated or tampered file with a reason', async () => {
    const { buildTable } = await import('../../../src/class4/lcr/table.js');
    const { parseDeck } = await import('../../../src/class4/lcr/deck.js');
    const { writeTableFile } = await import('../../../src/class4/lcr/table-file.js');
    const { writeFileSync } = await import('node:fs');
    const d = parseDeck('a', 'prefix,interstate,intrastate\n1212,0.004,0.005\n1212555,0.003,0.002\n44,0.01,0.01\n');
    if (!d.ok) throw new Error('deck');
    const t = buildTable([d.deck]);
    const path = join(dir, 'table.bin');
    writeTableFile(path, t);
    const r = readTableFile(path);
    if (!r.ok) throw new Error(r.reason);
    expect(Array.from(r.table.trie.slots)).toEqual(Array.from(t.trie.slots));
    expect(Array.from(r.table.rowIntrastate)).toEqual(Array.from(t.rowIntrastate));
    expect(r.table.entryStart.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(longestId(r.table.trie, '12125551234')).toBe(longestId(t.trie, '12125551234'));
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.length - 3));
    expect(readTableFile(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/shorter than its rowEffective/) });
    const tampered = Buffer.from(whole);
    // The last entry's carrier index (entryCarrier sits before entryRow): point it past the carriers.
    const at = tampered.indexOf(Buffer.from('"entryCarrier"'));
    const header = JSON.parse(tampered.subarray(4, 4 + tampered.readUInt32LE(0)).toString()) as { arrays: Array<{ field: string; offset: number }> };
    const ec = header.arrays.find((a) => a.field === 'entryCarrier')!;
    expect(at).toBeGreaterThan(0);
    tampered.writeUInt16LE(7, ec.offset);
    writeFileSync(path, tampered);
    expect(readTableFile(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown carrier/) });
    writeFileSync(path, Buffer.from([200, 0, 0, 0, 123]));
    expect(readTableFile(path)).toMatchObject({ ok: false });
  });
});
