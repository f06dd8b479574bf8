/**
 * Connections by id, as operators and templates see them. `postgres_default` means the
 * metadata database itself unless a connection of that id is defined, so the seed
 * pipeline's SQL runs with no set-up.
 */
import type { Executor } from '../transitions/sql.ts';
import { rows } from '../transitions/sql.ts';
import { UserInputError } from '../errors.ts';
import type { ConnectionView } from '../templating/index.ts';

export const METADATA_CONN_ID = 'postgres_default';

interface ConnectionRow {
  conn_id: string; conn_type: string; host: string | null; schema: string | null; login: string | null;
  password: string | null; port: number | null; extra: string | null;
}

export async function findConnection(db: Executor, connId: string, metadataUrl: string): Promise<ConnectionView | undefined> {
  const [row] = await rows<ConnectionRow>(db, 'select * from connection where conn_id = ?', [connId]);
  if (row) return toView(row);
  return connId === METADATA_CONN_ID ? fromUrl(connId, metadataUrl) : undefined;
}

export async function getConnection(db: Executor, connId: string, metadataUrl: string): Promise<ConnectionView> {
  const conn = await findConnection(db, connId, metadataUrl);
  if (!conn) throw new UserInputError(`connection "${connId}" is not defined`);
  return conn;
}

export function toView(row: ConnectionRow): ConnectionView {
  let extra: Record<string, unknown> = {};
  try { extra = row.extra ? (JSON.parse(row.extra) as Record<string, unknown>) : {}; } catch { /* not JSON: keep empty */ }
  return { conn_id: row.conn_id, conn_type: row.conn_type, host: row.host, schema: row.schema, login: row.login,
    password: row.password, port: row.port, extra };
}

/** A postgres:// URL as an Airflow-style connection (the database name is `schema`). */
export function fromUrl(connId: string, url: string): ConnectionView {
  const u = new URL(url);
  return {
    conn_id: connId, conn_type: 'postgres', host: u.hostname || null,
    schema: decodeURIComponent(u.pathname.replace(/^\//, '')) || null,
    login: u.username ? decodeURIComponent(u.username) : null,
    password: u.password ? decodeURIComponent(u.password) : null,
    port: u.port ? Number(u.port) : null, extra: {},
  };
}
