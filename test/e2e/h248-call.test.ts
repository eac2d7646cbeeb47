/**
 * A call whose bearer is on an H.248 gateway (Erlang/OTP megaco MG started by the test): the
 * trunk group names the MG, the switch's bearer router sends Add/Subtract over H.248 instead of
 * MGCP, the caller gets the MG's SDP; when the MG restarts mid-call (ServiceChange Restart on
 * ROOT) the call is released on both sides with cause 41 and its CDR says so. The call's trail
 * (admin API) holds its H.248 messages beside SIP and ISUP, and tshark decodes its pcap as MEGACO.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';
import type { DestroyInfo, Dialog } from '../../src/sip/port.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { hasErlangMegaco, MEGACO_MISSING, startMegacoMg, type MegacoMg } from '../helpers/megaco-mg.js';
import { freeUdpPort } from '../helpers/sipp.js';
import { findAll, hasTshark, readPcap } from '../helpers/tshark.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';

if (!hasErlangMegaco()) console.warn(MEGACO_MISSING);

describe.skipIf(!hasErlangMegaco())('a call with its bearer on an H.248 media gateway', () => {
  let ssw: RunningSwitch;
  let mg: MegacoMg;
  let caller: EmbeddedSignallingPort;
  let dialog: Dialog;
  const ended: DestroyInfo[] = [];

  beforeAll(async () => {
    const h248Port = await freeUdpPort();
    ({ ssw } = await startLabSwitch({
      lab: { startOsmoMgw: false, tandemSim: { answerDelayMs: 50 } },
      mgcp: { localPort: 0, gateways: [] },
      h248: { localAddress: '127.0.0.1', localPort: h248Port, mid: '<softswitch>', gateways: [{ name: 'mg1', mid: '<mg1>', domain: 'mg1' }] },
      trunkGroups: [{ id: 'tg-ilec', dpc: '2-2-2', cics: { first: 1, count: 24 }, gateway: 'mg1', endpoint: 'tdm/{span}/{chan}@mg1' }],
      routing: { carriers: [{ id: 'ilec-tandem', trunkGroups: ['tg-ilec'], deck: 'config/rate-decks/ilec-tandem.csv' }] },
    }));
    mg = await startMegacoMg({ mgcPort: h248Port, encoding: 'pretty' });
    await mg.waitFor('registered');
    caller = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock });
  }, 60_000);

  afterAll(async () => {
    await caller?.close();
    await mg?.stop();
    await ssw?.stop();
  });

  it('the call is answered with the SDP of the H.248 termination (Add of TDM + ephemeral RTP)', async () => {
    const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';
    dialog = await caller.createUAC(`sip:12125550150@127.0.0.1:${ssw.sipPort}`, { localSdp: offer, from: 'sip:3125550000@127.0.0.1' });
    dialog.on('destroy', (info) => ended.push(info));
    expect(dialog.remoteSdp).toMatch(/m=audio [1-9]\d* RTP\/AVP/);
    const [call] = ssw.calls.snapshot();
    expect(call.endpoint).toMatch(/^tdm\/1\/\d+@mg1$/);
    const adds = mg.events.filter((e) => e.name === 'add');
    expect(adds.map((e) => e.fields.term)).toContain(call.endpoint!.split('@')[0]);
    expect(adds.some((e) => e.fields.remote === 'true')).toBe(true);
  });

  it('the call trail holds its H.248 Add and reply, labelled, and its pcap decodes as MEGACO in tshark', async () => {
    const [call] = ssw.calls.snapshot();
    const res = await ssw.api.inject({ method: 'GET', url: `/api/v1/calls/${call.id}/trail` });
    expect(res.statusCode).toBe(200);
    const entries = res.json().entries as Array<{ protocol: string; dir: string; label: string; text?: string; remote?: string }>;
    const megaco = entries.filter((e) => e.protocol === 'megaco');
    const labels = megaco.map((e) => `${e.dir} ${e.label}`);
    expect(labels.some((l) => /^out Add\+Add T=\d+$/.test(l)), labels.join(', ')).toBe(true);
    expect(labels.some((l) => /^in Reply Add\+Add T=\d+$/.test(l)), labels.join(', ')).toBe(true);
    expect(megaco.find((e) => e.dir === 'out')!.text).toMatch(/^MEGACO\/\d/i);
    if (!hasTshark()) return;
    const pcap = await ssw.api.inject({ method: 'GET', url: `/api/v1/calls/${call.id}/trail.pcap` });
    expect(pcap.statusCode).toBe(200);
    const file = join(mkdtempSync(join(tmpdir(), 'ssw-h248-trail-')), 'call.pcap');
    writeFileSync(file, pcap.rawPayload);
    const ports = [...new Set(megaco.map((e) => e.remote!.split(':').pop()))];
    const { packets, problems } = readPcap(file, ['-o', 'sctp.checksum:CRC 32c', ...ports.flatMap((p) => ['-d', `udp.port==${p},megaco`])]);
    expect(problems).toBe('');
    const megacoFrames = packets.filter((p) => /udp:megaco/.test(String(findAll(p, 'frame.protocols')[0])));
    expect(megacoFrames.length).toBe(megaco.length);
    expect(megacoFrames.flatMap((p) => findAll(p, 'megaco.command')).map(String)).toEqual(expect.arrayContaining(['Add']));
  });

  it('the MG restarts mid-call: BYE with cause 41 to the caller, REL 41 to the tandem, CDR cause 41', async () => {
    mg.command('restart');
    await until(() => ended.length === 1, 'the BYE after the MG restart', 15_000);
    expect(ended[0]).toMatchObject({ by: 'remote', reason: 'Q.850;cause=41' });
    await until(() => ssw.calls.activeCount === 0, 'the call to end', 15_000);
    const rec = ssw.tandem!.simulator.history.at(-1)!;
    expect(rec.messages).toContain('rx:REL');
    expect(rec.releaseCause).toBe(41);
    expect((await ssw.cdrs.list())[0]).toMatchObject({ cause: 41, releasedBy: 'switch', sipStatus: 200 });
  });
});
