/**
 * Clearing task instances, as Airflow does: each cleared instance returns to "none"
 * with its retries given anew (max_tries = tries so far + retries), and its run goes
 * back to queued so the scheduler picks it up. A running instance is cleared too; its
 * worker notices at the next heartbeat and stops it. A durable task instance forgets its
 * Temporal execution (a cleared step runs again, as a new one). Which instances to clear:
 * clear-targets.ts.
 */
import { deleteCheckpoints } from '../checkpoints/checkpoint.ts';
import type { Db } from '../db/connect.ts';
import { notifyScheduler } from './notify.ts';
import { loadSpec } from './spec-cache.ts';
import { rows } from './sql.ts';

// Selecting what to clear lives apart (pure graph walk + read-only queries) so that the
// CLI, backfills and the REST API share it; re-exported for existing callers.
export { findClearTargets, type ClearFilter, type ClearTarget } from './clear-targets.ts';

/** `resetDagRuns: false` (REST `reset_dag_runs`) leaves the runs' state alone, as Airflow does. */
export async function clearTaskInstances(db: Db, tiIds: readonly number[], opts: { resetDagRuns?: boolean } = {}): Promise<number> {
  if (tiIds.length === 0) return 0;
  return db.transaction(async (trx) => {
    const tis = await rows<{ id: number; task_id: string; try_number: number; dag_run_id: number; dag_version_id: number }>(trx, `
      select ti.id, ti.task_id, ti.try_number, ti.dag_run_id, r.dag_version_id
      from task_instance ti join dag_run r on r.id = ti.dag_run_id where ti.id = any(?)
      order by ti.id for update of ti`, [tiIds]);
    for (const ti of tis) {
      const spec = await loadSpec(trx, ti.dag_version_id);
      const retries = spec.tasks.find((t) => t.task_id === ti.task_id)?.retries ?? 0;
      await trx.raw(`update task_instance set state = null, max_tries = ?, start_date = null, end_date = null,
        duration = null, next_retry_at = null, reschedule_at = null, worker_id = null, hostname = null,
        external_executor_id = null, updated_at = now() where id = ?`, [ti.try_number + retries, ti.id]);
    }
    // A cleared task starts over: its checkpoints belong to the work it is asked to redo.
    await deleteCheckpoints(trx, tis.map((t) => t.id));
    const runIds = [...new Set(tis.map((t) => t.dag_run_id))];
    if (opts.resetDagRuns !== false) await trx.raw(`update dag_run set state = 'queued', end_date = null, start_date = null,
      clear_number = clear_number + 1, updated_at = now() where id = any(?)`, [runIds]);
    await notifyScheduler(trx);
    return tis.length;
  });
}
