/**
 * The controller and its bearer port in virtual time against a scripted MG (our own transaction
 * layer playing the gateway over an in-memory network): what the interop tests cannot make the
 * OTP MG do — unknown gateways, silent gateways, refusals, version negotiation.
 */
import { describe, expect, it } from 'vitest';
import type { RestartNotice, UnreachableNotice } from '../../../src/mgcp/bearer-port.js';
import { H248BearerPort, type H248RestartNotice } from '../../../src/mgcp/h248/bearer.js';
import { H248Controller, type ControllerOptions, type NotifyEvent } from '../../../src/mgcp/h248/controller.js';
import type { ActionReply, ActionRequest, Mid, TransactionReply } from '../../../src/mgcp/h248/messages.js';
import { TransactionLayer, type IncomingRequest, type RequestAnswer } from '../../../src/mgcp/h248/transaction-layer.js';
import type { H248Transport, Peer } from '../../../src/mgcp/h248/transport.js';
import { VirtualClock } from '../../../src/util/clock.js';

const MGC: Peer = { address: '10.0.0.1', port: 2944 };
const MG_ADDR: Peer = { address: '10.0.0.2', port: 2944 };
const MG_MID: Mid = { kind: 'ip4', address: '10.0.0.2', port: 2944 };

/** Delivers datagrams between endpoints after 1 ms of virtual time; a silent endpoint drops them. */
class Net {
  readonly handlers = new Map<string, (d: Buffer, from: Peer) => void>();
  readonly silent = new Set<string>();
  constructor(readonly clock: VirtualClock) {}
  transport(local: Peer): H248Transport {
    return {
      local,
      send: (d, to) => {
        this.clock.setTimeout(() => {
          const key = `${to.address}:${to.port}`;
          if (!this.silent.has(key)) this.handlers.get(key)?.(d, local);
        }, 1);
      },
      onDatagram: (h) => void this.handlers.set(`${local.address}:${local.port}`, h),
      close: async () => {},
    };
  }
}

/** A gateway: answers with `answer`, sends what the test asks. */
function fakeMg(net: Net, clock: VirtualClock, at: Peer = MG_ADDR, mid: Mid = MG_MID) {
  const requests: IncomingRequest[] = [];
  let answer: (req: IncomingRequest) => RequestAnswer = (req) => ({
    actions: req.request.actions.map((a): ActionReply => ({ contextId: a.contextId === '$' ? 7 : a.contextId, replies: a.commands.map((c) => ({ command: c.command === 'notify' ? 'notify' : 'modify', terminationId: c.terminationId })) as ActionReply['replies'] })),
  });
  const t = net.transport(at);
  const layer = new TransactionLayer({
    mid,
    clock,
    send: (d, to) => t.send(d, to),
    onRequest: (req) => {
      requests.push(req);
      return answer(req);
    },
    policy: { initialRtoMs: 500, maxRetransmits: 2 },
  });
  t.onDatagram((d, from) => layer.receive(d, from));
  return {
    requests,
    layer,
    answerWith(f: (req: IncomingRequest) => RequestAnswer) {
      answer = f;
    },
    send(actions: readonly ActionRequest[]): Promise<TransactionReply> {
      return layer.request(MGC, actions);
    },
    serviceChange(method: 'restart' | 'forced' | 'graceful' | 'disconnected' | 'failover', terminationId = 'ROOT', extra: Record<string, unknown> = {}) {
      return layer.request(MGC, [{ contextId: '-', commands: [{ command: 'serviceChange', terminationId, params: { method, reason: '901 Cold Boot', ...extra } }] }]);
    },
  };
}

function setup(opts: ControllerOptions = {}, gateway: { address?: string; maxVersion?: number } = {}) {
  const clock = new VirtualClock(1_000_000);
  const net = new Net(clock);
  const controller = new H248Controller(net.transport(MGC), [{ name: 'mg1', mid: MG_MID, ...gateway }], { clock, policy: { initialRtoMs: 500, maxRetransmits: 2 }, ...opts });
  const bearer = new H248BearerPort(controller, [{ name: 'mg1', domain: 'tgw1' }]);
  const restarts: H248RestartNotice[] = [];
  const unreachable: UnreachableNotice[] = [];
  const notifies: NotifyEvent[] = [];
  bearer.on('restart', (n: RestartNotice) => restarts.push(n as H248RestartNotice));
  bearer.on('unreachable', (n) => unreachable.push(n));
  controller.on('notify', (n) => notifies.push(n));
  const mg = fakeMg(net, clock);
  /** Runs virtual time until the promise settles. */
  async function settle<T>(p: Promise<T>, ms = 60_000): Promise<T> {
    let done = false;
    const out = p.finally(() => (done = true));
    for (let t = 0; t < ms && !done; t += 1) {
      clock.advance(1);
      await Promise.resolve();
      await Promise.resolve();
    }
    return out;
  }
  /** Runs virtual time for `ms`, letting promise continuations run as it goes. */
  async function run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  }
  return { clock, net, controller, bearer, mg, restarts, unreachable, notifies, settle, run };
}

