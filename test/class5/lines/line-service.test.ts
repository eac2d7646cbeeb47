/**
 * The line runner in virtual time: timers on an injected clock, notifications correlated by X:,
 * a gateway that refuses a request tried again, a restart starting the line again. The call agent
 * is an in-memory stand-in recording the requests (the wire is judged in test/e2e/mgcp-line.test.ts).
 */
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LineService } from '../../../src/class5/lines/line-service.js';
import { linesDefaultsSchema } from '../../../src/class5/lines/config.js';
import type { NotificationRequest } from '../../../src/mgcp/mgcp/call-agent.js';
import { MgcpError } from '../../../src/mgcp/mgcp/errors.js';
import { response } from '../../../src/mgcp/mgcp/messages.js';
import type { BearerPort } from '../../../src/mgcp/bearer-port.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

const EP = 'aaln/1@rgw';
const flush = () => new Promise((r) => setImmediate(r));

function rig(opts: { refuseFirst?: boolean } = {}) {
  const clock = new VirtualClock();
  const sent: NotificationRequest[] = [];
  const agent = Object.assign(new EventEmitter(), {
    notificationRequest: async (_peer: unknown, req: NotificationRequest) => {
      sent.push(req);
      if (opts.refuseFirst && sent.length === 1) throw new MgcpError('timeout', undefined, 'no answer');
      return response(200, 1, 'OK');
    },
  });
  const registry = new Registry();
  const placed: string[] = [];
  const svc = new LineService({
    agent: agent as never,
    peerOf: () => ({ name: 'rgw', peer: { address: '127.0.0.1', port: 2427 } }),
    bearer: {} as BearerPort,
    clock,
    logger: silentLogger,
    registry,
    lines: [{ endpoint: EP, tenant: 'acme', extension: '1001', digitMap: '(xxxx)' }],
    defaults: linesDefaultsSchema.parse({ permanentSignalS: 20, retryS: 5 }),
    placeCall: (_l, dialled) => (placed.push(dialled), { refused: 1 }),
  });
  const ntfy = (o: string, requestId = sent.at(-1)!.requestId) => agent.emit('notify', { from: { address: '127.0.0.1', port: 2427 }, gateway: 'rgw', endpoint: EP, requestId, observedEvents: o });
  return { clock, sent, svc, ntfy, registry, placed, agent };
}

describe('line service (virtual time)', () => {
  it('off-hook without dialling: reorder after the permanent-signal time, not before', async () => {
    const r = rig();
    r.svc.start();
    await flush();
    r.ntfy('L/hd');
    await flush();
    expect(r.sent.at(-1)).toMatchObject({ signalRequests: 'L/dl', digitMap: '(xxxx)', quarantine: 'process,loop' });
    r.clock.advance(19_999);
    await flush();
    expect(r.svc.stateOf(EP)).toBe('dialing');
    r.clock.advance(1);
    await flush();
    expect(r.sent.at(-1)).toMatchObject({ signalRequests: 'L/ro', requestedEvents: 'L/hu(N)' });
    expect(r.svc.stateOf(EP)).toBe('lockout');
  });

  it('a notification with an older X: is ignored; digits with the current one are dialled; a refused call gets reorder', async () => {
    const r = rig();
    r.svc.start();
    await flush();
    const first = r.sent[0].requestId;
    r.ntfy('L/hd');
    await flush();
    r.ntfy('L/hu', first);
    expect(r.svc.stateOf(EP)).toBe('dialing');
    r.ntfy('D/1,D/0,D/0,D/2');
    await flush();
    expect(r.placed).toEqual(['1002']);
    expect(r.sent.at(-1)!.signalRequests).toBe('L/ro');
    expect(await r.registry.getSingleMetricAsString('softswitch_line_notifications_total')).toMatch(/result="stale-request"\} 1/);
    r.svc.close();
  });

  it('a gateway that did not take the first request is asked again after retryS; a restart (RSIP) starts the line again', async () => {
    const r = rig({ refuseFirst: true });
    r.svc.start();
    await flush();
    expect(r.sent.length).toBe(1);
    r.clock.advance(5000);
    await flush();
    expect(r.sent.length).toBe(2);
    expect(r.sent[1].requestedEvents).toBe('L/hd(N)');
    r.ntfy('L/hd');
    await flush();
    expect(r.svc.stateOf(EP)).toBe('dialing');
    r.agent.emit('restart', { from: { address: '127.0.0.1', port: 2427 }, gateway: 'rgw', endpoint: '*@rgw', method: 'restart' });
    await flush();
    expect(r.svc.stateOf(EP)).toBe('idle');
    expect(r.sent.at(-1)!.requestedEvents).toBe('L/hd(N)');
    expect(await r.registry.getSingleMetricAsString('softswitch_line_request_failures_total')).toMatch(/reason="timeout"\} 1/);
  });
});
