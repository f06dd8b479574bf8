/**
 * A `connection` row as stored and as used: `password` and `extra` are encrypted at rest
 * when a Fernet key is configured (one `is_encrypted` flag covers both), and decrypted
 * here with the key the caller passes (Config.fernetKey).
 */
import { parseFernetKeys } from '../secrets/fernet.ts';
import { openValue } from '../secrets/stored-value.ts';
import type { ConnectionView } from '../templating/index.ts';

export interface StoredConnectionRow {
  conn_id: string; conn_type: string; description: string | null; host: string | null; schema: string | null;
  login: string | null; password: string | null; port: number | null; extra: string | null; is_encrypted: boolean;
}

const what = (connId: string) => `connection "${connId}"`;

/** The row with `password` and `extra` in plain text. */
export function openConnectionRow(row: StoredConnectionRow, fernetKey: string | undefined): StoredConnectionRow {
  if (!row.is_encrypted) return row;
  const keys = parseFernetKeys(fernetKey);
  return {
    ...row, is_encrypted: false,
    password: openValue(row.password, true, keys, what(row.conn_id)),
    extra: openValue(row.extra, true, keys, what(row.conn_id)),
  };
}

export function parseExtra(extra: string | null): Record<string, unknown> {
  try {
    const parsed = extra ? (JSON.parse(extra) as unknown) : {};
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {}; // not JSON: keep empty
  }
}

/** A plain-text row as operators and templates see it (Airflow's `extra_dejson` as `extra`). */
export function viewOf(row: Omit<StoredConnectionRow, 'description' | 'is_encrypted'>): ConnectionView {
  return { conn_id: row.conn_id, conn_type: row.conn_type, host: row.host, schema: row.schema, login: row.login,
    password: row.password, port: row.port, extra: parseExtra(row.extra) };
}

/**
 * A view whose secret fields are decrypted when first read, so a connection that cannot
 * be decrypted fails only the tasks that use it, with an error naming it.
 */
export function lazyViewOf(row: StoredConnectionRow, fernetKey: string | undefined): ConnectionView {
  if (!row.is_encrypted) return viewOf(row);
  let opened: ConnectionView | undefined;
  const open = () => (opened ??= viewOf(openConnectionRow(row, fernetKey)));
  return {
    conn_id: row.conn_id, conn_type: row.conn_type, host: row.host, schema: row.schema, login: row.login, port: row.port,
    get password() { return open().password; },
    get extra() { return open().extra; },
  };
}
