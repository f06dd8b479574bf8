/**
 * Which Kafka brokers an extract talks to. A connection (`kafka_conn_id`) lists them in
 * `host` ("h1:9092,h2:9092", or one host with the connection's `port`). Without
 * kafka_conn_id, the connection `kafka_default` is used when defined, else
 * UPDRAFT_KAFKA_BROKERS (the config's kafkaBrokers; a task context carries no config),
 * else the project's own broker on 127.0.0.1:19092.
 */
import type { TaskContext } from '../../core/authoring/context.ts';
import type { ConnectionView } from '../../core/templating/index.ts';

export const DEFAULT_KAFKA_CONN_ID = 'kafka_default';
export const DEFAULT_BROKERS = '127.0.0.1:19092';

export function brokersOf(conn: ConnectionView): string[] {
  const host = (conn.host ?? '').trim();
  if (!host) throw new Error(`connection "${conn.conn_id}" has no host: give the brokers as host ("h1:9092,h2:9092")`);
  return host.split(',').map((h) => h.trim()).filter(Boolean)
    .map((h) => (h.includes(':') ? h : `${h}:${conn.port ?? 9092}`));
}

export function brokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.UPDRAFT_KAFKA_BROKERS || DEFAULT_BROKERS).split(',').map((s) => s.trim()).filter(Boolean);
}

export async function resolveBrokers(ctx: TaskContext, connId: string | undefined): Promise<string[]> {
  if (connId) return brokersOf(await ctx.getConnection(connId));
  try {
    return brokersOf(await ctx.getConnection(DEFAULT_KAFKA_CONN_ID));
  } catch (err) {
    // Only "not defined" falls back; a defined but broken kafka_default is the user's error.
    if (!/is not defined/.test((err as Error).message)) throw err;
    return brokersFromEnv();
  }
}
