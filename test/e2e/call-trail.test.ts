/**
 * A real call's signalling trail: SIPp calls through the lab switch (embedded SIP, ISUP over
 * M3UA/SCTP to the tandem simulator, osmo-mgw for the circuit's bearer); the trail the admin API
 * returns lists the call's SIP, ISUP and MGCP messages in order, and its pcap is decoded by tshark
 * as SIP, MGCP and M3UA/ISUP with no malformed packet or expert warning.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { hasOsmoMgw } from '../helpers/osmo-mgw.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { findAll, hasTshark, readPcap } from '../helpers/tshark.js';

interface Entry {
  protocol: string;
  dir: string;
  label: string;
  local?: string;
  remote?: string;
  text?: string;
  hex?: string;
}

describe.skipIf(!hasSipp())('call trail of a SIP→ISUP call', () => {
  let ssw: RunningSwitch;
  let callId = '';
  let entries: Entry[] = [];

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch());
    const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 30, args: ['-s', '12125550150', '-m', '1', '-d', '500'] });
    expect(r.stats.successful, r.stdout.slice(-2000)).toBe(1);
    // The call is over once every leg has settled: RLC received, gateway connection deleted.
    await until(() => ssw.calls.activeCount === 0, 'the call to end', 15_000);
  }, 60_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  it('lists the call among the trails and returns its messages in order', async () => {
    const list = await ssw.api.inject({ method: 'GET', url: '/api/v1/call-trails' });
    expect(list.statusCode).toBe(200);
    const trails = list.json().trails as Array<{ callId: string; events: number }>;
    expect(trails.length).toBeGreaterThan(0);
    callId = trails[0].callId;
    const res = await ssw.api.inject({ method: 'GET', url: `/api/v1/calls/${callId}/trail` });
    expect(res.statusCode).toBe(200);
    entries = res.json().entries;
    const labels = entries.map((e) => `${e.protocol} ${e.dir} ${e.label}`);
    // Nothing from before the call: the circuit resets after link-up are not its messages.
    expect(labels[0]).toBe('sip in INVITE');
    // The SIP side as SIPp's uac scenario runs it, the ISUP side toward the tandem.
    for (const want of ['sip in INVITE', 'sip out 100', 'sip out 18', 'sip out 200', 'sip in ACK', 'sip in BYE', 'isup out IAM', 'isup in ACM', 'isup in ANM', 'isup out REL', 'isup in RLC']) {
      expect(labels.some((l) => l.startsWith(want)), `${want} in ${labels.join(', ')}`).toBe(true);
    }
    const order = (l: string) => labels.findIndex((x) => x.startsWith(l));
    expect(order('sip in INVITE')).toBeLessThan(order('isup out IAM'));
    expect(order('isup out IAM')).toBeLessThan(order('isup in ACM'));
    expect(order('isup in ANM')).toBeLessThan(order('sip out 200'));
    expect(order('sip in BYE')).toBeLessThan(order('isup out REL'));
    const invite = entries.find((e) => e.label === 'INVITE')!;
    expect(invite.text).toMatch(/^INVITE sip:12125550150@/);
    expect(entries.find((e) => e.label === 'IAM')!.hex).toMatch(/^[0-9a-f]{4}01/);
    if (hasOsmoMgw()) {
      for (const want of ['mgcp out CRCX', 'mgcp in 200 (CRCX)', 'mgcp out DLCX', 'mgcp in 250 (DLCX)']) {
        expect(labels.some((l) => l.startsWith(want)), `${want} in ${labels.join(', ')}`).toBe(true);
      }
      expect(order('mgcp out CRCX')).toBeLessThan(order('isup out IAM'));
    }
  });

  it.skipIf(!hasTshark())('exports the trail as a pcap tshark decodes as SIP, MGCP and M3UA/ISUP without complaint', async () => {
    const res = await ssw.api.inject({ method: 'GET', url: `/api/v1/calls/${callId}/trail.pcap` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
    const file = join(mkdtempSync(join(tmpdir(), 'ssw-trail-')), 'call.pcap');
    writeFileSync(file, res.rawPayload);
    const variant = ssw.config.ss7.variant;
    // MGCP keeps its real ports (the lab's gateway and call agent use OS-chosen ones): tell tshark which is MGCP.
    const mgcpPorts = [...new Set(entries.filter((e) => e.protocol === 'mgcp').map((e) => e.remote!.split(':').pop()))];
    const decodeAs = mgcpPorts.flatMap((p) => ['-d', `udp.port==${p},mgcp`]);
    const { packets, problems } = readPcap(file, ['-o', 'sctp.checksum:CRC 32c', ...(variant === 'ansi' ? ['-o', 'mtp3.standard:ANSI'] : []), ...decodeAs]);
    expect(problems).toBe('');
    expect(packets.length).toBe(entries.length);
    const protocols = packets.map((p) => String(findAll(p, 'frame.protocols')[0]));
    for (const [i, e] of entries.entries()) {
      const want = e.protocol === 'isup' ? /sctp:m3ua:(mtp3:)?isup$/ : e.protocol === 'sip' ? /udp:sip(:sdp)?$/ : /udp:mgcp(:sdp)?$/;
      expect(protocols[i], `frame ${i + 1} (${e.label})`).toMatch(want);
    }
    const isupTypes = packets.flatMap((p) => findAll(p, 'isup.message_type')).map(Number);
    expect(isupTypes).toEqual(expect.arrayContaining([1, 6, 9, 12, 16]));
    const checksums = packets.flatMap((p) => findAll(p, 'sctp.checksum.status'));
    expect(checksums.length).toBeGreaterThan(0);
    expect(new Set(checksums)).toEqual(new Set(['1']));
    console.log(`call ${callId}: ${entries.length} messages; pcap at ${file}`);
  });
});

describe.skipIf(!hasSipp())('call trail of an ISUP→SIP call', () => {
  let ssw: RunningSwitch;

  afterAll(async () => {
    await ssw?.stop();
  });

  it("has the IAM that opened the circuit, the gateway's connection and the SIP leg toward the PBX", async () => {
    const pbx = await freeUdpPort();
    ({ ssw } = await startLabSwitch({
      didHealth: { probeIntervalMs: 0 },
      trunkCustomers: [{ id: 'pbx-co', sources: ['127.0.0.1/32'], dids: [{ number: '2125550100', targets: [{ host: '127.0.0.1', port: pbx }] }] }],
    }));
    const uas = runSipp({ scenario: 'uas', localPort: pbx, timeoutS: 30, args: ['-m', '1'] });
    await new Promise((r) => setTimeout(r, 500));
    const res = await ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/originate', payload: { called: '2125550100', calling: '3125550000', holdMs: 300 } });
    expect(res.statusCode, res.body).toBe(201);
    const r = await uas;
    expect(r.stats.successful, r.stdout.slice(-1500)).toBe(1);
    await until(() => ssw.calls.activeCount === 0, 'the call to end', 15_000);
    const [latest] = (await ssw.api.inject({ method: 'GET', url: '/api/v1/call-trails' })).json().trails as Array<{ callId: string }>;
    const entries = (await ssw.api.inject({ method: 'GET', url: `/api/v1/calls/${latest.callId}/trail` })).json().entries as Entry[];
    const labels = entries.map((e) => `${e.protocol} ${e.dir} ${e.label}`);
    expect(labels[0]).toBe('isup in IAM');
    const want = ['sip out INVITE', 'sip in 200 OK (INVITE)', 'sip out ACK', 'isup out ACM', 'isup out ANM', 'isup in REL', 'sip out BYE', 'sip in 200 OK (BYE)', 'isup out RLC', ...(hasOsmoMgw() ? ['mgcp out CRCX', 'mgcp out DLCX'] : [])];
    for (const w of want) expect(labels.some((l) => l.startsWith(w)), `${w} in ${labels.join(', ')}`).toBe(true);
    const at = (l: string) => labels.findIndex((x) => x.startsWith(l));
    expect(at('sip out INVITE')).toBeLessThan(at('sip in 200 OK (INVITE)'));
    expect(at('sip in 200 OK (INVITE)')).toBeLessThan(at('isup out ANM'));
  }, 90_000);
});
