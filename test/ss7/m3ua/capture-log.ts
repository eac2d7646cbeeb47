/** A pino logger whose records land in an array, for tests that assert what an operator would read. */
import { pino, type Logger } from 'pino';

export interface LogRecord {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export function captureLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { logger, records };
}

export const WARN = 40;
