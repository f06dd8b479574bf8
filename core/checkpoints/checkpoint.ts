/**
 * Checkpoints: how a long task resumes where it stopped. A task instance saves small JSON
 * values under keys; a later try of the same task instance (a retry, or a re-run after a
 * worker died) reads the last saved value and goes on from it. Saving inside the same
 * transaction as the work's own writes (`saveCheckpointIn`) makes "done up to here" and
 * the results commit together: after a crash either both exist or neither does.
 * Clearing a task instance deletes its checkpoints (a cleared task starts over).
 */
import type { Knex } from 'knex';
import type { CheckpointHandle } from '../authoring/context.ts';
import type { Executor } from '../transitions/sql.ts';
import { rows } from '../transitions/sql.ts';

export const DEFAULT_CHECKPOINT_KEY = 'default';

export async function loadCheckpoint<T = unknown>(db: Executor, tiId: number, key = DEFAULT_CHECKPOINT_KEY): Promise<T | null> {
  const [row] = await rows<{ value: T }>(db, 'select value from checkpoint where ti_id = ? and key = ?', [tiId, key]);
  return row ? row.value : null;
}

/** Save (replace) a checkpoint; pass a transaction to commit it with other writes. */
export async function saveCheckpointIn(db: Executor, tiId: number, value: unknown, key = DEFAULT_CHECKPOINT_KEY): Promise<void> {
  await db.raw(`insert into checkpoint (ti_id, key, value, updated_at) values (?, ?, ?::jsonb, now())
    on conflict (ti_id, key) do update set value = excluded.value, updated_at = now()`, [tiId, key, JSON.stringify(value ?? null)]);
}

export async function deleteCheckpoints(db: Executor, tiIds: readonly number[]): Promise<void> {
  if (tiIds.length) await db.raw('delete from checkpoint where ti_id = any(?)', [[...tiIds]]);
}

/**
 * Checkpoints kept in memory, for `tasks test` (which records nothing) and tests that run
 * an operator directly: `commitWith` still runs the work in a transaction of `db`.
 */
export function memoryCheckpoints(db?: Knex): CheckpointHandle {
  const saved = new Map<string, unknown>();
  return {
    load: async <T>(key = DEFAULT_CHECKPOINT_KEY) => (saved.has(key) ? (saved.get(key) as T) : null),
    save: async (value, key = DEFAULT_CHECKPOINT_KEY) => { saved.set(key, value); },
    commitWith: async (value, work, key = DEFAULT_CHECKPOINT_KEY) => {
      if (!db) throw new Error('commitWith needs a database here');
      const result = await db.transaction(work);
      saved.set(key, value);
      return result;
    },
  };
}
