import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChild } from '../../src/util/log.js';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk))), cb()) });
  return { logger: pino({ level, base: undefined }, stream), lines };
}

describe('lazyChild', () => {
  it('logs with its bindings (and its own children’s) like child() does', () => {
    const { logger, lines } = capture('info');
    const call = lazyChild(logger, { callId: 'c1' });
    call.info({ step: 1 }, 'answered');
    call.child({ cic: 7 }).warn('circuit reset');
    lazyChild(call, { leg: 'b' }).error('refused');
    expect(lines.map(({ time: _t, pid: _p, hostname: _h, ...rest }) => rest)).toEqual([
      { level: 30, callId: 'c1', step: 1, msg: 'answered' },
      { level: 40, callId: 'c1', cic: 7, msg: 'circuit reset' },
      { level: 50, callId: 'c1', leg: 'b', msg: 'refused' },
    ]);
  });

  it('builds no pino child while nothing is logged at an enabled level, and follows the parent’s level', () => {
    const { logger, lines } = capture('warn');
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((b: Record<string, unknown>, o?: object) => (children++, child(b, o))) as typeof logger.child;
    const call = lazyChild(logger, { callId: 'c2' });
    call.info('not logged');
    call.debug('not logged');
    expect(children).toBe(0);
    logger.level = 'info';
    call.info('now logged');
    call.info('again');
    expect(children).toBe(1);
    expect(lines.map((l) => [l.callId, l.msg])).toEqual([
      ['c2', 'now logged'],
      ['c2', 'again'],
    ]);
  });
});
