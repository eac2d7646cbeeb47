/**
 * The H.248 controller and its bearer port against a real media gateway built on Erlang/OTP's
 * megaco application (test/peers/megaco/ssw_mg.erl), in both text encodings: registration by
 * ServiceChange, a call's context life (Add, Modify, AuditValue, Subtract), Notify delivered and
 * acknowledged, replies acknowledged both ways, TransactionPending, and the gateway restarting
 * mid-call (ServiceChange from the running MG, and a new MG process after a kill).
 * Every datagram is recorded and handed to tshark afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BearerConnection, RestartNotice } from '../../../src/mgcp/bearer-port.js';
import { H248BearerPort, type H248RestartNotice } from '../../../src/mgcp/h248/bearer.js';
import { decode } from '../../../src/mgcp/h248/codec.js';
import { H248Controller, type NotifyEvent } from '../../../src/mgcp/h248/controller.js';
import { openUdpTransport, type H248Transport, type Peer } from '../../../src/mgcp/h248/transport.js';
import { hasErlangMegaco, MEGACO_MISSING, startMegacoMg, type MegacoMg } from '../../helpers/megaco-mg.js';
import { canCapture, startCapture, type Capture } from '../../helpers/capture.js';
import { findField, hasTshark, readPcap, tsharkJudge } from '../../helpers/tshark.js';

if (!hasErlangMegaco()) console.warn(MEGACO_MISSING);

interface Datagram {
  dir: 'out' | 'in';
  bytes: Buffer;
  peer: Peer;
}

/** Records every datagram; `drop` loses the outgoing ones it picks (each at most once). */
async function recordingTransport(log: Datagram[], drop: { next?: (text: string) => boolean }): Promise<H248Transport> {
  const t = await openUdpTransport(0, '127.0.0.1');
  return {
    get local() {
      return t.local;
    },
    send(bytes, to) {
      if (drop.next?.(bytes.toString('latin1'))) {
        drop.next = undefined;
        return;
      }
      log.push({ dir: 'out', bytes, peer: to });
      t.send(bytes, to);
    },
    onDatagram(h) {
      t.onDatagram((bytes, from) => {
        log.push({ dir: 'in', bytes, peer: from });
        h(bytes, from);
      });
    },
    close: () => t.close(),
  };
}

function nextEvent<T>(on: (listener: (e: T) => void) => void, off: (listener: (e: T) => void) => void, match: (e: T) => boolean, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off(l);
      reject(new Error('event did not come'));
    }, ms);
    const l = (e: T): void => {
      if (!match(e)) return;
      clearTimeout(timer);
      off(l);
      resolve(e);
    };
    on(l);
  });
}

const REMOTE_SDP = 'v=0\r\no=- 1 1 IN IP4 10.9.8.7\r\ns=-\r\nc=IN IP4 10.9.8.7\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\n';

