/**
 * SIGTERM semantics: stop() refuses new calls, releases active ones on both sides (BYE with a
 * Reason to the caller, REL/RLC toward the tandem, DLCX to the gateway), writes their CDRs and
 * closes the M3UA association (ASPIA/ASPDN, SCTP SHUTDOWN).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { CdrStore } from '../../src/store/cdr-store.js';
import { openDatabase } from '../../src/store/database.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';

const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping graceful-stop test: ${missing}`);

describe.skipIf(missing !== '')('graceful stop', () => {
  it('releases an answered call cleanly on both sides and records it', async () => {
    const { ssw, dataDir } = await startLabSwitch();
    const ended: string[] = [];
    ssw.tandem!.simulator.on('ended', (rec: { messages: string[] }) => ended.push(rec.messages.join(' ')));

    // The caller waits for the network to release (a BYE with Q.850 cause 16), then answers 200.
    const sipp = runSipp({
      scenario: new URL('../scenarios/ssw-call-network-release.xml', import.meta.url).pathname,
      target: `127.0.0.1:${ssw.sipPort}`,
      timeoutS: 15,
      args: ['-s', '12125550150', '-m', '1'],
    });
    await until(() => ssw.calls.snapshot().some((c) => c.state === 'answered'), 'the call to be answered');
    expect(ssw.calls.snapshot()[0]?.state).toBe('answered');

    await ssw.stop();
    const result = await sipp;
    expect(result.exitCode, result.stdout.slice(-800)).toBe(0);
    expect(ended).toEqual(['rx:IAM tx:ACM tx:ANM rx:REL tx:RLC']);
    const [cdr] = await new CdrStore(openDatabase(join(dataDir, 'softswitch.sqlite'))).list();
    expect(cdr).toMatchObject({ releasedBy: 'switch', cause: 16, sipStatus: 200 });
    expect(ssw.link.status()[0].state).not.toBe('ASP_ACTIVE');
  });
});
