/**
 * Call transfer with real SIP phones (SIPp): the transferor sends a real REFER (RFC 3515) in its
 * dialog and checks the NOTIFYs' message/sipfrag bodies and the switch's BYE; the transferee checks
 * that the switch's re-INVITE carries the target's SDP (its a=tool line), i.e. A and C are bridged,
 * in A's own session: the o= line keeps the username, session id and address of the SDP A had from
 * the transferor, version + 1 (RFC 3264 §8); the target of an attended transfer likewise.
 * Blind transfer to an extension and to a PSTN number (the lab tandem answers), a PSTN caller (the
 * lab tandem's IAM to a DID) transferred by the extension it reached, a Refer-To into
 * another tenant (403 to the REFER), and the CDRs and metric the switch writes, read back from the
 * CSV and protobuf exports.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { freeUdpPort, hasSipp, runSipp, type SippResult } from '../helpers/sipp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { ackFor, targetTakingReinvite as takingReinvite, transferPstnCaller } from '../helpers/class5-sipp.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping class 5 transfer test: ${missing}`);

/** After the REFER is refused: the transferor hangs up itself (BYE in the dialog it answered). */
const REFUSED_TRANSFEROR = (status: number) => `<recv response="${status}" />
  <pause milliseconds="200" />
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <[$luri]>;tag=[pid]SIPpTagB[call_number]
      To: [$rfrom]
      [last_Call-ID:]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" />`;

/** The transferee whose transferor hung up: BYE from the switch. */
const RELEASED_TRANSFEREE = `<recv request="BYE" timeout="15000" />
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>`;

