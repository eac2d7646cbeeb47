/**
 * Calls both ways, the incoming half end to end: the tandem simulator originates IAMs toward
 * the switch over M3UA/SCTP; the switch delivers each DID call to a trunk customer's PBX (a real
 * SIPp UAS) with osmo-mgw making the bearer on the incoming circuit. Both release directions,
 * busy, no answer, the PSTN caller abandoning (CANCEL), an unallocated number (REL 1), target
 * failover and a customer whose targets are all down (REL with its configured cause). tshark
 * judges the capture; the CDRs are checked.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { startSwitch, type RunningSwitch } from '../../src/app/start.js';
import { createLogger } from '../../src/util/log.js';
import type { SimCallRecord } from '../../src/app/lab/tandem-sim/simulator.js';
import type { StoredCdr } from '../../src/store/cdr-store.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { freeUdpPort, hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { canCapture, startCapture, type Capture } from '../helpers/capture.js';
import { hasTshark } from '../helpers/tshark.js';
import { until, waitAspActive } from '../helpers/lab-switch.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping incoming-call end-to-end tests: ${missing}`);
const captureOk = canCapture() && hasTshark();
const onWire = it.skipIf(!captureOk);

interface Case {
  record: SimCallRecord;
  sipp?: SippResult;
  cdr?: StoredCdr;
}

describe.skipIf(missing !== '')('incoming PSTN calls to DIDs (ISUP → SIP)', () => {
  let ssw: RunningSwitch;
  let capture: Capture | undefined;
  let pcap = '';
  const ports: Record<string, number> = {};
  const cases: Record<string, Case> = {};

  beforeAll(async () => {
    for (const k of ['answer', 'bye', 'busy', 'ring', 'abandon', 'failover', 'dead']) ports[k] = await freeUdpPort();
    const target = (port: number) => [{ host: '127.0.0.1', port }];
    const config = validateConfig({
      dataDir: mkdtempSync(join(tmpdir(), 'ssw-in-')),
      logLevel: 'warn',
      api: { port: 0 },
      sip: { port: 0 },
      mgcp: { localPort: 0 },
      calls: { sipAnswerTimeoutMs: 1500, sipTargetNoResponseMs: 400 },
      didHealth: { probeIntervalMs: 0 },
      trunkCustomers: [
        {
          id: 'pbx-co',
          sources: ['127.0.0.1/32'],
          dids: [
            { range: { from: '2125550100', to: '2125550109' }, targets: target(ports.answer) },
            { number: '2125550110', targets: target(ports.bye) },
            { number: '2125550111', targets: target(ports.busy) },
            { number: '2125550112', targets: target(ports.ring) },
            { number: '2125550113', targets: target(ports.abandon), deliverAs: 'e164' },
            { number: '2125550114', targets: [{ host: '127.0.0.1', port: ports.dead }, { host: '127.0.0.1', port: ports.failover }] },
          ],
        },
        { id: 'down-co', sources: ['192.0.2.1/32'], unreachableCause: 20, dids: [{ number: '2125550120', targets: target(ports.dead) }] },
      ],
      lab: { enabled: true, startOsmoMgw: true, tandemSim: { port: 0 } },
      shutdown: { drainMs: 2000 },
    });
    ssw = await startSwitch(config, createLogger('warn'));
    await waitAspActive(ssw);
    if (captureOk) {
      const sippPorts = Object.values(ports).map((p) => `udp port ${p}`).join(' or ');
      capture = await startCapture(`(udp port ${ssw.tandem!.port} or udp port ${ssw.osmoMgw!.port} or ${sippPorts}) and ((src host 127.0.0.1 and dst host 127.0.0.1) or host ${ssw.osmoMgw!.address})`);
      // Only this test's parties: other tests' osmo-mgw instances (127.x.y.z) send RTCP whose ports may match ours.
    }
    const sim = ssw.tandem!.simulator;

    /** The tandem originates; the PBX (when given) runs its scenario; resolves when the circuit is idle on both sides. */
    const call = async (name: string, body: Record<string, unknown>, pbx?: { scenario: string; port: number }) => {
      const sipp = pbx ? runSipp({ scenario: pbx.scenario, localPort: pbx.port, timeoutS: 15, args: ['-m', '1'] }) : undefined;
      if (pbx) await new Promise((r) => setTimeout(r, 400)); // SIPp binds its port
      const res = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/originate', payload: { calling: '3125550199', ...body } });
      expect(res.statusCode, res.body).toBe(201);
      const { cic, trunkGroup } = res.json() as { cic: number; trunkGroup: string };
      const record = sim.history.filter((r) => r.direction === 'outgoing' && r.cic === cic && r.trunkGroup === trunkGroup).at(-1)!;
      await until(() => record.state === 'idle', `${name}: the tandem's call to end`, 15_000);
      await until(() => ssw.calls.activeCount === 0, `${name}: the switch's call to end`, 10_000);
      cases[name] = { record, sipp: sipp ? await sipp : undefined };
    };
    await call('answered-network-release', { called: '2125550105', holdMs: 600 }, { scenario: scenario('pbx-answer.xml'), port: ports.answer });
    await call('pbx-releases', { called: '2125550110' }, { scenario: scenario('pbx-bye.xml'), port: ports.bye });
    await call('busy', { called: '2125550111' }, { scenario: scenario('pbx-busy.xml'), port: ports.busy });
    await call('no-answer', { called: '2125550112' }, { scenario: scenario('pbx-ring.xml'), port: ports.ring });
    await call('abandon', { called: '2125550113', abandonMs: 700 }, { scenario: scenario('pbx-ring.xml'), port: ports.abandon });
    await call('failover', { called: '2125550114', holdMs: 300 }, { scenario: scenario('pbx-answer.xml'), port: ports.failover });
    await call('unallocated', { called: '2125559999' });
    await call('customer-down', { called: '2125550120' });
    const cdrs = await ssw.cdrs.list({ limit: 100 });
    for (const c of Object.values(cases)) c.cdr = cdrs.find((r) => r.inCic === c.record.cic && r.startTime && r.direction === 'isup-to-sip' && Date.parse(r.endTime) >= 0 && r.called === c.record.called);
    if (capture) pcap = await capture.stop();
    if (process.env.SSW_E2E_DEBUG) for (const [n, c] of Object.entries(cases)) console.log(n, c.record.messages.join(" "), c.record.releaseCause, JSON.stringify(c.cdr));
  }, 180_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  it('every PBX scenario ran as SIPp expects (exit code 0)', () => {
    for (const [name, c] of Object.entries(cases)) if (c.sipp) expect(c.sipp.exitCode, `${name}: ${c.sipp.stdout.slice(-1500)}`).toBe(0);
  });

  it('answered, network releases: IAM → ACM → ANM, then REL from the tandem, RLC; BYE with Q.850 cause 16 to the PBX', () => {
    const { record, cdr } = cases['answered-network-release'];
    expect(record.messages).toEqual(['tx:IAM', 'rx:ACM', 'rx:ANM', 'tx:REL', 'rx:RLC']);
    expect(record.acm).toEqual({ calledStatus: 1, inband: false });
    expect(cdr).toMatchObject({ direction: 'isup-to-sip', customer: 'pbx-co', calling: '3125550199', called: '2125550105', sipStatus: 200, cause: 16, releasedBy: 'caller', inTrunkGroup: record.trunkGroup });
    expect(cdr!.gatewayEndpoint).toMatch(/@mgw$/);
    expect(cdr!.billableMs).toBeGreaterThanOrEqual(500);
  });

  it('the PBX hangs up: BYE → REL (cause 16) to the tandem, RLC', () => {
    const { record, cdr } = cases['pbx-releases'];
    expect(record.messages).toEqual(['tx:IAM', 'rx:ACM', 'rx:ANM', 'rx:REL', 'tx:RLC']);
    expect(record.releaseCause).toBe(16);
    expect(cdr).toMatchObject({ sipStatus: 200, cause: 16, releasedBy: 'callee' });
  });

  it('busy: 486 → REL cause 17 (user busy), no ANM', () => {
    const { record, cdr } = cases.busy;
    expect(record.messages).toEqual(['tx:IAM', 'rx:REL', 'tx:RLC']);
    expect(record.releaseCause).toBe(17);
    expect(cdr).toMatchObject({ sipStatus: 486, cause: 17, billableMs: 0 });
  });

  it('no answer: ACM on 180, CANCEL after the no-answer timer, REL cause 19', () => {
    const { record, cdr } = cases['no-answer'];
    expect(record.messages).toEqual(['tx:IAM', 'rx:ACM', 'rx:REL', 'tx:RLC']);
    expect(record.releaseCause).toBe(19);
    expect(cdr).toMatchObject({ cause: 19, billableMs: 0 });
  });

  it('the PSTN caller abandons while ringing: REL → CANCEL to the PBX, RLC', () => {
    const { record, cdr } = cases.abandon;
    expect(record.messages).toEqual(['tx:IAM', 'rx:ACM', 'tx:REL', 'rx:RLC']);
    expect(cdr).toMatchObject({ cause: 16, releasedBy: 'caller', billableMs: 0 });
  });

  it('target failover: the first target never answers, the second takes the call', () => {
    const { record, cdr } = cases.failover;
    expect(record.messages).toEqual(['tx:IAM', 'rx:ACM', 'rx:ANM', 'tx:REL', 'rx:RLC']);
    expect(cdr!.target).toContain(`127.0.0.1:${ports.failover}`);
  });

  it('a number that is no DID: REL cause 1 (unallocated), no SIP', () => {
    const { record, cdr } = cases.unallocated;
    expect(record.messages).toEqual(['tx:IAM', 'rx:REL', 'tx:RLC']);
    expect(record.releaseCause).toBe(1);
    expect(cdr).toMatchObject({ cause: 1 });
  });

  it("a DID whose customer's targets are all down: REL with the customer's configured cause (20)", () => {
    const { record } = cases['customer-down'];
    expect(record.messages).toEqual(['tx:IAM', 'rx:REL', 'tx:RLC']);
    expect(record.releaseCause).toBe(20);
  });

  it('leaves every circuit idle on both sides', () => {
    for (const tg of ssw.isup.trunkGroups) expect(tg.circuits.counts()).toMatchObject({ outgoing: 0, incoming: 0 });
    for (const tg of ssw.tandem!.isup.trunkGroups) expect(tg.circuits.counts()).toMatchObject({ outgoing: 0, incoming: 0 });
  });

  onWire('puts nothing on the wire that tshark finds malformed or warns about', () => {
    const decode = ['-d', `udp.port==${ssw.tandem!.port},sctp`, '-d', `udp.port==${ssw.osmoMgw!.port},mgcp`, ...Object.values(ports).flatMap((p) => ['-d', `udp.port==${p},sip`]), '-o', 'mtp3.standard:ANSI', '-o', 'sctp.checksum:CRC 32c'];
    const problems = execFileSync('tshark', ['-r', pcap, ...decode, '-Y', '_ws.malformed || _ws.expert.severity >= warning'], { encoding: 'utf8' });
    expect(problems.trim()).toBe('');
    const iams = execFileSync('tshark', ['-r', pcap, ...decode, '-Y', 'isup.message_type == 1', '-T', 'fields', '-e', 'isup.called'], { encoding: 'utf8' }).trim().split('\n');
    expect(iams.length).toBeGreaterThanOrEqual(8);
    const invites = execFileSync('tshark', ['-r', pcap, ...decode, '-Y', 'sip.Method == "INVITE"', '-T', 'fields', '-e', 'sip.r-uri'], { encoding: 'utf8' });
    expect(invites).toContain('sip:2125550105@127.0.0.1');
    expect(invites).toContain('sip:+12125550113@127.0.0.1');
  });
});
