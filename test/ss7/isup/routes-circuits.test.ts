import { EventEmitter } from 'node:events';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { circuitRoutes } from '../../../src/api/routes-circuits.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { CircuitGroup } from '../../../src/ss7/isup/circuits.js';
import { decodeIsup, encodeIsup } from '../../../src/ss7/isup/codec.js';
import { isIsupError, type IsupMessage } from '../../../src/ss7/isup/messages.js';
import { IsupService } from '../../../src/ss7/isup/service.js';
import type { MtpTransferData, MtpTransferLink } from '../../../src/ss7/mtp3/transfer.js';

class Far extends EventEmitter implements MtpTransferLink {
  sent: IsupMessage[] = [];
  sendTransfer(pd: MtpTransferData): boolean {
    const m = decodeIsup(pd.data, 'itu');
    if (!isIsupError(m)) this.sent.push(m);
    // Answer CQM at once, as a far end would.
    if (!isIsupError(m) && m.type === 'CQM') {
      queueMicrotask(() =>
        this.emit('transfer', { opc: 200, dpc: 100, si: 5, ni: 2, mp: 0, sls: 0, data: encodeIsup({ type: 'CQR', cic: m.cic, rangeAndStatus: { range: 1 }, circuitState: Buffer.from([0x0d, 0x0f]) }, 'itu') }),
      );
    }
    return true;
  }
  canReach(): boolean {
    return true;
  }
}

describe('operator circuit routes (not wired into the app)', () => {
  it('block, query, remote query, reset and 404s', async () => {
    const far = new Far();
    const circuits = new CircuitGroup({ id: 'tg', firstCic: 1, count: 8, ownPointCode: 100, farPointCode: 200 });
    const isup = new IsupService({ link: far, ownPointCode: 100, networkIndicator: 2, trunkGroups: [{ id: 'tg', variant: 'itu', farPointCode: 200, circuits }], clock: new VirtualClock() });
    const app = Fastify();
    await app.register(circuitRoutes, { isup });
    let r = await app.inject({ method: 'POST', url: '/api/v1/isup/trunk-groups/tg/circuits/3/block', payload: {} });
    expect(r.statusCode).toBe(202);
    expect(r.json().circuits[0]).toMatchObject({ cic: 3, localMaintenanceBlocked: true, pending: ['BLO'] });
    r = await app.inject({ method: 'POST', url: '/api/v1/isup/trunk-groups/tg/circuits/1/block', payload: { count: 4, hardware: true } });
    expect(far.sent.map((m) => m.type)).toEqual(['BLO', 'CGB']);
    r = await app.inject({ method: 'GET', url: '/api/v1/isup/trunk-groups/tg/circuits?cic=3&count=2' });
    expect(r.json().map((c: { cic: number }) => c.cic)).toEqual([3, 4]);
    r = await app.inject({ method: 'GET', url: '/api/v1/isup/trunk-groups/tg/circuits/5/remote?count=2' });
    expect(r.json()).toEqual([
      { cic: 5, call: 'idle', maintenance: { local: true, remote: false }, hardware: { local: false, remote: false } },
      { cic: 6, call: 'idle', maintenance: { local: true, remote: true }, hardware: { local: false, remote: false } },
    ]);
    r = await app.inject({ method: 'POST', url: '/api/v1/isup/trunk-groups/tg/reset' });
    expect(r.statusCode).toBe(202);
    expect(far.sent.at(-1)).toMatchObject({ type: 'GRS', cic: 1, rangeAndStatus: { range: 7 } });
    r = await app.inject({ method: 'GET', url: '/api/v1/isup/trunk-groups' });
    expect(r.json()[0]).toMatchObject({ id: 'tg', total: 8, outOfService: 8 });
    expect((await app.inject({ method: 'POST', url: '/api/v1/isup/trunk-groups/nope/reset' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/v1/isup/trunk-groups/tg/circuits/99/reset', payload: {} })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/v1/isup/trunk-groups/tg/circuits/x/reset', payload: {} })).statusCode).toBe(400);
    isup.close();
    await app.close();
  });
});
