import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { UaCore } from '../../src/sip/ua-core.js';
import type { IncomingInvite } from '../../src/sip/incoming-invite.js';
import { findAll, tsharkJudge } from '../helpers/tshark.js';
import { crlf, invite, SDP } from './fixtures.js';

const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).error === undefined;

describe.skipIf(!hasTshark)('tshark judges what the stack puts on the wire', () => {
  it('INVITE, 100, 183+SDP, 200+SDP, 486+Reason, ACK, CANCEL and BYE+Reason decode with no malformed/expert warnings', async () => {
    const frames: Buffer[] = [];
    const clock = new VirtualClock();
    const core = new UaCore({ clock, logger: silentLogger, local: { host: '198.51.100.1', port: 5060 }, send: (b) => frames.push(b), userAgent: 'softswitch' });
    const invites: IncomingInvite[] = [];
    core.onInvite((i) => invites.push(i));

    core.receive(invite(), { address: '192.0.2.10', port: 5060 });
    invites[0].send(183, undefined, { body: SDP });
    const d = core.answer(invites[0], SDP);
    core.receive(crlf(['ACK sip:198.51.100.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-ack', 'From: <sip:+4940111@192.0.2.10>;tag=a1', `To: <sip:+4930123456@198.51.100.1>;tag=${d.localTag}`, 'Call-ID: call-1@192.0.2.10', 'CSeq: 1 ACK', 'Content-Length: 0', '', '']), { address: '192.0.2.10', port: 5060 });
    void d.destroy({ headers: { Reason: 'Q.850;cause=16' } });

    core.receive(invite({ callId: 'call-2', branch: 'z9hG4bK-2' }), { address: '192.0.2.10', port: 5060 });
    invites[1].send(486, undefined, { headers: { Reason: 'Q.850;cause=17' } });

    const ac = new AbortController();
    const uac = core.invite('sip:+4930555@192.0.2.20:5060', { localSdp: SDP, from: '+4940111', signal: ac.signal }).catch(() => undefined);
    const sentInvite = frames.at(-1)!.toString();
    const h = (n: string) => new RegExp(`^${n}: (.*)$`, 'm').exec(sentInvite)![1].trim();
    core.receive(crlf(['SIP/2.0 180 Ringing', `Via: ${h('Via')}`, `From: ${h('From')}`, `To: ${h('To')};tag=far`, `Call-ID: ${h('Call-ID')}`, 'CSeq: ' + h('CSeq'), 'Content-Length: 0', '', '']), { address: '192.0.2.20', port: 5060 });
    ac.abort();
    void uac;

    const { packets, problems } = tsharkJudge(frames, ['-u', '5060,5060']);
    expect(problems).toBe('');
    const methods = packets.flatMap((p) => findAll(p._source.layers, 'sip.Method')).map(String);
    const statuses = packets.flatMap((p) => findAll(p._source.layers, 'sip.Status-Code')).map(String);
    expect(statuses).toEqual(['100', '183', '200', '100', '486']);
    expect(methods.filter((m, i) => methods.indexOf(m) === i)).toEqual(expect.arrayContaining(['BYE', 'INVITE', 'CANCEL']));
    const reasons = packets.flatMap((p) => findAll(p._source.layers, 'sip.Reason')).map(String);
    expect(reasons).toEqual(expect.arrayContaining(['Q.850;cause=16', 'Q.850;cause=17']));
    const media = packets.flatMap((p) => findAll(p._source.layers, 'sdp.media')).map(String);
    expect(media).toContain('audio 40000 RTP/AVP 0 8');
  });
});
