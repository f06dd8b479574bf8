/**
 * Connections by id, as operators and templates see them. `postgres_default` means the
 * metadata database itself unless a connection of that id is defined, so the seed
 * pipeline's SQL runs with no set-up.
 */
import type { Executor } from '../transitions/sql.ts';
import { rows } from '../transitions/sql.ts';
import { UserInputError } from '../errors.ts';
import type { ConnectionView } from '../templating/index.ts';
import { openConnectionRow, viewOf, type StoredConnectionRow } from './stored-connection.ts';

export const METADATA_CONN_ID = 'postgres_default';

interface ConnectionRow {
  conn_id: string; conn_type: string; host: string | null; schema: string | null; login: string | null;
  password: string | null; port: number | null; extra: string | null;
}

/** `fernetKey` decrypts stored secrets (Config.fernetKey); without it, encrypted values cannot be read. */
export async function findConnection(db: Executor, connId: string, metadataUrl: string, fernetKey?: string): Promise<ConnectionView | undefined> {
  const [row] = await rows<StoredConnectionRow>(db, 'select * from connection where conn_id = ?', [connId]);
  // Stored secrets are decrypted with the caller's key (Config.fernetKey, UPDRAFT_FERNET_KEY).
  if (row) return toView(openConnectionRow(row, fernetKey));
  return connId === METADATA_CONN_ID ? fromUrl(connId, metadataUrl) : undefined;
}

export async function getConnection(db: Executor, connId: string, metadataUrl: string, fernetKey?: string): Promise<ConnectionView> {
  const conn = await findConnection(db, connId, metadataUrl, fernetKey);
  if (!conn) throw new UserInputError(`connection "${connId}" is not defined`);
  return conn;
}

export function toView(row: ConnectionRow): ConnectionView {
  return viewOf(row);
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
