/**
 * Component logs (not task logs, which go to PostgreSQL): pino. Pretty lines when a
 * person watches a terminal, JSON lines otherwise (to ship anywhere);
 * UPDRAFT_LOG_FORMAT=pretty|json decides explicitly.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(component: string, level = 'info'): Logger {
  const format = process.env.UPDRAFT_LOG_FORMAT;
  const pretty = format === 'pretty' || (format !== 'json' && process.stdout.isTTY === true);
  return pino({
    name: component,
    level,
    base: { component },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,component' } } } : {}),
  });
}
