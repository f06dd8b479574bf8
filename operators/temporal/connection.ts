/**
 * Which Temporal server (frontend address and namespace) an operator talks to, and a
 * short-lived client for one task's work.
 *
 * A connection (`temporal_conn_id`, connection type `temporal`) gives the address in
 * `host` ("host:port", or a host with the connection's `port`, default 7233) and the
 * namespace in `extra.namespace` (default "default"). Without temporal_conn_id, the
 * connection `temporal_default` is used when defined, else UPDRAFT_TEMPORAL_ADDRESS and
 * UPDRAFT_TEMPORAL_NAMESPACE (the config's temporalAddress/temporalNamespace: a task
 * context carries no config), else the project's dev server on 127.0.0.1:17233.
 */
import { Client, Connection } from '@temporalio/client';
import type { TaskContext } from '../../core/authoring/context.ts';
import type { ConnectionView } from '../../core/templating/index.ts';

export const DEFAULT_TEMPORAL_CONN_ID = 'temporal_default';
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:17233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';
/** Temporal's own default frontend port, for a connection that gives a host without one. */
const DEFAULT_TEMPORAL_PORT = 7233;
/** Failing fast beats the SDK's default when the server is down: the task's retries take over. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface TemporalTarget {
  address: string;
  namespace: string;
}

export function targetOf(conn: ConnectionView): TemporalTarget {
  const host = (conn.host ?? '').trim();
  if (!host) throw new Error(`connection "${conn.conn_id}" has no host: give the Temporal frontend as host ("127.0.0.1:7233")`);
  const namespace = conn.extra.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || !namespace)) {
    throw new Error(`connection "${conn.conn_id}": extra.namespace must be a non-empty string`);
  }
  return {
    address: host.includes(':') ? host : `${host}:${conn.port ?? DEFAULT_TEMPORAL_PORT}`,
    namespace: namespace ?? DEFAULT_TEMPORAL_NAMESPACE,
  };
}

export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  return {
    address: env.UPDRAFT_TEMPORAL_ADDRESS || DEFAULT_TEMPORAL_ADDRESS,
    namespace: env.UPDRAFT_TEMPORAL_NAMESPACE || DEFAULT_TEMPORAL_NAMESPACE,
  };
}

export async function resolveTemporalTarget(ctx: TaskContext, connId: string | undefined): Promise<TemporalTarget> {
  if (connId) return targetOf(await ctx.getConnection(connId));
  try {
    return targetOf(await ctx.getConnection(DEFAULT_TEMPORAL_CONN_ID));
  } catch (err) {
    // Only "not defined" falls back; a defined but broken temporal_default is the user's error.
    if (!/is not defined/.test((err as Error).message)) throw err;
    return targetFromEnv();
  }
}

/**
 * Run `work` with a client of `target`, closing the connection afterwards: a task holds
 * no Temporal connection beyond its own execution (one gRPC channel per task is cheap
 * next to the workflow it waits for).
 */
export async function withTemporalClient<T>(target: TemporalTarget, work: (client: Client) => Promise<T>): Promise<T> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: target.address, connectTimeout: CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw new Error(`cannot reach the Temporal server at ${target.address}: ${(err as Error).message}`);
  }
  try {
    return await work(new Client({ connection, namespace: target.namespace }));
  } finally {
    await connection.close().catch(() => undefined);
  }
}
