/**
 * The Class 5 caller scenario (test/scenarios/c5-caller.xml) for an expected final status: 200 runs
 * it as it is; any other status replaces the answer part with receiving that status and its ACK.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { until } from './lab-switch.js';
import { freeUdpPort, runSipp, type SippResult } from './sipp.js';

const scenario = (name: string) => new URL(`../scenarios/${name}`, import.meta.url).pathname;
const CALLER = scenario('c5-caller.xml');

/** The ACK a SIPp caller sends for a non-2xx final response `status` (RFC 3261 §17.1.1.3). */
export const ackFor = (status: number) => `<recv response="${status}"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[$domain] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>`;

/** The path of a caller scenario (c5-caller.xml, or `base` with the same ANSWER marks) expecting `status`, written into `dir` when it is not 200. */
export function callerExpecting(dir: string, status: number, base?: string): string {
  const source = base ? scenario(base) : CALLER;
  if (status === 200) return source;
  const path = join(dir, `${base ? base.replace(/\.xml$/, '') : 'c5-caller'}-${status}.xml`);
  writeFileSync(path, readFileSync(source, 'utf8').replace(/<!--ANSWER-->[\s\S]*<!--\/ANSWER-->/, ackFor(status)));
  return path;
}

/** A 200 to a re-INVITE from the switch, with an SDP of o-version `version` (and direction `dir` when given). */
const answerReinvite = (version: number, dir?: string) => `<send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=transfer-target 1 ${version} IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      a=tool:transfer-target
      m=audio [$mport] RTP/AVP 0
      a=rtpmap:0 PCMU/8000${dir ? `\n      a=${dir}` : ''}

    ]]>
  </send>
  <recv request="ACK" />`;

/**
 * The transfer target C (c5-transfer-target.xml) that takes a call from B (o=consult 1 1, c5-transferor-consult.xml),
 * then the switch's re-INVITE carrying the transferee's SDP (a=tool:transferee) in the same session as
 * B's offer (RFC 3264 §8: o=consult 1 2), then the hang-up; written into `dir` as `name`.xml.
 */
export function targetTakingReinvite(dir: string, name: string): string {
  const path = join(dir, `${name}.xml`);
  writeFileSync(
    path,
    readFileSync(scenario('c5-transfer-target.xml'), 'utf8').replace(
      '<recv request="BYE" timeout="20000" />',
      `<recv request="INVITE" timeout="20000">
    <action>
      <ereg regexp="o=consult 1 2 IN IP4 " search_in="body" check_it="true" assign_to="sameSession" />
      <ereg regexp="a=tool:transferee" search_in="body" check_it="true" assign_to="fromA" />
    </action>
  </recv>
  ${answerReinvite(2)}
  <recv request="BYE" timeout="20000" />
  <Reference variables="fromA,sameSession" />`,
    ),
  );
  return path;
}

/** A re-INVITE from the caller of c5-caller.xml (CSeq `cseq`) offering direction `dir`, whose answer must say `want`. */
const callerReinvite = (cseq: number, dir: string, want: string) => `<send retrans="500">
    <![CDATA[
      INVITE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[$user]@[$domain]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[$domain]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} INVITE
      Contact: <sip:[$user]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 ${2353687637 + cseq} IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=${dir}

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="200">
    <action><ereg regexp="a=${want}" search_in="body" check_it="true" assign_to="ans${cseq}"/></action>
  </recv>
  <Reference variables="ans${cseq}"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[$user]@[$domain]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[$domain]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="200"/>`;

/**
 * The caller of c5-caller.xml putting the answered call on hold and resuming it (RFC 6337 §5.1):
 * re-INVITE a=sendonly answered a=recvonly, then a=sendrecv answered a=sendrecv, then BYE.
 */
export function holdResumeCaller(dir: string): string {
  const path = join(dir, 'c5-caller-hold-resume.xml');
  writeFileSync(
    path,
    readFileSync(CALLER, 'utf8')
      .replace('<pause milliseconds="300"/>', `<pause milliseconds="300"/>\n  ${callerReinvite(3, 'sendonly', 'recvonly')}\n  ${callerReinvite(4, 'sendrecv', 'sendrecv')}`)
      .replace('CSeq: 3 BYE', 'CSeq: 5 BYE'),
  );
  return path;
}

