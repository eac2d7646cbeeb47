/** Bound counter label sets (src/util/bound-counter.ts): additions that the counter shows when read, beside plain inc(). */
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { bindCounter, BoundCounters } from '../../src/util/bound-counter.js';

describe('bound counters', () => {
  it('adds on inc() and shows the sums at every read, with plain increments and an existing collect hook', async () => {
    const registry = new Registry();
    let collected = 0;
    const c = new Counter({ name: 'test_bound_total', help: 'h', labelNames: ['kind'] as const, registers: [registry], collect: () => void collected++ });
    const a = bindCounter(c, { kind: 'a' });
    const b = bindCounter(c, { kind: 'b' });
    a.inc();
    a.inc(2);
    c.inc({ kind: 'a' });
    b.inc();
    expect(await registry.metrics()).toMatch(/^test_bound_total\{kind="a"\} 4$/m);
    expect(await registry.metrics()).toMatch(/^test_bound_total\{kind="b"\} 1$/m);
    a.inc();
    const v = (await c.get()).values.find((x) => x.labels.kind === 'a')!.value;
    expect(v).toBe(5);
    expect(collected).toBe(3);
  });

  it('binds each key once, on first use', async () => {
    const c = new Counter({ name: 'test_bound_keys_total', help: 'h', labelNames: ['class', 'direction'] as const, registers: [] });
    const set = new BoundCounters(c);
    let made = 0;
    for (let i = 0; i < 5; i++) set.get('2xxsent', () => (made++, { class: '2xx', direction: 'sent' })).inc();
    set.get('5xxsent', () => (made++, { class: '5xx', direction: 'sent' })).inc();
    expect(made).toBe(2);
    const values = (await c.get()).values.map((x) => [x.labels.class, x.value]);
    expect(values).toEqual([['2xx', 5], ['5xx', 1]]);
  });
});
