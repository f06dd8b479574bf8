/** Small helpers shared by the transition files. */
import type { Knex } from 'knex';

export type Executor = Knex | Knex.Transaction;

export async function rows<T>(db: Executor, sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
  const result = (await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] };
  return result.rows;
}

/** Task-instance states that are finished, as a SQL list. */
export const FINISHED_SQL = `('success', 'failed', 'skipped', 'upstream_failed', 'removed')`;
