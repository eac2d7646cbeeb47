/**
 * The switch on its lab profile for end-to-end tests: every port chosen by the OS, a fresh data
 * directory, quiet logs; and waiting for its M3UA association to reach ASP-ACTIVE.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.js';
import { startSwitch, type RunningSwitch as SoftswitchHandle } from '../../src/app/start.js';
import { createLogger, type Logger } from '../../src/util/log.js';

/** Waits until `cond` holds, polling; throws with `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** M3UA active and the circuit resets that follow link-up (GRS/GRA) complete: the switch can place calls. */
export async function waitAspActive(ssw: SoftswitchHandle): Promise<void> {
  await until(() => ssw.link.status().some((s) => s.state === 'ASP_ACTIVE'), `M3UA ASP-ACTIVE (${JSON.stringify(ssw.link.status())})`, 15_000);
  await until(() => ssw.isup.pendingProcedures().length === 0, `circuit resets after link-up (${JSON.stringify(ssw.isup.pendingProcedures())})`, 15_000);
}

/**
 * Starts the lab switch with `overrides` on top of test defaults (ports 0, fast tandem timings);
 * resolves once M3UA is active. `dataDir` is the store's directory. `logger`: one the test reads.
 */
export async function startLabSwitch(overrides: Record<string, unknown> = {}, level = 'silent', logger?: Logger): Promise<{ ssw: SoftswitchHandle; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ssw-test-'));
  const lab = (overrides.lab ?? {}) as Record<string, unknown>;
  const config = validateConfig({
    dataDir,
    logLevel: level,
    api: { port: 0 },
    sip: { port: 0 },
    mgcp: { localPort: 0 },
    shutdown: { drainMs: 3000 },
    ...overrides,
    lab: { ...lab, tandemSim: { port: 0, alertDelayMs: 20, answerDelayMs: 50, ...((lab.tandemSim ?? {}) as object) } },
  });
  const ssw = await startSwitch(config, logger ?? createLogger(level));
  try {
    await waitAspActive(ssw);
  } catch (err) {
    await ssw.stop();
    throw err;
  }
  return { ssw, dataDir };
}
