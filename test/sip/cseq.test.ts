/**
 * Defect 7 of "Reliability and security": CSeq bounds (RFC 3261 §8.1.1.5, §12.2.1.1, §12.2.2).
 * A request outside a dialog must start below 2^31, so the dialog can count up to 2^32-1; an INVITE
 * at 4294967295 used to be answered and left a call nobody could end.
 */
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/sip/message.js';
import { hasSipp, runSipp } from '../helpers/sipp.js';
import { crlf, inDialog, invite, SDP } from './fixtures.js';
import { rig } from './rig.js';
import { startTestApp } from './test-app.js';

const caller: Endpoint = { address: '192.0.2.10', port: 5060 };
const scenario = (name: string) => fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));
const withCSeq = (seq: string, opts: Parameters<typeof invite>[0] = {}) => Buffer.from(invite(opts).toString().replace('CSeq: 1 INVITE', `CSeq: ${seq} INVITE`));

describe('CSeq bounds', () => {
  it('INVITE with CSeq 4294967295 or 2147483648: 400 naming CSeq, no transaction, no dialog, nothing for the application', () => {
    const { core, invites, responses, clock } = rig();
    core.receive(withCSeq('4294967295'), caller);
    core.receive(withCSeq('2147483648', { branch: 'z9hG4bK-b', callId: 'b' }), caller);
    expect(responses().map((r) => [r.msg.status, r.msg.reason])).toEqual([
      [400, 'Bad Request (CSeq not below 2^31)'],
      [400, 'Bad Request (CSeq not below 2^31)'],
    ]);
    expect(invites).toHaveLength(0);
    expect(core.layer.size.servers).toBe(0);
    expect(core.dialogCount).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('OPTIONS outside a dialog at 2^31 gets 400 too; a CSeq that is not a 32-bit number (2^32) is a 400 as before', () => {
    const { core, responses } = rig();
    const options = (seq: string) => crlf(['OPTIONS sip:198.51.100.1 SIP/2.0', `Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-o${seq}`, 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>', 'Call-ID: o', `CSeq: ${seq} OPTIONS`, '', '']);
    core.receive(options('2147483648'), caller);
    core.receive(options('2147483647'), caller);
    core.receive(withCSeq('4294967296'), caller);
    expect(responses().map((r) => r.msg.status)).toEqual([400, 200, 400]);
  });

  it('INVITE at 2147483647 works: ACK at the same CSeq, BYE at 2147483648 (in-dialog CSeq counts on to 2^32-1) ends the call', () => {
    const { core, invites, responses } = rig();
    core.receive(withCSeq('2147483647'), caller);
    expect(invites).toHaveLength(1);
    const d = core.answer(invites[0], SDP);
    let acked = 0;
    d.on('ack', () => acked++);
    core.receive(inDialog('ACK', d.localTag, 2147483647), caller);
    expect(acked).toBe(1);
    core.receive(inDialog('BYE', d.localTag, 2147483648), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(responses().at(-1)!.msg.headers.get('cseq')).toBe('2147483648 BYE');
    expect(d.destroyed).toBe(true);
    expect(core.dialogCount).toBe(0);
  });

  it('a re-INVITE may take the dialog to 4294967295, and a BYE at that same CSeq still ends it (not lower, §12.2.2)', () => {
    const { core, invites, responses } = rig();
    core.receive(withCSeq('2147483647'), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 2147483647), caller);
    core.receive(inDialog('INVITE', d.localTag, 4294967295), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    core.receive(inDialog('ACK', d.localTag, 4294967295), caller);
    core.receive(inDialog('BYE', d.localTag, 4294967296), caller);
    expect(responses().at(-1)!.msg.status).toBe(400);
    expect(d.destroyed).toBe(false);
    core.receive(inDialog('BYE', d.localTag, 4294967295, [], 'z9hG4bK-bye-2'), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(d.destroyed).toBe(true);
  });

  it('an out-of-order BYE gets 500 (§12.2.2) and the in-order one still ends the dialog', () => {
    const { core, invites, responses } = rig();
    core.receive(withCSeq('100'), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 100), caller);
    core.receive(inDialog('BYE', d.localTag, 99), caller);
    expect(responses().at(-1)!.msg.status).toBe(500);
    core.receive(inDialog('BYE', d.localTag, 101), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(d.destroyed).toBe(true);
  });
});

describe('CSeq bounds on the real socket', () => {
  it.skipIf(!hasSipp())('SIPp: INVITE at 2147483647 and BYE at 2147483648 complete', async () => {
    const { port, log } = await startTestApp();
    try {
      const edge = await runSipp({ scenario: scenario('sip-uac-cseq-edge.xml'), target: `127.0.0.1:${port.port}`, args: ['-m', '2'], timeoutS: 15 });
      expect(edge.exitCode, edge.stdout.slice(-1500)).toBe(0);
      expect(log.destroyed.filter((d) => d.by === 'remote'), JSON.stringify({ destroyed: log.destroyed, answered: log.answered.length, invites: log.invites, out: edge.stdout.slice(-2500) })).toHaveLength(2);
      expect(port.core.dialogCount).toBe(0);
    } finally {
      await port.close();
    }
  }, 30_000);

  // SIPp 3.6.1 keeps CSeq in a signed int (it ACKs "CSeq: -1"), so this one is a raw UDP peer.
  it('raw UDP: INVITE at 4294967295 gets 400 naming CSeq, and the application never sees it', async () => {
    const { port, log } = await startTestApp();
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString('utf8')));
    try {
      const local = sock.address().port;
      const msg = withCSeq('4294967295').toString().replace('Via: SIP/2.0/UDP 192.0.2.10:5060', `Via: SIP/2.0/UDP 127.0.0.1:${local}`);
      sock.send(Buffer.from(msg), port.port, '127.0.0.1');
      const end = Date.now() + 2000;
      while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(got[0]).toMatch(/^SIP\/2\.0 400 Bad Request \(CSeq not below 2\^31\)\r\n/);
      expect(got[0]).toContain('CSeq: 4294967295 INVITE');
      expect(log.invites).toBe(0);
      expect(port.core.dialogCount).toBe(0);
      expect(port.core.layer.size.servers).toBe(0);
    } finally {
      sock.close();
      await port.close();
    }
  });
});
