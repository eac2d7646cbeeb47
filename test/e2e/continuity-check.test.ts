/**
 * The ISUP continuity check on a real gateway (Q.764 §2.1.8): the tandem's IAM asks for a check
 * on the circuit; the switch loops the circuit's connection on osmo-mgw (CRCX mode loopback);
 * the tandem sends its check tone (2010 Hz PCMU in RTP) into the loop and gets it back, sends
 * COT (successful), and only then is the call offered to the DID's PBX (a SIPp UAS). The loop is
 * deleted before the call's own connection is made. Without a loop (gateway refuses), the check
 * fails: COT (failed) and no call reaches the PBX.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { startSwitch, type RunningSwitch } from '../../src/app/start.js';
import { createLogger } from '../../src/util/log.js';
import { probeLoop, muLaw } from '../../src/app/lab/continuity-probe.js';
import type { IsupMessage } from '../../src/ss7/isup/messages.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { until, waitAspActive } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping continuity-check end-to-end tests: ${missing}`);

describe('check tone', () => {
  it('G.711 μ-law: silence is 0xFF, full scale positive 0x80, negative 0x00', () => {
    expect(muLaw(0)).toBe(0xff);
    expect(muLaw(32767)).toBe(0x80);
    expect(muLaw(-32768)).toBe(0x00);
  });

  it('a probe at an SDP nobody answers fails; at an unparseable SDP fails', async () => {
    const port = await freeUdpPort();
    expect(await probeLoop(`v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\n`, { waitMs: 100 })).toMatchObject({ passed: false, returned: 0 });
    expect((await probeLoop('garbage')).passed).toBe(false);
  });
});

describe.skipIf(missing !== '')('continuity check on an incoming circuit, looped at osmo-mgw', () => {
  let ssw: RunningSwitch;
  let pbxPort = 0;
  const tandemSent: IsupMessage[] = [];

  beforeAll(async () => {
    pbxPort = await freeUdpPort();
    const config = validateConfig({
      dataDir: mkdtempSync(join(tmpdir(), 'ssw-cot-')),
      logLevel: 'warn',
      api: { port: 0 },
      sip: { port: 0 },
      mgcp: { localPort: 0 },
      didHealth: { probeIntervalMs: 0 },
      trunkCustomers: [{ id: 'pbx-co', sources: ['127.0.0.1/32'], dids: [{ range: { from: '2125550100', to: '2125550109' }, targets: [{ host: '127.0.0.1', port: pbxPort }] }] }],
      lab: { enabled: true, startOsmoMgw: true, tandemSim: { port: 0 } },
      shutdown: { drainMs: 2000 },
    });
    ssw = await startSwitch(config, createLogger('warn'));
    await waitAspActive(ssw);
    // What the tandem's ISUP service puts on the link (COT is sent by the service, not the call).
    const isup = ssw.tandem!.isup as unknown as { transmit(tg: { id: string }, msg: IsupMessage): boolean };
    const transmit = isup.transmit.bind(isup);
    isup.transmit = (tg, msg) => {
      tandemSent.push(msg);
      return transmit(tg, msg);
    };
  }, 60_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  const originate = async (body: Record<string, unknown>) => {
    const res = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/originate', payload: { calling: '3125550199', continuityCheck: true, ...body } });
    expect(res.statusCode, res.body).toBe(201);
    const { cic, trunkGroup } = res.json() as { cic: number; trunkGroup: string };
    const record = ssw.tandem!.simulator.history.filter((r) => r.direction === 'outgoing' && r.cic === cic && r.trunkGroup === trunkGroup).at(-1)!;
    return { cic, trunkGroup, record };
  };

  it('IAM (continuity check required) → loop on the circuit → tone returns → COT successful → the call reaches the PBX, is answered and released; the loop is gone', async () => {
    const pbx = runSipp({ scenario: scenario('pbx-answer.xml'), localPort: pbxPort, timeoutS: 20, args: ['-m', '1'] });
    await new Promise((r) => setTimeout(r, 400));
    const { cic, record } = await originate({ called: '2125550105', holdMs: 500 });
    expect(record.iam?.natureOfConnection.continuityCheck).toBe(1);
    await until(() => record.state === 'idle', "the tandem's call to end", 20_000);
    await until(() => ssw.calls.activeCount === 0, "the switch's call to end", 10_000);
    const cot = tandemSent.find((m) => m.type === 'COT' && m.cic === cic);
    expect(cot, JSON.stringify(tandemSent.map((m) => `${m.type}/${m.cic}`))).toMatchObject({ continuity: { successful: true } });
    expect(record.messages.slice(0, 3)).toEqual(['tx:IAM', 'rx:ACM', 'rx:ANM']);
    const p = await pbx;
    expect(p.exitCode, p.stdout.slice(-2000)).toBe(0);
    await until(() => ssw.continuity!.size === 0, 'the loop to be deleted', 5000);
    const cdr = (await ssw.cdrs.list({ limit: 10 })).find((c) => c.inCic === cic);
    expect(cdr).toMatchObject({ direction: 'isup-to-sip', sipStatus: 200 });
  }, 40_000);

  it('the gateway refuses the loop (osmo-mgw stopped): the tone does not return, COT (failed) is sent and no call is offered', async () => {
    // A gateway that does not answer: the CRCX for the loop fails, so the check fails.
    ssw.osmoMgw!.signal('SIGSTOP');
    try {
      const before = (await ssw.cdrs.list({ limit: 100 })).length;
      const { cic, record } = await originate({ called: '2125550106' });
      await until(() => tandemSent.some((m) => m.type === 'COT' && m.cic === cic), 'the tandem to send COT', 30_000);
      expect(tandemSent.find((m) => m.type === 'COT' && m.cic === cic)).toMatchObject({ continuity: { successful: false } });
      expect(record.messages).not.toContain('rx:ACM');
      expect((await ssw.cdrs.list({ limit: 100 })).length).toBe(before);
    } finally {
      ssw.osmoMgw!.signal('SIGCONT');
    }
  }, 60_000);
});
