import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCpuList } from '../../src/app/cpu-placement.js';

const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).error === undefined;
const child = fileURLToPath(new URL('./fixtures/cpu-placement-child.ts', import.meta.url));

describe('CPU placement (runtime.eventLoopCpu)', () => {
  it('reads Linux CPU lists', () => {
    expect(parseCpuList('0-3,6')).toEqual([0, 1, 2, 3, 6]);
    expect(parseCpuList('1\n')).toEqual([1]);
    expect(parseCpuList('')).toEqual([]);
  });

  it.skipIf(!hasTaskset || availableParallelism() < 2 || process.platform !== 'linux')(
    'binds the event loop to its CPU and moves every other thread and child process, also ones made later, to the rest; stop frees the event loop and ends the helper',
    () => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 30_000 });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { started: boolean; pid: number; threads: Array<{ tid: number; cpus: number[] }>; child: number[]; mainAfterStop: number[]; childrenAfterStop: string[] };
      expect(r.started).toBe(true);
      const main = r.threads.find((t) => t.tid === r.pid)!;
      expect(main.cpus).toEqual([0]);
      const others = r.threads.filter((t) => t.tid !== r.pid);
      // V8's helpers, libuv's pool and the worker made after the binding.
      expect(others.length).toBeGreaterThanOrEqual(2);
      for (const t of others) expect(t.cpus, `thread ${t.tid}`).not.toContain(0);
      expect(r.child.length).toBeGreaterThan(0);
      expect(r.child).not.toContain(0);
      expect(r.mainAfterStop).toContain(0);
      expect(r.mainAfterStop.length).toBeGreaterThan(1);
      expect(r.childrenAfterStop).toContain('sleep');
      expect(r.childrenAfterStop).not.toContain('bash');
    },
  );
});