describe('H.248 controller (virtual time)', () => {
  it('registers a configured gateway and answers its ServiceChange; refuses an unknown mId with 504', async () => {
    const s = setup();
    const reply = await s.settle(s.mg.serviceChange('restart'));
    expect(reply.actions[0].replies[0]).toEqual({ command: 'serviceChange', terminationId: 'ROOT' });
    expect(s.controller.status('mg1')).toMatchObject({ state: 'registered', peer: MG_ADDR, registrations: 1 });
    expect(s.restarts).toEqual([{ gateway: 'mg1', endpoint: '*@tgw1', method: 'restart', terminationIds: ['ROOT'], connections: [], reason: '901 Cold Boot' }]);

    const stranger = fakeMg(s.net, s.clock, { address: '10.0.0.9', port: 2944 }, { kind: 'domain', name: 'rogue' });
    const refused = await s.settle(stranger.serviceChange('restart'));
    expect(refused.error).toMatchObject({ code: 504 });
  });

  it('accepts unknown gateways when told to, and refuses a known mId from another address', async () => {
    const s = setup({ acceptUnknownGateways: true }, { address: '10.0.0.99' });
    const r = await s.settle(s.mg.serviceChange('restart'));
    expect(r.error).toMatchObject({ code: 504 });
    const other = fakeMg(s.net, s.clock, { address: '10.0.0.9', port: 2944 }, { kind: 'domain', name: 'mg9' });
    await s.settle(other.serviceChange('restart'));
    expect(s.controller.status('<mg9>')).toMatchObject({ state: 'registered' });
  });

  it('sends commands where ServiceChangeAddress says, and answers a higher version with the one it speaks (§11.3)', async () => {
    const s = setup();
    const elsewhere = fakeMg(s.net, s.clock, { address: '10.0.0.2', port: 3000 });
    const reply = await s.settle(s.mg.serviceChange('restart', 'ROOT', { address: 3000, version: 2 }));
    expect(reply.actions[0].replies[0]).toEqual({ command: 'serviceChange', terminationId: 'ROOT', params: { version: 1 } });
    expect(s.controller.status('mg1')).toMatchObject({ peer: { address: '10.0.0.2', port: 3000 }, version: 1 });
    await s.settle(s.bearer.auditEndpoint('tdm/1/1@tgw1'));
    expect(elsewhere.requests).toHaveLength(1);
    expect(s.mg.requests).toHaveLength(0);
  });

  it('agrees version 3 with a gateway configured for it (segmentation), and writes to it in version 3', async () => {
    const s = setup({}, { maxVersion: 3 });
    const reply = await s.settle(s.mg.serviceChange('restart', 'ROOT', { version: 3 }));
    expect(reply.actions[0].replies[0]).toEqual({ command: 'serviceChange', terminationId: 'ROOT', params: { version: 3 } });
    expect(s.controller.status('mg1')).toMatchObject({ state: 'registered', version: 3 });
    await s.settle(s.bearer.auditEndpoint('tdm/1/1@tgw1'));
    expect(s.mg.requests.map((r) => r.version)).toEqual([3]);
    // Offered more than it is configured for, it agrees 3.
    const again = await s.settle(s.mg.serviceChange('restart', 'ROOT', { version: 4 }));
    expect(again.actions[0].replies[0]).toMatchObject({ params: { version: 3 } });
  });

  it('answers Notify and reports it; refuses commands that go MGC→MG only with 443', async () => {
    const s = setup();
    await s.settle(s.mg.serviceChange('restart'));
    const r = await s.settle(
      s.mg.send([
        {
          contextId: 5,
          commands: [{ command: 'notify', terminationId: 'tdm/1/1', observedEvents: { type: 'observedEvents', requestId: 12, events: [{ name: 'al/of', params: [] }] } }],
        },
        { contextId: '$', commands: [{ command: 'add', terminationId: 'tdm/1/2', descriptors: [] }] },
      ]),
    );
    expect(r.actions[0]).toEqual({ contextId: 5, replies: [{ command: 'notify', terminationId: 'tdm/1/1' }] });
    expect(r.actions[1].error).toMatchObject({ code: 443 });
    expect(s.notifies).toEqual([{ gateway: 'mg1', contextId: 5, terminationId: 'tdm/1/1', requestId: 12, events: [{ name: 'al/of', params: [] }] }]);
  });

  it('gives up requests outstanding when the gateway restarts, without counting it unreachable', async () => {
    const s = setup();
    await s.settle(s.mg.serviceChange('restart'));
    s.net.silent.add('10.0.0.2:2944');
    const pending = s.bearer.auditEndpoint('tdm/1/1@tgw1').catch((e: unknown) => e);
    await s.run(100);
    s.net.silent.clear();
    await s.settle(s.mg.serviceChange('restart'));
    expect(await pending).toMatchObject({ kind: 'unreachable', text: expect.stringMatching(/re-registered/) });
    expect(s.unreachable).toEqual([]);
    expect(s.controller.status('mg1')).toMatchObject({ state: 'registered', registrations: 2 });
  });

  it('audits a silent gateway and reports it unreachable when the audit goes unanswered; a ServiceChange brings it back', async () => {
    const s = setup({ inactivityAuditMs: 10_000 });
    await s.settle(s.mg.serviceChange('restart'));
    // (the MG's acknowledgement of our reply, 100 ms later, counts as hearing from it)
    await s.run(10_200);
    expect(s.mg.requests.map((r) => r.request.actions[0].commands[0])).toEqual([{ command: 'auditValue', terminationId: 'ROOT', audit: [] }]);
    s.net.silent.add('10.0.0.2:2944');
    await s.run(20_000);
    expect(s.unreachable).toEqual([{ gateway: 'mg1', endpoint: '*@tgw1' }]);
    expect(s.controller.status('mg1')?.state).toBe('unreachable');
    await expect(s.settle(s.bearer.auditEndpoint('tdm/1/1@tgw1'))).rejects.toMatchObject({ kind: 'unreachable' });
    s.net.silent.clear();
    await s.settle(s.mg.serviceChange('restart'));
    expect(s.controller.status('mg1')?.state).toBe('registered');
  });
});

