/**
 * tshark as an independent judge: wrap payloads with text2pcap, decode with tshark, and
 * report malformed/expert warnings. Shared by protocol tests (M3UA, MGCP, SIP, ...).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let present: boolean | undefined;

/** True when tshark and text2pcap run here. */
export function hasTshark(): boolean {
  present ??= ['tshark', 'text2pcap'].every((t) => spawnSync(t, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0);
  return present;
}

export const TSHARK_MISSING = 'tshark/text2pcap not installed (apt-get install tshark): wire checks skipped';
if (!hasTshark()) console.warn(TSHARK_MISSING);

/** A test / suite that needs tshark as its judge; skipped (with the warning above) when it is absent. */
export const itTshark = it.skipIf(!hasTshark());
export const describeTshark = describe.skipIf(!hasTshark());

/** od-style hex (offset + bytes per line), one block per frame, as text2pcap reads it. */
export function toOdHex(frames: Buffer[]): string {
  const out: string[] = [];
  for (const f of frames) {
    for (let i = 0; i < f.length; i += 16) {
      const line = [...f.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      out.push(`${i.toString(16).padStart(6, '0')} ${line}`);
    }
    out.push('');
  }
  return out.join('\n') + '\n';
}

export interface TsharkResult {
  /** `tshark -T json` packets (`_source.layers`). */
  packets: Array<{ _source: { layers: Record<string, any> } }>;
  /** Output of the malformed/expert-warning filter: empty when the judge has no complaint. */
  problems: string;
}

/**
 * Wrap frames with `text2pcap <wrapArgs>` (e.g. ['-S', '2905,2905,3'] for M3UA, ['-u', '2427,2727'] for MGCP)
 * and decode them with tshark (extra `-o` preferences in tsharkArgs).
 */
export function tsharkJudge(frames: Buffer[], wrapArgs: string[], tsharkArgs: string[] = []): TsharkResult {
  // Suites guarded by describeTshark still run their bodies when skipped: answer, never pass.
  if (!hasTshark()) return { packets: [], problems: TSHARK_MISSING };
  const dir = mkdtempSync(join(tmpdir(), 'tshark-'));
  try {
    const txt = join(dir, 'dump.txt');
    const pcap = join(dir, 'out.pcap');
    writeFileSync(txt, toOdHex(frames));
    execFileSync('text2pcap', ['-q', ...wrapArgs, txt, pcap], { stdio: 'pipe' });
    return readPcap(pcap, tsharkArgs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Decode an existing capture file. */
export function readPcap(pcap: string, tsharkArgs: string[] = []): TsharkResult {
  if (!hasTshark()) return { packets: [], problems: TSHARK_MISSING };
  const opts = { stdio: 'pipe' as const, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' as const };
  const json = execFileSync('tshark', ['-r', pcap, ...tsharkArgs, '-T', 'json', '--no-duplicate-keys'], opts);
  const problems = execFileSync('tshark', ['-r', pcap, ...tsharkArgs, '-Y', '_ws.malformed || _ws.expert.severity >= warning'], opts);
  return { packets: JSON.parse(json), problems: problems.trim() };
}

/** First value of a field anywhere in a packet's layer tree (tshark JSON nests fields under subtrees). */
export function findField(node: unknown, name: string): unknown {
  const all = findAll(node, name);
  return all[0];
}

/** Every value of a field anywhere in the tree, in document order. */
export function findAll(node: unknown, name: string, out: unknown[] = []): unknown[] {
  if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === name) {
        if (Array.isArray(v)) out.push(...v);
        else out.push(v);
      }
      findAll(v, name, out);
    }
  }
  return out;
}
