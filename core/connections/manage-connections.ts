/**
 * Adding, reading, listing and deleting connections (the `updraft connections` commands
 * and the worker's template loading). `password` and `extra` are encrypted with the
 * configured key, which every function takes explicitly (Config.fernetKey).
 */
import { UserInputError } from '../errors.ts';
import { parseFernetKeys } from '../secrets/fernet.ts';
import { sealValue } from '../secrets/stored-value.ts';
import type { ConnectionView } from '../templating/index.ts';
import { rows, type Executor } from '../transitions/sql.ts';
import type { ConnectionFields } from './connection-uri.ts';
import { lazyViewOf, openConnectionRow, parseExtra, type StoredConnectionRow } from './stored-connection.ts';

export interface NewConnection extends ConnectionFields {
  conn_id: string;
  description: string | null;
}

export interface ConnectionListing {
  conn_id: string; conn_type: string; description: string | null; host: string | null; port: number | null;
  schema: string | null; login: string | null; is_encrypted: boolean;
}

/** Insert a connection; an existing conn_id is an error (Airflow's `connections add`). */
export async function addConnection(db: Executor, c: NewConnection, fernetKey: string | undefined): Promise<void> {
  if (c.conn_id.trim() === '') throw new UserInputError('a conn_id cannot be empty');
  if (c.conn_type.trim() === '') throw new UserInputError(`connection "${c.conn_id}" needs a conn_type`);
  const keys = parseFernetKeys(fernetKey);
  const result = (await db.raw(`insert into connection
      (conn_id, conn_type, description, host, schema, login, password, port, extra, is_encrypted)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (conn_id) do nothing`,
  [c.conn_id, c.conn_type, c.description, c.host, c.schema, c.login, sealValue(c.password, keys), c.port,
    sealValue(c.extra, keys), keys !== undefined])) as { rowCount: number };
  if (result.rowCount === 0) throw new UserInputError(`a connection with conn_id "${c.conn_id}" already exists`);
}

/** True when it existed. */
export async function deleteConnection(db: Executor, connId: string): Promise<boolean> {
  const result = (await db.raw('delete from connection where conn_id = ?', [connId])) as { rowCount: number };
  return result.rowCount > 0;
}

/** Every connection without its secrets (nothing is decrypted). */
export async function listConnections(db: Executor): Promise<ConnectionListing[]> {
  return rows<ConnectionListing>(db, `select conn_id, conn_type, description, host, port, schema, login, is_encrypted
    from connection order by conn_id`);
}

/**
 * One stored connection with `password` and `extra` decrypted (`is_encrypted` still says
 * how it is stored); undefined when absent.
 */
export async function getStoredConnection(db: Executor, connId: string, fernetKey: string | undefined): Promise<StoredConnectionRow | undefined> {
  const [row] = await rows<StoredConnectionRow>(db, 'select * from connection where conn_id = ?', [connId]);
  return row ? { ...openConnectionRow(row, fernetKey), is_encrypted: row.is_encrypted } : undefined;
}

/** All connections for a template context; secrets are decrypted when first read. */
export async function loadTemplateConnections(db: Executor, fernetKey: string | undefined): Promise<ConnectionView[]> {
  return (await rows<StoredConnectionRow>(db, 'select * from connection')).map((row) => lazyViewOf(row, fernetKey));
}

// Airflow's default sensitive field names: values under such keys in `extra` are masked.
export const SENSITIVE_FIELD_NAMES = ['access_token', 'api_key', 'apikey', 'authorization', 'passphrase', 'passwd', 'password',
  'private_key', 'secret', 'token', 'keyfile_dict', 'service_account'];
export const MASK = '***';

export function maskSensitive(value: unknown, key = ''): unknown {
  if (key !== '' && SENSITIVE_FIELD_NAMES.some((s) => key.toLowerCase().includes(s))) return MASK;
  if (Array.isArray(value)) return value.map((v) => maskSensitive(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSensitive(v, k)]));
  }
  return value;
}

/** A decrypted connection fit to print: the password masked, sensitive `extra` keys masked. */
export function maskedConnection(row: StoredConnectionRow): Record<string, unknown> {
  return {
    conn_id: row.conn_id, conn_type: row.conn_type, description: row.description, host: row.host, schema: row.schema,
    login: row.login, password: row.password === null ? null : MASK, port: row.port,
    extra: maskSensitive(parseExtra(row.extra)), is_encrypted: row.is_encrypted,
  };
}
