/**
 * One way to run the sinks' statements over either a knex transaction (the metadata
 * database, inside ctx.checkpoint.commitWith) or a pg client (a sink's own database).
 * Parameters are written $1, $2, ...
 */
import type { Knex } from 'knex';
import type pg from 'pg';

export type Run = (sql: string, params?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

export function knexRun(trx: Knex.Transaction): Run {
  // knex binds "?"; only our own statements carry parameters, the user's SQL runs bare.
  return async (sql, params) => (params ? trx.raw(sql.replace(/\$\d+/g, '?'), params as Knex.RawBinding[]) : trx.raw(sql)) as Promise<{ rows: Array<Record<string, unknown>> }>;
}

export function pgRun(client: pg.Client): Run {
  return async (sql, params) => client.query(sql, params);
}