/**
 * The called phone of a hold/resume: answers (c5-transfer-target.xml), takes re-INVITE a=sendonly (answers recvonly),
 * then a=sendrecv, then BYE. The caller's re-INVITEs say o=user1 53655765 2353687640 and ...641; the callee sees them
 * in the session of the switch's INVITE to it (o=user1 53655765 2353687637): versions ...638 and ...639 (RFC 3264 §8).
 */
export function holdResumeCallee(dir: string): string {
  const path = join(dir, 'c5-callee-hold-resume.xml');
  writeFileSync(
    path,
    readFileSync(scenario('c5-transfer-target.xml'), 'utf8').replace(
      '<recv request="BYE" timeout="20000" />',
      `<recv request="INVITE" timeout="20000">
    <action>
      <ereg regexp="a=sendonly" search_in="body" check_it="true" assign_to="held" />
      <ereg regexp="o=user1 53655765 2353687638 " search_in="body" check_it="true" assign_to="heldOrigin" />
    </action>
  </recv>
  ${answerReinvite(2, 'recvonly')}
  <recv request="INVITE" timeout="20000">
    <action>
      <ereg regexp="a=sendrecv" search_in="body" check_it="true" assign_to="resumed" />
      <ereg regexp="o=user1 53655765 2353687639 " search_in="body" check_it="true" assign_to="resumedOrigin" />
    </action>
  </recv>
  ${answerReinvite(3, 'sendrecv')}
  <recv request="BYE" timeout="20000" />
  <Reference variables="held,resumed,heldOrigin,resumedOrigin" />`,
    ),
  );
  return path;
}

/**
 * The lab tandem calls DID 2125550302 (extension 1002, B); B blind-transfers the PSTN caller to
 * 1003 (C, running `targetScenario`). Asserts that the far exchange sees only IAM/ACM/ANM through
 * the transfer and REL/RLC at its own hang-up, and that B and C both complete. Returns the
 * tandem's circuit and the media port C offered.
 */
export async function transferPstnCaller(t: {
  ssw: RunningSwitch;
  targetScenario: string;
  register: (user: string, port: number) => Promise<void>;
  ok: (r: SippResult, who: string) => void;
}): Promise<{ cic: number; trunkGroup: string; targetMediaPort: number }> {
  const bPort = await freeUdpPort();
  const cPort = await freeUdpPort();
  const targetMediaPort = await freeUdpPort();
  const c = runSipp({ scenario: t.targetScenario, localPort: cPort, timeoutS: 25, args: ['-m', '1', '-set', 'mport', String(targetMediaPort)] });
  const b = runSipp({ scenario: scenario('c5-transferor-blind.xml'), localPort: bPort, timeoutS: 25, args: ['-m', '1', '-set', 'referto', '<sip:1003@acme.example>'] });
  await t.register('1002', bPort);
  await t.register('1003', cPort);
  const sim = t.ssw.tandem!.simulator;
  const res = await t.ssw.api.inject({ method: 'POST', url: '/api/v1/lab/tandem/originate', payload: { calling: '3125550199', called: '2125550302', holdMs: 5000 } });
  expect(res.statusCode, res.body).toBe(201);
  const { cic, trunkGroup } = res.json() as { cic: number; trunkGroup: string };
  t.ok(await b, 'transferor B (1002, reached through the DID)');
  const record = sim.history.filter((r) => r.direction === 'outgoing' && r.cic === cic && r.trunkGroup === trunkGroup).at(-1)!;
  // The transfer is over (B got NOTIFY 200 and BYE) and the circuit is still answered: no REL from the switch.
  expect(record.messages).toEqual(['tx:IAM', 'rx:ACM', 'rx:ANM']);
  await until(() => record.state === 'idle', 'the tandem’s hang-up after its hold time', 15_000);
  expect(record.messages).toEqual(['tx:IAM', 'rx:ACM', 'rx:ANM', 'tx:REL', 'rx:RLC']);
  t.ok(await c, 'target C (BYE after the PSTN caller hung up)');
  return { cic, trunkGroup, targetMediaPort };
}
