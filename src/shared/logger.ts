import pino, { Logger } from 'pino';
import type { LogLevel } from '../config/config';

export type { Logger } from 'pino';

/** Structured JSON logs on stdout. Secrets are redacted wherever they might be logged. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'catalog-sync', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['token', 'password', 'authorization', '*.token', '*.password', '*.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