describe('H.248 bearer port (virtual time)', () => {
  const addReply = (ctx: number, sdp: string) => (req: IncomingRequest): RequestAnswer => {
    const a = req.request.actions[0];
    if (a.commands[0].command !== 'add') return { actions: [{ contextId: a.contextId, replies: a.commands.map((c) => ({ command: 'subtract' as const, terminationId: c.terminationId })) }] };
    return {
      actions: [
        {
          contextId: ctx,
          replies: [
            { command: 'add', terminationId: a.commands[0].terminationId },
            { command: 'add', terminationId: 'rtp/9', audit: [{ type: 'media', streams: [{ id: 1, local: sdp }] }] },
          ],
        },
      ],
    };
  };

  it('routes endpoints by domain and refuses what H.248 cannot name', async () => {
    const s = setup();
    await expect(s.bearer.createConnection({ endpoint: 'tdm/1/1@nowhere', callId: 'x', mode: 'sendrecv' })).rejects.toMatchObject({ kind: 'unknown-gateway' });
    await expect(s.bearer.createConnection({ endpoint: 'ds/ds1-1/1@tgw1', callId: 'x', mode: 'sendrecv' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(s.bearer.createConnection({ endpoint: 'ROOT@tgw1', callId: 'x', mode: 'sendrecv' })).rejects.toMatchObject({ kind: 'invalid' });
    // Not registered yet: nowhere to send.
    await expect(s.bearer.createConnection({ endpoint: 'tdm/1/1@tgw1', callId: 'x', mode: 'sendrecv' })).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('builds the context with one Add each for the TDM and the ephemeral RTP termination, and returns the MG\'s SDP', async () => {
    const s = setup();
    await s.settle(s.mg.serviceChange('restart'));
    s.mg.answerWith(addReply(42, 'v=0\nc=IN IP4 10.0.0.2\nm=audio 5004 RTP/AVP 8'));
    const c = await s.settle(s.bearer.createConnection({ endpoint: 'tdm/1/$@tgw1', callId: 'c1', mode: 'recvonly', remoteSdp: 'v=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 4000 RTP/AVP 8\r\n' }));
    expect(c).toEqual({
      endpoint: 'tdm/1/$@tgw1',
      connectionId: '42.1',
      callId: 'c1',
      mode: 'recvonly',
      gateway: 'mg1',
      localSdp: 'v=0\r\nc=IN IP4 10.0.0.2\r\nm=audio 5004 RTP/AVP 8\r\n',
    });
    const sent = s.mg.requests[0].request.actions[0];
    expect(sent.contextId).toBe('$');
    expect(sent.commands).toEqual([
      { command: 'add', terminationId: 'tdm/1/$', descriptors: [] },
      {
        command: 'add',
        terminationId: '$',
        descriptors: [
          {
            type: 'media',
            streams: [{ id: 1, localControl: { mode: 'recvOnly' }, local: 'v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 8 0', remote: 'v=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 4000 RTP/AVP 8' }],
          },
        ],
      },
    ]);
    await s.settle(s.bearer.deleteConnection(c));
    expect(s.mg.requests[1].request.actions[0]).toEqual({
      contextId: 42,
      commands: [
        { command: 'subtract', terminationId: 'tdm/1/$' },
        { command: 'subtract', terminationId: 'rtp/9' },
      ],
    });
    expect(s.bearer.connectionCount).toBe(0);
  });

  it('passes the MG\'s refusals on with their H.248 error codes; 411 on Subtract means already gone', async () => {
    const s = setup();
    await s.settle(s.mg.serviceChange('restart'));
    s.mg.answerWith(() => ({ actions: [{ contextId: '$', replies: [], error: { type: 'error', code: 510, text: 'Insufficient resources' } }] }));
    await expect(s.settle(s.bearer.createConnection({ endpoint: 'tdm/1/1@tgw1', callId: 'x', mode: 'sendrecv' }))).rejects.toMatchObject({
      kind: 'rejected',
      code: 510,
      gateway: 'mg1',
    });
    s.mg.answerWith(() => ({ error: { type: 'error', code: 403, text: 'Syntax error in transaction request' } }));
    await expect(s.settle(s.bearer.createConnection({ endpoint: 'tdm/1/1@tgw1', callId: 'x', mode: 'sendrecv' }))).rejects.toMatchObject({ kind: 'rejected', code: 403 });
    s.mg.answerWith(addReply(3, 'v=0'));
    const c = await s.settle(s.bearer.createConnection({ endpoint: 'tdm/1/1@tgw1', callId: 'x', mode: 'sendrecv' }));
    s.mg.answerWith(() => ({ actions: [{ contextId: 3, replies: [], error: { type: 'error', code: 411, text: 'unknown context' } }] }));
    await s.settle(s.bearer.deleteConnection(c));
    expect(s.bearer.connectionCount).toBe(0);
  });

  it('takes a Failover registration (an MG moving to us from another MGC) without dropping its calls', async () => {
    const s = setup();
    await s.settle(s.mg.serviceChange('restart'));
    s.mg.answerWith(addReply(9, 'v=0'));
    const c = await s.settle(s.bearer.createConnection({ endpoint: 'tdm/1/1@tgw1', callId: 'f1', mode: 'sendrecv' }));
    await s.settle(s.mg.serviceChange('failover'));
    expect(s.restarts.at(-1)).toMatchObject({ method: 'failover', connections: [{ callId: 'f1', connectionId: c.connectionId }] });
    expect(s.controller.status('mg1')).toMatchObject({ state: 'registered', registrations: 2 });
    expect(s.bearer.connectionCount).toBe(1);
  });

  it('reports Graceful with its delay and keeps the calls; Forced on ROOT drops them all', async () => {
    const s = setup();
    await s.settle(s.mg.serviceChange('restart'));
    s.mg.answerWith(addReply(8, 'v=0'));
    const c = await s.settle(s.bearer.createConnection({ endpoint: 'tdm/1/1@tgw1', callId: 'g1', mode: 'sendrecv' }));
    await s.settle(s.mg.serviceChange('graceful', 'ROOT', { delay: 30 }));
    expect(s.restarts.at(-1)).toMatchObject({ method: 'graceful', delaySeconds: 30, connections: [{ callId: 'g1', connectionId: c.connectionId }] });
    expect(s.bearer.connectionCount).toBe(1);
    expect(s.controller.status('mg1')?.state).toBe('out-of-service');
    await s.settle(s.mg.serviceChange('forced'));
    expect(s.restarts.at(-1)).toMatchObject({ method: 'forced', endpoint: '*@tgw1', connections: [{ callId: 'g1' }] });
    expect(s.bearer.connectionCount).toBe(0);
  });
});
