/**
 * The watched DID targets changed at run time (provisioning): a new target is probed from the next
 * round, a removed one is forgotten (state and metric), the others keep their state; probing starts
 * when the first target arrives at a switch that had none.
 */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { TargetHealth } from '../../../src/class4/trunks/target-health.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

describe('DID target health, targets set at run time', () => {
  it('probes targets added later, forgets removed ones, keeps the state of the others', async () => {
    const clock = new VirtualClock(0);
    const probed: string[] = [];
    const answers = new Map<string, number>([['sip:a:5060', 408]]);
    const registry = new Registry();
    const h = new TargetHealth([], async (uri) => (probed.push(uri), answers.get(uri) ?? 200), clock, silentLogger, 1000, 1, registry);
    h.start();
    expect(probed).toEqual([]);
    h.setTargets(['sip:a:5060']);
    await Promise.resolve();
    await Promise.resolve();
    expect(probed).toEqual(['sip:a:5060']);
    expect(h.isUp('sip:a:5060')).toBe(false);
    h.setTargets(['sip:a:5060', 'sip:b:5060']);
    expect(h.isUp('sip:a:5060')).toBe(false);
    clock.advance(1000);
    await Promise.resolve();
    expect(probed.slice(1).sort()).toEqual(['sip:a:5060', 'sip:b:5060']);
    h.setTargets(['sip:b:5060']);
    expect(h.status()).toEqual([{ target: 'sip:b:5060', up: true }]);
    expect(JSON.stringify(await registry.getMetricsAsJSON())).not.toContain('sip:a:5060');
    h.stop();
  });
});
