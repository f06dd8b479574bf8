/**
 * A run ends once no task instance is unfinished: failed if any leaf task failed
 * (failed or upstream_failed), otherwise success (Airflow's rule).
 */
import type { Knex } from 'knex';
import type { DagSpec } from '../dag/spec.ts';
import type { DagRunState, TaskStateOrNone } from '../model/states.ts';
import { FINISHED_SQL, rows } from './sql.ts';

export async function finalizeRunIfDone(trx: Knex.Transaction, spec: DagSpec, runId: number): Promise<DagRunState | null> {
  const [open] = await rows<{ open: boolean }>(trx, `
    select exists (select 1 from task_instance where dag_run_id = ?
      and (state is null or state not in ${FINISHED_SQL})) as open`, [runId]);
  if (!open || open.open) return null;
  const leaves = spec.tasks.filter((t) => t.downstream.length === 0).map((t) => t.task_id);
  const leafStates = await rows<{ state: TaskStateOrNone }>(trx,
    'select state from task_instance where dag_run_id = ? and task_id = any(?)', [runId, leaves]);
  const failed = leafStates.some((l) => l.state === 'failed' || l.state === 'upstream_failed');
  const state: DagRunState = failed ? 'failed' : 'success';
  const updated = await rows<{ id: number }>(trx, `
    update dag_run set state = ?, end_date = now(), updated_at = now(), callbacks_pending = ?
    where id = ? and state = 'running' returning id`, [state, spec.has_dag_callbacks, runId]);
  return updated.length ? state : null;
}
