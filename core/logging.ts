/**
 * Component logs (not task logs, which go to PostgreSQL): pino, JSON lines by default
 * so they can be shipped anywhere; pretty when UPDRAFT_LOG_FORMAT=pretty.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(component: string, level = 'info'): Logger {
  const pretty = process.env.UPDRAFT_LOG_FORMAT === 'pretty';
  return pino({
    name: component,
    level,
    base: { component },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,component' } } } : {}),
  });
}