describe.skipIf(missing !== '')('Class 5 call transfer (REFER) with SIPp phones', () => {
  let ssw: RunningSwitch;
  let dataDir: string;

  beforeAll(async () => {
    ({ ssw, dataDir } = await startLabSwitch({
      lab: { startOsmoMgw: false },
      mgcp: { localPort: 0, gateways: [] },
      class5: {
        enabled: true,
        auth: { algorithms: ['MD5', 'SHA-256'] },
        tenants: [
          {
            id: 'acme',
            domain: 'acme.example',
            mainNumber: '2125550100',
            dids: [{ did: '2125550302', extension: '1002' }],
            extensions: [
              { number: '1001', password: 'secret1001' },
              { number: '1002', password: 'secret1002', cos: 'national' },
              { number: '1003', password: 'secret1003' },
            ],
          },
          { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'secret2001' }] },
        ],
      },
    }));
  }, 30_000);

  afterAll(async () => {
    await ssw?.stop();
  });

  const ok = (r: SippResult, who: string) => expect(r.exitCode, `${who}: ${r.stdout.slice(-2500)}${r.stderr.slice(-1500)}`).toBe(0);
  const variant = (base: string, name: string, outcome: string) => {
    const path = join(dataDir, `${name}.xml`);
    writeFileSync(path, readFileSync(scenario(base), 'utf8').replace(/<!--OUTCOME-->[\s\S]*<!--\/OUTCOME-->/, outcome));
    return path;
  };
  const register = async (user: string, port: number, domain = 'acme.example') => {
    const path = join(dataDir, `c5-register-${user}-${port}.xml`);
    writeFileSync(path, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${port}>`));
    ok(await runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', user, '-au', user, '-ap', `secret${user}`, '-set', 'domain', domain, '-set', 'expires', '600', '-m', '1'] }), `register ${user}`);
  };
  /** 1003 registered at `cPort`; B (1002) calls it; resolves once C answered, with the dialog's ids from SIPp's log. */
  const consultation = async (cPort: number, logName: string) => {
    await register('1003', cPort);
    const log = join(dataDir, logName);
    const consult = runSipp({ scenario: scenario('c5-transferor-consult.xml'), target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 30, args: ['-s', '1003', '-au', '1002', '-ap', 'secret1002', '-set', 'domain', 'acme.example', '-set', 'user', '1002', '-m', '1', '-trace_logs', '-log_file', log] });
    let dialog: RegExpMatchArray | null = null;
    await until(() => {
      try {
        dialog = readFileSync(log, 'utf8').match(/DIALOG CALLID=(\S+) FROMTAG=(\S+) TOTAG=(\S+)/);
      } catch {
        dialog = null;
      }
      return dialog !== null;
    }, 'B’s call answered by C');
    const [, callId, fromTag, toTag] = dialog!;
    return { consult, callId, fromTag, toTag };
  };
  const transferee = (from: string, dialled: string, path = scenario('c5-transferee.xml')) =>
    runSipp({ scenario: path, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 25, args: ['-s', dialled, '-au', from, '-ap', `secret${from}`, '-set', 'domain', 'acme.example', '-set', 'user', from, '-m', '1'] });
  const cdrs = async () => (await ssw.api.inject({ url: '/api/v1/cdrs?limit=20' })).json().cdrs as Array<Record<string, unknown>>;
  const metrics = async () => (await ssw.api.inject({ url: '/metrics' })).body;

  it('blind transfer to an extension: 202, NOTIFY 100 then 200 sipfrag, BYE to the transferor; the transferee is re-INVITEd with the target’s SDP; CDRs', async () => {
    const bPort = await freeUdpPort();
    const cPort = await freeUdpPort();
    const mport = await freeUdpPort();
    const c = runSipp({ scenario: scenario('c5-transfer-target.xml'), localPort: cPort, timeoutS: 25, args: ['-m', '1', '-set', 'mport', String(mport)] });
    const b = runSipp({ scenario: scenario('c5-transferor-blind.xml'), localPort: bPort, timeoutS: 25, args: ['-m', '1', '-set', 'referto', '<sip:1003@acme.example>'] });
    await register('1002', bPort);
    await register('1003', cPort);
    const a = await transferee('1001', '1002');
    ok(await b, 'transferor B');
    ok(a, 'transferee A');
    ok(await c, 'target C');
    await until(async () => (await cdrs()).some((r) => r.transferredBy === '1002'), 'the transferred call’s CDR');
    const rows = await cdrs();
    const continued = rows.find((r) => r.transferredBy === '1002')!;
    expect(continued.calling).toBe('1001');
    expect(continued.called).toBe('1003');
    expect(continued.answerTime).toBeDefined();
    expect(continued.releasedBy).toBe('caller');
    const original = rows.find((r) => r.callId === continued.transferredFrom)!;
    expect(original, JSON.stringify(rows)).toBeDefined();
    expect(original.called).toBe('1002');
    expect(original.releasedBy).toBe('transfer');
    expect(await metrics()).toMatch(/softswitch_class5_transfers_total\{kind="blind",result="completed"\} 1/);
  }, 60_000);

  it('blind transfer to a busy target: NOTIFY with "486 Busy Here" sipfrag, the original call goes on (B hangs up, A gets BYE)', async () => {
    const bPort = await freeUdpPort();
    const cPort = await freeUdpPort();
    const c = runSipp({ scenario: scenario('pbx-busy.xml'), localPort: cPort, timeoutS: 20, args: ['-m', '1'] });
    const busyOutcome = readFileSync(scenario('c5-transferor-blind.xml'), 'utf8')
      .match(/<!--OUTCOME-->([\s\S]*)<!--\/OUTCOME-->/)![1]
      .replace('<ereg regexp="^SIP/2.0 200 OK" search_in="body" check_it="true" assign_to="frag2" />', '<ereg regexp="^SIP/2.0 486 Busy Here" search_in="body" check_it="true" assign_to="frag2" />')
      .replace(/<recv request="BYE" timeout="10000" \/>[\s\S]*?<\/send>/, REFUSED_TRANSFEROR(0).replace(/^<recv response="0" \/>/, ''));
    const b = runSipp({ scenario: variant('c5-transferor-blind.xml', 'transferor-busy-target', busyOutcome), localPort: bPort, timeoutS: 20, args: ['-m', '1', '-set', 'referto', '<sip:1003@acme.example>'] });
    await register('1002', bPort);
    await register('1003', cPort);
    const a = await transferee('1001', '1002', variant('c5-transferee.xml', 'transferee-kept', RELEASED_TRANSFEREE));
    ok(await b, 'transferor B');
    ok(a, 'transferee A');
    ok(await c, 'busy target C');
    expect(await metrics()).toMatch(/softswitch_class5_transfers_total\{kind="blind",result="failed"\} 1/);
  }, 40_000);

  it('a Refer-To into another tenant (globex’s 2001) is refused: 403 to the REFER, no subscription; the call goes on until B hangs up', async () => {
    const bPort = await freeUdpPort();
    const bPath = variant('c5-transferor-blind.xml', 'transferor-refused-403', REFUSED_TRANSFEROR(403));
    const b = runSipp({ scenario: bPath, localPort: bPort, timeoutS: 20, args: ['-m', '1', '-set', 'referto', '<sip:2001@globex.example>'] });
    await register('1002', bPort);
    const a = await transferee('1001', '1002', variant('c5-transferee.xml', 'transferee-released', RELEASED_TRANSFEREE));
    ok(a, 'transferee A');
    ok(await b, 'transferor B');
    expect(await metrics()).toMatch(/softswitch_class5_transfers_total\{kind="blind",result="refused"\} 1/);
  }, 40_000);

  it('a REFER whose Referred-By names someone other than the dialog’s peer (1002 claiming 1003) is refused 403; the call goes on until B hangs up', async () => {
    const bPort = await freeUdpPort();
    const bPath = variant('c5-transferor-blind.xml', 'transferor-spoofed-by', REFUSED_TRANSFEROR(403));
    writeFileSync(bPath, readFileSync(bPath, 'utf8').replace('Referred-By: <[$luri]>', 'Referred-By: <sip:1003@acme.example>'));
    const b = runSipp({ scenario: bPath, localPort: bPort, timeoutS: 20, args: ['-m', '1', '-set', 'referto', '<sip:1003@acme.example>'] });
    await register('1002', bPort);
    const a = await transferee('1001', '1002', variant('c5-transferee.xml', 'transferee-spoofed', RELEASED_TRANSFEREE));
    ok(a, 'transferee A');
    ok(await b, 'transferor B');
  }, 40_000);

  const targetTakingReinvite = (name: string) => takingReinvite(dataDir, name);

  it('attended transfer: B calls C, then REFERs A with Replaces naming its dialog with C; A and C are re-INVITEd with each other’s SDP, both of B’s legs get BYE, NOTIFY 200 to B', async () => {
    const bPort = await freeUdpPort();
    const cPort = await freeUdpPort();
    const mport = await freeUdpPort();
    const cPath = targetTakingReinvite('target-attended');
    const c = runSipp({ scenario: cPath, localPort: cPort, timeoutS: 30, args: ['-m', '1', '-set', 'mport', String(mport)] });
    const { consult, callId, fromTag, toTag } = await consultation(cPort, 'consult.log');
    const referTo = `<sip:1003@acme.example?Replaces=${encodeURIComponent(`${callId};to-tag=${toTag};from-tag=${fromTag}`)}>`;
    const b = runSipp({ scenario: scenario('c5-transferor-blind.xml'), localPort: bPort, timeoutS: 25, args: ['-m', '1', '-set', 'referto', referTo] });
    await register('1002', bPort);
    const a = await transferee('1001', '1002');
    ok(await b, 'transferor B (call with A)');
    ok(await consult, 'transferor B (call with C)');
    ok(a, 'transferee A');
    ok(await c, 'target C');
    await until(async () => (await cdrs()).some((r) => typeof r.transferredFrom === 'string' && (r.transferredFrom as string).includes(',')), 'the joined call’s CDR');
    const joined = (await cdrs()).find((r) => typeof r.transferredFrom === 'string' && (r.transferredFrom as string).includes(','))!;
    expect(joined.transferredBy).toBe('1002');
    expect(joined.calling).toBe('1001');
    expect(joined.called).toBe('1003');
    expect(await metrics()).toMatch(/softswitch_class5_transfers_total\{kind="attended",result="completed"\} 1/);
  }, 60_000);

  /** The transferee scenario sending `Replaces: value` in its INVITEs, answered with `answerMark` in the SDP, then hanging up. */
  const replacer = (name: string, value: string, answerMark: string, outcome: string) => {
    const path = join(dataDir, `${name}.xml`);
    writeFileSync(
      path,
      readFileSync(scenario('c5-transferee.xml'), 'utf8')
        .replaceAll('      Max-Forwards: 70\n      Content-Type: application/sdp', `      Replaces: ${value}\n      Max-Forwards: 70\n      Content-Type: application/sdp`)
        .replace('regexp="o=transferor 53655765 2353687637 IN IP4 "', `regexp="${answerMark}"`)
        .replace(/<!--OUTCOME-->[\s\S]*<!--\/OUTCOME-->/, outcome),
    );
    return path;
  };
  const HANG_UP = `<pause milliseconds="300"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[$user]@[$domain]>;tag=[pid]SIPpTagA[call_number]
      To: <sip:[service]@[$domain]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>`;

  it('INVITE with Replaces (RFC 3891 §3): an unknown dialog gets 481; a confirmed one is replaced — its other party is re-INVITEd with the newcomer’s SDP and the replaced party gets BYE', async () => {
    const unknown = replacer('replaces-unknown', 'nosuch@127.0.0.1;to-tag=1;from-tag=2', 'o=transferor ', '');
    const refused = readFileSync(unknown, 'utf8').replace(/<recv response="180" optional="true"\/>[\s\S]*?CSeq: 2 ACK[\s\S]*?<\/send>/, ackFor(481)).replace('<Reference variables="first" />', '');
    writeFileSync(unknown, refused);
    ok(await transferee('1001', '1003', unknown), 'INVITE with Replaces for no dialog');

    // B (1002) calls C (1003); then 1001 replaces B's dialog.
    const cPort = await freeUdpPort();
    const cPath = targetTakingReinvite('target-replaced');
    const c = runSipp({ scenario: cPath, localPort: cPort, timeoutS: 30, args: ['-m', '1', '-set', 'mport', String(await freeUdpPort())] });
    const { consult, callId, fromTag, toTag } = await consultation(cPort, 'consult-replaced.log');
    // The newcomer's leg is new: its first SDP (C's answer to the re-INVITE) keeps C's own origin.
    const path = replacer('replaces-known', `${callId};to-tag=${toTag};from-tag=${fromTag}`, 'o=transfer-target 1 2 IN IP4 ', HANG_UP);
    ok(await transferee('1001', '1003', path), 'newcomer with Replaces');
    ok(await consult, 'replaced party B');
    ok(await c, 'other party C');
  }, 60_000);

  it('blind transfer to a PSTN number: the new call goes out through the LCR to the lab tandem, which answers; the transferee is re-INVITEd with the gateway-less answer', async () => {
    const bPort = await freeUdpPort();
    const b = runSipp({ scenario: scenario('c5-transferor-blind.xml'), localPort: bPort, timeoutS: 25, args: ['-m', '1', '-set', 'referto', '<sip:3125550142@acme.example>'] });
    await register('1002', bPort);
    const sim = ssw.tandem!.simulator;
    const before = sim.history.length;
    // Without a media gateway the switch's answer declines media; the transferee sees it in its own session (o=transferor, version + 1).
    const aPath = variant(
      'c5-transferee.xml',
      'transferee-pstn',
      readFileSync(scenario('c5-transferee.xml'), 'utf8')
        .match(/<!--OUTCOME-->([\s\S]*)<!--\/OUTCOME-->/)![1]
        .replace('<ereg regexp="a=tool:transfer-target" search_in="body" check_it="true" assign_to="targetMedia" />', '<ereg regexp="m=audio 0 " search_in="body" check_it="true" assign_to="targetMedia" />'),
    );
    ok(await transferee('1001', '1002', aPath), 'transferee A');
    ok(await b, 'transferor B');
    const rec = sim.history.slice(before).find((r) => r.called === '3125550142');
    expect(rec, JSON.stringify(sim.history.slice(before))).toBeDefined();
    expect(rec!.messages.slice(0, 3)).toEqual(['rx:IAM', 'tx:ACM', 'tx:ANM']);
    await until(async () => (await cdrs()).some((r) => r.transferredBy === '1002' && r.called === '3125550142'), 'the PSTN leg’s CDR');
  }, 60_000);

  it('a PSTN caller (the lab tandem’s IAM to a DID) transferred by the extension it reached: the circuit stays up and is joined to the target; the far exchange sees no release until it hangs up', async () => {
    const { cic, trunkGroup } = await transferPstnCaller({ ssw, targetScenario: scenario('c5-transfer-target.xml'), register, ok });
    await until(async () => (await cdrs()).some((r) => r.transferredBy === '1002' && r.calling === '3125550199'), 'the transferred PSTN call’s CDR');
    const rows = await cdrs();
    const continued = rows.find((r) => r.transferredBy === '1002' && r.calling === '3125550199')!;
    expect(continued).toMatchObject({ called: '1003', direction: 'isup-to-sip', inTrunkGroup: trunkGroup, inCic: cic, releasedBy: 'caller' });
    expect(continued.answerTime).toBeDefined();
    const original = rows.find((r) => r.callId === continued.transferredFrom)!;
    expect(original).toMatchObject({ called: '2125550302', direction: 'isup-to-sip', releasedBy: 'transfer' });
  }, 60_000);

  it('the CDR exports carry transferredBy and transferredFrom: CSV read back with csv-parse, the protobuf stream decoded with protobufjs', async () => {
    // The transfers above (blind, attended, Replaces, PSTN) wrote these; the store is the reference.
    const stored = (await cdrs()).filter((r) => r.transferredBy !== undefined);
    expect(stored.length).toBeGreaterThanOrEqual(4);
    expect(stored.some((r) => String(r.transferredFrom).includes(','))).toBe(true);

    const csv = await ssw.api.inject({ url: '/api/v1/cdrs/export?format=csv' });
    expect(csv.statusCode).toBe(200);
    const rows = parseCsv(csv.body, { columns: true }) as Array<Record<string, string>>;
    const proto = await ssw.api.inject({ url: '/api/v1/cdrs/export?format=protobuf' });
    expect(proto.statusCode).toBe(200);
    const type = protobuf.loadSync(new URL('../../src/calls/cdr.proto', import.meta.url).pathname).lookupType('softswitch.cdr.v1.Cdr');
    const reader = protobuf.Reader.create(proto.rawPayload);
    const records: Array<Record<string, unknown>> = [];
    while (reader.pos < reader.len) records.push(type.toObject(type.decodeDelimited(reader), { longs: Number }));
    expect(records).toHaveLength(rows.length);

    for (const c of stored) {
      const row = rows.find((r) => r.callId === c.callId);
      expect(row, String(c.callId)).toBeDefined();
      expect(row!.transferredBy).toBe(c.transferredBy);
      expect(row!.transferredFrom).toBe(c.transferredFrom);
      const rec = records.find((r) => r.callId === c.callId)!;
      expect(rec.transferredBy).toBe(c.transferredBy);
      expect(rec.transferredFrom).toBe(c.transferredFrom);
    }
    // The calls a transfer ended have no transfer fields of their own.
    const original = rows.find((r) => r.releasedBy === 'transfer')!;
    expect(original.transferredBy).toBe('');
    expect(records.find((r) => r.callId === original.callId)!.transferredBy).toBeUndefined();
  }, 30_000);
});
