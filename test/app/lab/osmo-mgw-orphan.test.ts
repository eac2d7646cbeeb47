/**
 * Issue 10, defect 8: the lab's osmo-mgw child must not outlive a kill -9 of the switch and keep
 * holding its port. A child process starts osmo-mgw through the lab launcher and is killed with
 * SIGKILL; the gateway must stop answering (its MGCP port no longer answers AUEP).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../../helpers/osmo-mgw.js';

const launcher = fileURLToPath(new URL('../../../src/app/lab/osmo-mgw.ts', import.meta.url));

/** True when something answers an AUEP on the port within `ms`. */
async function answersAuep(port: number, ms: number): Promise<boolean> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  try {
    return await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      s.once('message', () => {
        clearTimeout(t);
        resolve(true);
      });
      s.send(`AUEP ${1000 + Math.floor(Math.random() * 9000)} rtpbridge/1@mgw MGCP 1.0\r\n`, port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

describe.skipIf(!hasOsmoMgw())('lab osmo-mgw and the death of its parent', () => {
  it('dies with the process that started it, even on SIGKILL', async () => {
    const code = `const { startOsmoMgw } = await import(${JSON.stringify(launcher)}); const m = await startOsmoMgw(); console.log('PORT ' + m.port); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    parent.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    parent.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`osmo-mgw did not start: ${out}`)), 30_000);
      const check = () => {
        const m = /PORT (\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        } else setTimeout(check, 50);
      };
      check();
    });
    expect(await answersAuep(port, 2000)).toBe(true);
    parent.kill('SIGKILL');
    await new Promise((r) => parent.once('exit', r));
    let alive = true;
    for (let i = 0; i < 20 && alive; i++) alive = await answersAuep(port, 250);
    expect(alive, 'osmo-mgw still answers on its port after its parent was killed').toBe(false);
  }, 60_000);
});