for (const encoding of ['pretty', 'compact'] as const) {
  describe.skipIf(!hasErlangMegaco())(`H.248 controller against an OTP megaco MG (${encoding} text)`, () => {
    const wire: Datagram[] = [];
    const drop: { next?: (text: string) => boolean } = {};
    let controller: H248Controller;
    let bearer: H248BearerPort;
    let mg: MegacoMg;
    let capture: Capture | undefined;
    const restarts: H248RestartNotice[] = [];

    const restartNotice = (match: (n: H248RestartNotice) => boolean) =>
      nextEvent<RestartNotice>(
        (l) => bearer.on('restart', l),
        (l) => bearer.off('restart', l),
        (n) => match(n as H248RestartNotice),
      ) as Promise<H248RestartNotice>;

    beforeAll(async () => {
      controller = new H248Controller(await recordingTransport(wire, drop), [{ name: 'mg1', mid: { kind: 'domain', name: 'mg1' } }], {
        mid: { kind: 'domain', name: 'softswitch' },
        policy: { initialRtoMs: 500, longTimerMs: 15_000 },
      });
      bearer = new H248BearerPort(controller, [{ name: 'mg1', domain: 'mg1' }]);
      bearer.on('restart', (n) => restarts.push(n as H248RestartNotice));
      if (hasTshark() && canCapture()) capture = await startCapture(`udp port ${controller.local.port}`);
      const registered = restartNotice((n) => n.method === 'restart');
      mg = await startMegacoMg({ mgcPort: controller.local.port, encoding });
      await registered;
      await mg.waitFor('registered');
    });

    afterAll(async () => {
      await mg?.stop();
      await bearer?.close();
      if (capture) await capture.stop();
    });

    it('registers the MG by ServiceChange Restart on ROOT and answers in its encoding', async () => {
      const reg = await mg.waitFor('registered');
      expect(reg.fields.result).toMatch(/serviceChangeReply/);
      expect(controller.status('mg1')).toMatchObject({ state: 'registered', registrations: 1, peer: { address: '127.0.0.1', port: mg.port } });
      expect(restarts[0]).toMatchObject({ gateway: 'mg1', endpoint: '*@mg1', method: 'restart', connections: [] });
      const sc = wire.find((d) => d.dir === 'in');
      expect(sc?.bytes.toString('latin1')).toMatch(encoding === 'compact' ? /^!\/1 <mg1>/ : /^MEGACO\/1 <mg1>/);
      const ours = wire.filter((d) => d.dir === 'out');
      expect(ours.length).toBeGreaterThan(0);
      for (const d of ours) expect(d.bytes.toString('latin1').startsWith(encoding === 'compact' ? '!/1 <softswitch>' : 'MEGACO/1 <softswitch>')).toBe(true);
    });

    it("carries a call's context: Add (TDM + ephemeral RTP), Modify, AuditValue, Subtract", async () => {
      const conn = await bearer.createConnection({ endpoint: 'tdm/1/1@mg1', callId: 'call-1', mode: 'recvonly' });
      expect(conn).toMatchObject({ endpoint: 'tdm/1/1@mg1', gateway: 'mg1', mode: 'recvonly', callId: 'call-1' });
      expect(conn.connectionId).toMatch(/^\d+\.1$/);
      expect(conn.localSdp).toMatch(/^v=0\r\n/);
      expect(conn.localSdp).toMatch(/\r\nc=IN IP4 127\.0\.0\.1\r\n/);
      expect(conn.localSdp).toMatch(/\r\nm=audio 4\d{4} RTP\/AVP 8\r\n$/);
      const ctx = conn.connectionId.split('.')[0];
      await mg.waitFor('add', (e) => e.fields.term === 'tdm/1/1' && e.fields.ctx === ctx);
      const rtpAdd = await mg.waitFor('add', (e) => e.fields.term.startsWith('rtp/') && e.fields.ctx === ctx);
      expect(rtpAdd.fields.mode).toBe('recvOnly');

      const modified = await bearer.modifyConnection(conn, { mode: 'sendrecv', remoteSdp: REMOTE_SDP });
      expect(modified.mode).toBe('sendrecv');
      await mg.waitFor('modify', (e) => e.fields.term === rtpAdd.fields.term && e.fields.mode === 'sendRecv' && e.fields.remote === 'true');

      const audit = await bearer.auditEndpoint('tdm/1/1@mg1');
      expect(audit.connectionIds).toEqual([conn.connectionId]);
      expect(audit.details.context).toBe(ctx);

      await bearer.deleteConnection(modified);
      await mg.waitFor('subtract', (e) => e.fields.ctx === ctx && e.fields.terms === 'tdm/1/1');
      await mg.waitFor('subtract', (e) => e.fields.ctx === ctx && e.fields.terms === rtpAdd.fields.term);
      expect(bearer.connectionCount).toBe(0);
      const idle = await bearer.auditEndpoint('tdm/1/1@mg1');
      expect(idle.connectionIds).toEqual([]);
      expect(idle.details.context).toBe('-');
      // A physical termination cannot be in two contexts: the MG's refusal reaches the caller.
      const first = await bearer.createConnection({ endpoint: 'tdm/1/5@mg1', callId: 'c5', mode: 'sendrecv' });
      await expect(bearer.createConnection({ endpoint: 'tdm/1/5@mg1', callId: 'c5b', mode: 'sendrecv' })).rejects.toMatchObject({ kind: 'rejected', code: 433 });
      await bearer.deleteConnection(first);
    });

    it('delivers a Notify (events requested by Modify) and the MG gets its reply; our replies are acknowledged', async () => {
      const conn = await bearer.createConnection({ endpoint: 'tdm/1/2@mg1', callId: 'call-2', mode: 'sendrecv' });
      const ctx = Number(conn.connectionId.split('.')[0]);
      await controller.modify('mg1', ctx, 'tdm/1/2', [{ type: 'events', requestId: 77, events: [{ name: 'al/on', params: [] }] }]);
      await mg.waitFor('modify', (e) => e.fields.term === 'tdm/1/2' && e.fields.events === '77:al/on');
      let seen = 0;
      controller.on('notify', () => seen++);
      const notified = nextEvent<NotifyEvent>(
        (l) => controller.on('notify', l),
        (l) => controller.off('notify', l),
        (n) => n.terminationId === 'tdm/1/2',
      );
      // Our first reply to the Notify is lost: the MG sends the Notify again and gets the reply from our cache.
      drop.next = (text) => {
        const m = decode(Buffer.from(text, 'latin1'));
        return m.type === 'message' && m.transactions.some((t) => t.type === 'reply' && t.actions.some((a) => a.replies.some((r) => r.command === 'notify' && r.terminationId === 'tdm/1/2')));
      };
      mg.command('notify tdm/1/2 al/on');
      const n = await notified;
      expect(n).toMatchObject({ gateway: 'mg1', contextId: ctx, requestId: 77, events: [{ name: 'al/on', timestamp: '20240101T12000000', params: [] }] });
      const reply = await mg.waitFor('notify_reply', (e) => e.fields.term === 'tdm/1/2');
      expect(reply.fields.result).toMatch(/notifyReply/);
      expect(drop.next).toBeUndefined();
      const notifies = wire.filter((d) => d.dir === 'in' && /(Notify|N)\s*=\s*tdm\/1\/2/.test(d.bytes.toString('latin1')));
      expect(notifies.length).toBeGreaterThanOrEqual(2);
      expect(seen).toBe(1);
      // The MG acknowledges our Notify reply (auto_ack), which frees it from our reply cache.
      await waitUntil(() => controller.transactions.cachedReplies === 0);
      const acks = wire.filter((d) => d.dir === 'in' && /(TransactionResponseAck|K)\s*\{/.test(d.bytes.toString('latin1')));
      expect(acks.length).toBeGreaterThan(0);
      // Signals go down the same way (Modify with a Signals descriptor).
      await controller.modify('mg1', ctx, 'tdm/1/2', [{ type: 'signals', signals: [{ kind: 'signal', name: 'cg/rt', params: [{ kind: 'signalType', value: 'timeOut' }, { kind: 'duration', value: 2000 }] }] }]);
      await mg.waitFor('modify', (e) => e.fields.term === 'tdm/1/2' && e.fields.signals === 'cg/rt');
      await bearer.deleteConnection(conn);
    });

    it('retransmits a request whose datagram was lost; the MG executes it once', async () => {
      const before = wire.filter((d) => d.dir === 'out').length;
      drop.next = (text) => /tdm\/1\/11/.test(text);
      const conn = await bearer.createConnection({ endpoint: 'tdm/1/11@mg1', callId: 'call-11', mode: 'sendrecv' });
      try {
        expect(drop.next).toBeUndefined();
        await mg.waitFor('add', (e) => e.fields.term === 'tdm/1/11');
        await new Promise((r) => setTimeout(r, 300));
        // The MG's own duplicate detection (if we sent more than once under load) leaves one execution.
        expect(mg.events.filter((e) => e.name === 'add' && e.fields.term === 'tdm/1/11')).toHaveLength(1);
        const sentAdds = wire.filter((d) => d.dir === 'out').slice(before).filter((d) => /tdm\/1\/11/.test(d.bytes.toString('latin1')));
        expect(sentAdds.length).toBeGreaterThanOrEqual(1);
      } finally {
        await bearer.deleteConnection(conn);
      }
    });

    it('audits capabilities and values of a termination (AuditCapabilities, AuditValue)', async () => {
      const caps = await controller.audit('mg1', 'auditCapabilities', 'ROOT');
      expect(caps.reply).toMatchObject({ command: 'auditCapabilities', terminationId: 'root', audit: [{ type: 'packages' }] });
      const pk = caps.reply && 'audit' in caps.reply ? caps.reply.audit?.[0] : undefined;
      expect(pk?.type === 'packages' && pk.packages.map((p) => `${p.name}-${p.version}`)).toEqual(['g-1', 'nt-1', 'rtp-1', 'al-1']);
      const val = await controller.audit('mg1', 'auditValue', 'tdm/1/12', ['media'], '*');
      expect(val).toMatchObject({ contextId: '-', reply: { command: 'auditValue', terminationId: 'tdm/1/12' } });
    });

    it('acknowledges replies that ask for it (ImmAckRequired): the MG sees its TransactionResponseAck', async () => {
      mg.command('ack on');
      await mg.waitFor('ack_mode');
      const conn = await bearer.createConnection({ endpoint: 'tdm/1/3@mg1', callId: 'call-3', mode: 'sendrecv' });
      const ack = await mg.waitFor('trans_ack', (e) => e.fields.data === 'ack_requested');
      expect(ack.fields.status).toBe('ok');
      mg.command('ack off');
      await mg.waitFor('ack_mode', (e) => e.fields.on === 'off');
      await bearer.deleteConnection(conn);
    });

    it('waits through TransactionPending for a slow reply without retransmitting', async () => {
      const start = wire.length;
      mg.command('slow 1800');
      await mg.waitFor('slow');
      const started = Date.now();
      const audit = await bearer.auditEndpoint('tdm/1/4@mg1');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1700);
      expect(audit.details.context).toBe('-');
      await mg.waitFor('pending');
      // Once the MG's TransactionPending is in, the request is not sent again (normally it goes once).
      const log = wire.slice(start);
      const isRequest = (d: Datagram) => {
        const m = decode(d.bytes);
        return d.dir === 'out' && m.type === 'message' && m.transactions.some((t) => t.type === 'request');
      };
      const firstPending = log.findIndex((d) => d.dir === 'in' && /(Pending|PN)\s*=/.test(d.bytes.toString('latin1')));
      expect(firstPending).toBeGreaterThan(0);
      expect(log.slice(firstPending).filter(isRequest)).toEqual([]);
      expect(log.slice(0, firstPending).filter(isRequest).length).toBeGreaterThanOrEqual(1);
    });

    it("releases calls when the MG restarts mid-call: 'restart' names the lost connections", async () => {
      const a = await bearer.createConnection({ endpoint: 'tdm/1/6@mg1', callId: 'call-6', mode: 'sendrecv' });
      const b = await bearer.createConnection({ endpoint: 'tdm/1/7@mg1', callId: 'call-7', mode: 'sendrecv' });
      const notice = restartNotice((n) => n.method === 'restart' && n.connections.length > 0);
      mg.command('restart');
      const n = await notice;
      expect(n).toMatchObject({ gateway: 'mg1', endpoint: '*@mg1', reason: '901', terminationIds: ['root'] });
      expect(n.connections.map((c: BearerConnection) => c.callId).sort()).toEqual(['call-6', 'call-7']);
      expect(n.connections.map((c) => c.connectionId).sort()).toEqual([a.connectionId, b.connectionId].sort());
      expect(bearer.connectionCount).toBe(0);
      await mg.waitFor('sc_reply', (e) => e.fields.method === 'restart');
      // Releasing a lost connection sends nothing and succeeds.
      const before = wire.length;
      await bearer.deleteConnection(a);
      expect(wire.length).toBe(before);
      // New contexts get new connection ids even when the MG reuses context numbers.
      const c = await bearer.createConnection({ endpoint: 'tdm/1/6@mg1', callId: 'call-6b', mode: 'sendrecv' });
      expect(c.connectionId.endsWith('.2')).toBe(true);
      expect(c.connectionId).not.toBe(a.connectionId);
      await bearer.deleteConnection(c);
    });

    it('reports Forced on one termination (its call lost) and Disconnected on ROOT (calls kept)', async () => {
      const a = await bearer.createConnection({ endpoint: 'tdm/1/8@mg1', callId: 'call-8', mode: 'sendrecv' });
      const b = await bearer.createConnection({ endpoint: 'tdm/1/9@mg1', callId: 'call-9', mode: 'sendrecv' });
      const forced = restartNotice((n) => n.method === 'forced');
      mg.command('forced tdm/1/8');
      expect(await forced).toMatchObject({ endpoint: 'tdm/1/8@mg1', connections: [{ callId: 'call-8', connectionId: a.connectionId }] });
      expect(bearer.connectionCount).toBe(1);
      const disc = restartNotice((n) => n.method === 'disconnected');
      mg.command('disconnected');
      const d = await disc;
      expect(d).toMatchObject({ endpoint: '*@mg1', connections: [{ callId: 'call-9' }] });
      expect(bearer.connectionCount).toBe(1);
      expect(controller.status('mg1')?.state).toBe('registered');
      await bearer.deleteConnection(b);
    });

    it('takes a new MG process (new port, cold start) mid-call and drops the old calls', async () => {
      const a = await bearer.createConnection({ endpoint: 'tdm/1/10@mg1', callId: 'call-10', mode: 'sendrecv' });
      const oldPort = mg.port;
      await mg.stop();
      const notice = restartNotice((n) => n.method === 'restart' && n.connections.some((c) => c.callId === 'call-10'));
      mg = await startMegacoMg({ mgcPort: controller.local.port, encoding });
      await notice;
      expect(mg.port).not.toBe(oldPort);
      expect(controller.status('mg1')?.peer?.port).toBe(mg.port);
      await mg.waitFor('registered');
      const b = await bearer.createConnection({ endpoint: 'tdm/1/10@mg1', callId: 'call-10b', mode: 'sendrecv' });
      expect(b.connectionId).not.toBe(a.connectionId);
      await bearer.deleteConnection(b);
      await expect(bearer.deleteConnection(a)).resolves.toBeUndefined();
    });

    it.skipIf(!hasTshark() || !canCapture())('a live loopback capture of the session decodes as MEGACO (tshark -d udp.port==PORT,megaco) without errors', async () => {
      // Let delayed acknowledgements (ackDelayMs) leave before the capture stops.
      await new Promise((r) => setTimeout(r, 600));
      const path = await capture!.stop();
      capture = undefined;
      const port = controller.local.port;
      const { packets, problems } = readPcap(path, ['-d', `udp.port==${port},megaco`]);
      const seen = new Set(packets.map((p) => String(findField(p._source.layers, 'udp.payload') ?? '').replaceAll(':', '')));
      const missing = wire.filter((d) => !seen.has(d.bytes.toString('hex'))).map((d) => `${d.dir} ${d.bytes.toString('latin1')}`);
      expect(missing).toEqual([]);
      for (const p of packets) expect(p._source.layers.megaco, JSON.stringify(p._source.layers.udp)).toBeDefined();
      expect(problems).toBe('');
    });

    it.skipIf(!hasTshark())('tshark decodes every datagram of the session as MEGACO without errors', () => {
      const { packets, problems } = tsharkJudge(
        wire.map((d) => d.bytes),
        ['-u', '2944,2944'],
      );
      expect(packets.length).toBe(wire.length);
      for (const p of packets) expect(p._source.layers.megaco).toBeDefined();
      expect(problems).toBe('');
    });
  });
}

async function waitUntil(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
