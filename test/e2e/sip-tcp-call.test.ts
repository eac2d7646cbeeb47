/**
 * Trunk calls over SIP/TCP (RFC 3261 §18) through the whole lab switch to the tandem: SIPp as the
 * trunk customer on one shared connection (`-t t1`) and on a connection per call (`-t tn`). Every
 * call completes and writes a CDR; the switch answers over the connection each request came on;
 * tshark decodes the TCP capture as SIP without a malformed packet.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { canCapture, startCapture } from '../helpers/capture.js';
import { hasTshark } from '../helpers/tshark.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = !hasSipp() ? 'sipp (sip-tester) not installed' : !hasOsmoMgw() ? OSMO_MGW_MISSING : '';
if (missing) console.warn(`skipping SIP/TCP trunk call tests: ${missing}`);
const captureOk = canCapture() && hasTshark();
if (!missing && !captureOk) console.warn('SIP/TCP: no tshark, or dumpcap cannot capture on lo; the wire check is skipped');

async function metric(ssw: RunningSwitch, name: string, labels: Record<string, string>): Promise<number> {
  const m = ssw.registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

describe.skipIf(missing !== '')('trunk calls over SIP/TCP through the lab switch (SIPp -t t1 / -t tn)', () => {
  let ssw: RunningSwitch;
  let t1: SippResult;
  let tn: SippResult;
  let released: SippResult;
  let pcap = '';
  let inboundBefore = 0;
  let inboundAfterT1 = 0;
  let inboundAfterTn = 0;

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { startOsmoMgw: true, tandemSim: { rules: [{ match: '2125550199', action: 'release-after-answer', cause: 16, delayMs: 400 }] } } }));
    const capture = captureOk ? await startCapture(`tcp port ${ssw.sipPort}`) : undefined;
    const target = `127.0.0.1:${ssw.sipPort}`;
    inboundBefore = await metric(ssw, 'softswitch_sip_connections_total', { transport: 'tcp', direction: 'inbound' });
    t1 = await runSipp({ scenario: scenario('ssw-call-caller-bye.xml'), target, timeoutS: 40, args: ['-t', 't1', '-s', '12125550150', '-m', '20', '-r', '10', '-l', '20'] });
    await until(() => ssw.calls.activeCount === 0, 'the t1 calls to end', 15_000);
    inboundAfterT1 = await metric(ssw, 'softswitch_sip_connections_total', { transport: 'tcp', direction: 'inbound' });
    tn = await runSipp({ scenario: scenario('ssw-call-caller-bye.xml'), target, timeoutS: 40, args: ['-t', 'tn', '-max_socket', '100', '-s', '12125550150', '-m', '5', '-r', '5', '-l', '5'] });
    await until(() => ssw.calls.activeCount === 0, 'the tn calls to end', 15_000);
    inboundAfterTn = await metric(ssw, 'softswitch_sip_connections_total', { transport: 'tcp', direction: 'inbound' });
    released = await runSipp({ scenario: scenario('ssw-call-network-release.xml'), target, timeoutS: 30, args: ['-t', 't1', '-s', '12125550199', '-m', '3', '-r', '3', '-l', '3'] });
    await until(() => ssw.calls.activeCount === 0, 'the network-released calls to end', 15_000);
    if (capture) pcap = await capture.stop();
  }, 150_000);
  afterAll(async () => {
    await ssw?.stop();
  });

  it('20 calls on one connection (-t t1): SIPp exits 0, every call answered and released, one inbound connection', () => {
    expect(t1.exitCode, t1.stdout.slice(-2000) + t1.stderr.slice(-1000)).toBe(0);
    expect(t1.stats.successful).toBe(20);
    expect(t1.stats.failed).toBe(0);
    expect(inboundAfterT1 - inboundBefore).toBe(1);
  });

  it('5 calls with a connection each (-t tn): SIPp exits 0, five more inbound connections', async () => {
    expect(tn.exitCode, tn.stdout.slice(-2000) + tn.stderr.slice(-1000)).toBe(0);
    expect(tn.stats.successful).toBe(5);
    expect(inboundAfterTn - inboundAfterT1).toBe(5);
  });

  it('the network releases 3 calls: the switch sends BYE over the caller\'s connection (its Contact names no transport)', () => {
    expect(released.exitCode, released.stdout.slice(-2000) + released.stderr.slice(-1000)).toBe(0);
    expect(released.stats.successful).toBe(3);
  });

  it('writes a CDR for each of the 25 calls (answered, released by the caller)', async () => {
    const cdrs = (await ssw.cdrs.list()).filter((c) => c.called.endsWith('2125550150'));
    expect(cdrs.length).toBe(25);
    const recent = cdrs;
    expect(recent.every((c) => c.sipStatus === 200 && c.releasedBy === 'caller'), JSON.stringify(recent.slice(0, 2))).toBe(true);
  });

  it('exports the connection gauge and counters by transport, and closures by reason', async () => {
    const text = await ssw.registry.metrics();
    expect(text).toMatch(/softswitch_sip_connections\{transport="tcp"\} \d+/);
    expect(text).toMatch(/softswitch_sip_connections_total\{transport="tcp",direction="inbound"\} \d+/);
    // SIPp -t tn closes each call's connection when the call ends.
    await until(async () => (await metric(ssw, 'softswitch_sip_connections_closed_total', { transport: 'tcp' })) >= 5, 'tn connections to close');
  });

  it.skipIf(!captureOk)('tshark decodes the TCP capture as SIP: 28 INVITEs, 28 BYEs, nothing malformed', () => {
    const decode = ['-d', `tcp.port==${ssw.sipPort},sip`];
    // TCP's own analysis (SACK, lost segments in a busy capture) is the kernel's, not ours: SIP is judged.
    const problems = execFileSync('tshark', ['-r', pcap, ...decode, '-Y', '_ws.malformed || (sip && _ws.expert.severity >= warning)'], { encoding: 'utf8' });
    expect(problems.trim()).toBe('');
    const methods = execFileSync('tshark', ['-r', pcap, ...decode, '-Y', 'sip.Request-Line', '-T', 'fields', '-e', 'sip.Method'], { encoding: 'utf8' })
      .split('\n')
      .flatMap((l) => l.split(','))
      .filter(Boolean);
    expect(methods.filter((m) => m === 'INVITE')).toHaveLength(28);
    expect(methods.filter((m) => m === 'BYE')).toHaveLength(28);
    const vias = execFileSync('tshark', ['-r', pcap, ...decode, '-Y', 'sip.Status-Code == 200', '-T', 'fields', '-e', 'sip.Via.transport'], { encoding: 'utf8' });
    expect(vias).toMatch(/TCP/);
  });
});
