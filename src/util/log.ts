import { pino, type Logger } from 'pino';

export type { Logger };

/** The process's root logger; components take a child bound to their identity (callId, cic, endpoint). */
export function createLogger(level: string = process.env.SSW_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'softswitch' } });
}

/** A logger that writes nothing, for library use and tests that don't inspect logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
