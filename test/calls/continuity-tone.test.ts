import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { EventEmitter } from 'node:events';
import { ContinuityEvery, ContinuityToneTester, toneOutcome, toneRequest } from '../../src/calls/continuity-tone.js';
import type { NotifyEvent } from '../../src/mgcp/mgcp/call-agent.js';
import { MgcpError } from '../../src/mgcp/mgcp/errors.js';
import { response } from '../../src/mgcp/mgcp/messages.js';
import { silentLogger } from '../../src/util/log.js';
import { systemClock } from '../../src/util/clock.js';

describe('continuity check tone (RFC 3660 trunk package)', () => {
  it('loopback sends T/co1 and waits for T/co1; the dual-tone procedure sends T/co1 and waits for the return tone T/co2', () => {
    expect(toneRequest('loopback')).toEqual({ signal: 'T/co1', events: 'T/co1(N), T/oc(N), T/of(N)' });
    expect(toneRequest('transponder')).toEqual({ signal: 'T/co1', events: 'T/co2(N), T/oc(N), T/of(N)' });
    expect(toneOutcome('T/co2', 'transponder')).toBe('passed');
    expect(toneOutcome('T/co1', 'transponder')).toBeUndefined();
  });

  it('outcomes: co1 back passes, oc (tone ran out) and of fail, other events say nothing, garbage fails', () => {
    expect(toneOutcome('T/co1')).toBe('passed');
    expect(toneOutcome('co1')).toBe('passed');
    expect(toneOutcome('T/oc')).toBe('failed');
    expect(toneOutcome('T/of')).toBe('failed');
    expect(toneOutcome('L/hd')).toBeUndefined();
    expect(toneOutcome('T/co1((')).toBe('failed');
  });

  it('every Nth IAM asks for a check, per trunk group; 0 never', () => {
    const e = new ContinuityEvery();
    expect([1, 2, 3, 4, 5, 6].map(() => e.next('a', 3))).toEqual([false, false, true, false, false, true]);
    expect(e.next('b', 1)).toBe(true);
    expect(e.next('c', 0)).toBe(false);
  });

  const agentWith = (reply: (req: { requestId: string; endpoint: string }) => NotifyEvent | Error | undefined) => {
    type Req = { requestId: string; endpoint: string; signalRequests?: string };
    const em = new EventEmitter() as EventEmitter & { notificationRequest: (peer: unknown, req: Req) => Promise<unknown> };
    const sent: Array<{ requestId: string; signalRequests?: string }> = [];
    em.notificationRequest = async (_peer: unknown, req: Req) => {
      sent.push(req);
      const r = sent.length === 1 ? reply(req) : undefined;
      if (r instanceof Error) throw r;
      if (r) setTimeout(() => em.emit('notify', r), 5);
      return response(200, 1, 'OK');
    };
    return { agent: em as never, sent };
  };
  const tester = (agent: never, timeoutMs = 500) =>
    new ContinuityToneTester({ agent, peerOf: (e) => (e.endsWith('@tgw') ? { name: 'tgw', peer: { address: '127.0.0.1', port: 2427 } } : undefined), clock: systemClock, logger: silentLogger, registry: new Registry(), timeoutMs });

  it('the tester: passes on T/co1 with its request id, ignores others, stops detection afterwards; fails on T/oc, timeout, refusal, unknown gateway', async () => {
    const ep = 'ds/ds1-1/5@tgw';
    const ok = agentWith((r) => ({ from: { address: '', port: 0 }, gateway: 'tgw', endpoint: r.endpoint, requestId: r.requestId, observedEvents: 'T/co1' }));
    expect(await tester(ok.agent).test(ep)).toBe(true);
    expect(ok.sent[0].signalRequests).toBe('T/co1');
    expect(ok.sent[1]).toMatchObject({ signalRequests: '', requestedEvents: '' });
    const other = agentWith((r) => ({ from: { address: '', port: 0 }, gateway: 'tgw', endpoint: r.endpoint, requestId: 'zzz', observedEvents: 'T/co1' }));
    expect(await tester(other.agent, 100).test(ep)).toBe(false);
    const ranOut = agentWith((r) => ({ from: { address: '', port: 0 }, gateway: 'tgw', endpoint: r.endpoint, requestId: r.requestId, observedEvents: 'T/oc' }));
    expect(await tester(ranOut.agent).test(ep)).toBe(false);
    const refused = agentWith(() => new MgcpError('rejected', 518, 'Unsupported or unknown package'));
    expect(await tester(refused.agent).test(ep)).toBe(false);
    expect(await tester(ok.agent).test('ds/1@elsewhere')).toBe(false);
  });
});
