import { describe, expect, it } from 'vitest';
import { LIFECYCLE, lifecycleStep, type LifecycleConfig, type LifecycleContext, type LifecycleEvent } from '../../../src/ss7/sctp/lifecycle-fsm.js';

const active: LifecycleConfig = { passive: false, maxAttempts: 3, setupTimeoutMs: 100, closeTimeoutMs: 500 };
const passive: LifecycleConfig = { ...active, passive: true };

function run(cfg: LifecycleConfig, events: LifecycleEvent[], from: LifecycleContext = { state: 'idle', attempts: 0 }) {
  let ctx = from;
  const actions: string[] = [];
  for (const ev of events) {
    const step = lifecycleStep(ctx, ev, cfg);
    ctx = step.next;
    actions.push(...step.actions.map((a) => a.type));
  }
  return { ctx, actions };
}

describe('SCTP life cycle machine', () => {
  it('retries INIT on each set-up timeout with a fresh association, and gives up after maxAttempts', () => {
    const { ctx, actions } = run(active, [{ type: 'START_ACTIVE' }, { type: 'SETUP_TIMEOUT' }, { type: 'SETUP_TIMEOUT' }, { type: 'SETUP_TIMEOUT' }]);
    expect(ctx).toEqual({ state: 'down', attempts: 3 });
    expect(actions.filter((a) => a === 'associate')).toHaveLength(3);
    expect(actions.slice(-4)).toEqual(['discard-attempt', 'notify-setup-failed', 'notify-down', 'release']);
  });

  it('comes up on COMMUNICATION UP and stops the set-up timer', () => {
    const { ctx, actions } = run(active, [{ type: 'START_ACTIVE' }, { type: 'SETUP_TIMEOUT' }, { type: 'COMM_UP' }]);
    expect(ctx).toEqual({ state: 'up', attempts: 2 });
    expect(actions.slice(-2)).toEqual(['stop-timer', 'notify-up']);
  });

  it('close sends SHUTDOWN under a timer; the timer ending means ABORT', () => {
    const { ctx, actions } = run(active, [{ type: 'CLOSE_REQ' }, { type: 'CLOSE_TIMEOUT' }], { state: 'up', attempts: 1 });
    expect(ctx.state).toBe('down');
    expect(actions).toEqual(['start-timer', 'shutdown', 'stop-timer', 'abort', 'notify-down', 'release']);
  });

  it('close completes on SHUTDOWN COMPLETE without ABORT', () => {
    const { ctx, actions } = run(active, [{ type: 'CLOSE_REQ' }, { type: 'SHUTDOWN_COMPLETE' }, { type: 'CLOSE_TIMEOUT' }], { state: 'up', attempts: 1 });
    expect(ctx.state).toBe('down');
    expect(actions).not.toContain('abort');
  });

  it('a lost association: active side ends, passive side listens again', () => {
    expect(run(active, [{ type: 'COMM_LOST', reason: 'x' }], { state: 'up', attempts: 1 }).ctx.state).toBe('down');
    const p = run(passive, [{ type: 'START_PASSIVE' }, { type: 'COMM_UP' }, { type: 'COMM_LOST', reason: 'x' }, { type: 'COMM_UP' }]);
    expect(p.ctx.state).toBe('up');
    expect(p.actions.filter((a) => a === 'notify-up')).toHaveLength(2);
  });

  it('ignores events a state does not accept, and every handler lands in a declared state', () => {
    expect(run(active, [{ type: 'COMM_UP' }]).ctx.state).toBe('idle');
    const states = Object.keys(LIFECYCLE);
    for (const [state, handlers] of Object.entries(LIFECYCLE)) {
      for (const [type, handler] of Object.entries(handlers)) {
        const ev = { type, reason: 'r' } as LifecycleEvent;
        const step = handler!({ state: state as LifecycleContext['state'], attempts: 1 }, ev, active);
        expect(states).toContain(step.next.state);
      }
    }
  });
});
