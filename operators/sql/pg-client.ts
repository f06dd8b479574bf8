/**
 * A PostgreSQL client for one task execution, from an Airflow-style connection, that
 * is cancelled when the task's signal aborts (timeout, stopping worker): the running
 * statement is cancelled server-side with pg_cancel_backend from a second connection,
 * then the client is closed. The client is always closed when the work ends, so a
 * task leaves no connection behind.
 */
import pg from 'pg';
import type { ConnectionView } from '../../core/templating/index.ts';

const POSTGRES_TYPES = new Set(['postgres', 'postgresql', 'pg']);

export function clientConfig(conn: ConnectionView): pg.ClientConfig {
  if (!POSTGRES_TYPES.has(conn.conn_type.toLowerCase())) {
    throw new Error(`connection "${conn.conn_id}" has conn_type "${conn.conn_type}"; this operator needs a "postgres" connection`);
  }
  const extra = conn.extra;
  const sslmode = typeof extra.sslmode === 'string' ? extra.sslmode : null;
  return {
    host: conn.host ?? undefined,
    port: conn.port ?? undefined,
    database: conn.schema ?? undefined,
    user: conn.login ?? undefined,
    password: conn.password ?? undefined,
    application_name: 'updraft-task',
    ssl: sslmode && sslmode !== 'disable' && sslmode !== 'allow' && sslmode !== 'prefer'
      ? { rejectUnauthorized: sslmode === 'verify-full' || sslmode === 'verify-ca' } : undefined,
    connectionTimeoutMillis: 30_000,
  };
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('task aborted');
}

/** Run `fn` with a connected client; cancel on abort; always close the client. */
export async function withPgClient<T>(conn: ConnectionView, signal: AbortSignal, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const config = clientConfig(conn);
  if (signal.aborted) throw abortError(signal);
  const client = new pg.Client(config);
  // A connection error after connect (server restart) must not crash the process.
  client.on('error', () => undefined);
  await client.connect();
  if (signal.aborted) { await client.end().catch(() => undefined); throw abortError(signal); }
  const state: { cancelling: Promise<void> | null } = { cancelling: null };
  const onAbort = () => {
    state.cancelling = cancelBackend(config, (client as unknown as { processID?: number }).processID)
      .finally(() => client.end().catch(() => undefined));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await fn(client);
    if (signal.aborted) throw abortError(signal);
    return result;
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (state.cancelling) await state.cancelling;
    else await client.end().catch(() => undefined);
  }
}

async function cancelBackend(config: pg.ClientConfig, pid: number | undefined): Promise<void> {
  if (!pid) return;
  const canceller = new pg.Client({ ...config, application_name: 'updraft-cancel' });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('select pg_cancel_backend($1)', [pid]);
  } catch {
    // Closing the task's connection below ends its statement anyway, at the latest when the server notices.
  } finally {
    await canceller.end().catch(() => undefined);
  }
}
