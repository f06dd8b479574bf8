/**
 * "Why is this task not running?": builds the dependency context of one task instance
 * from the database and evaluates the scheduling and queuing rule sets on it, the same
 * rules the scheduler applies. Read-only.
 */
import type { Db } from '../db/connect.ts';
import type { TaskStateOrNone, DagRunState } from '../model/states.ts';
import { countUpstream, evaluateDeps, QUEUE_DEPS, SCHEDULE_DEPS, type DepStatus } from '../rules/index.ts';
import { previousStates } from './apply-decisions.ts';
import { loadSpec } from './spec-cache.ts';
import { rows } from './sql.ts';
import { NotFoundError } from './trigger-run.ts';

export interface Explanation { state: TaskStateOrNone; deps: DepStatus[] }

interface TiRow {
  id: number; dag_run_id: number; state: TaskStateOrNone; try_number: number; max_tries: number;
  next_retry_at: Date | null; reschedule_at: Date | null; pool: string; pool_slots: number;
  run_state: DagRunState; logical_date: Date | null; dag_version_id: number; is_paused: boolean; max_active_tasks: number;
}

export async function explainTaskInstance(db: Db, dagId: string, runId: string, taskId: string, mapIndex = -1): Promise<Explanation> {
  const [ti] = await rows<TiRow>(db, `
    select ti.id, ti.dag_run_id, ti.state, ti.try_number, ti.max_tries, ti.next_retry_at, ti.reschedule_at, ti.pool,
      ti.pool_slots, r.state as run_state, r.logical_date, r.dag_version_id, d.is_paused, d.max_active_tasks
    from task_instance ti join dag_run r on r.id = ti.dag_run_id join dag d on d.dag_id = ti.dag_id
    where ti.dag_id = ? and ti.run_id = ? and ti.task_id = ? and ti.map_index = ?`, [dagId, runId, taskId, mapIndex]);
  if (!ti) throw new NotFoundError(`no task instance ${dagId}/${runId}/${taskId}`);
  const spec = await loadSpec(db, ti.dag_version_id);
  const task = spec.tasks.find((t) => t.task_id === taskId);
  if (!task) throw new NotFoundError(`task "${taskId}" is not in DAG "${dagId}"`);
  const upstream = await rows<{ state: TaskStateOrNone }>(db,
    'select state from task_instance where dag_run_id = ? and task_id = any(?)', [ti.dag_run_id, task.upstream]);
  const past = task.depends_on_past
    ? await previousStates(db, { id: ti.dag_run_id, dag_id: dagId, logical_date: ti.logical_date },
      task.wait_for_downstream ? [taskId, ...task.downstream] : [taskId])
    : new Map<string, TaskStateOrNone | 'no_previous_run'>();
  const previous = past.get(taskId) ?? 'no_previous_run';
  const [usage] = await rows<{ active_tasks: number; active_of_task: number; pool_slots: number | null; pool_used: number }>(db, `
    select (select count(*)::int from task_instance where dag_id = ? and state in ('queued', 'running')) as active_tasks,
      (select count(*)::int from task_instance where dag_id = ? and task_id = ? and state in ('queued', 'running')) as active_of_task,
      (select slots from slot_pool where pool = ?) as pool_slots,
      (select coalesce(sum(pool_slots), 0)::int from task_instance where pool = ? and state in ('queued', 'running')) as pool_used`,
  [dagId, dagId, taskId, ti.pool, ti.pool]);
  const ctx = {
    now: new Date(),
    ti: { state: ti.state, try_number: ti.try_number, max_tries: ti.max_tries, next_retry_at: ti.next_retry_at, reschedule_at: ti.reschedule_at },
    task: {
      trigger_rule: task.trigger_rule, depends_on_past: task.depends_on_past, pool: ti.pool, pool_slots: ti.pool_slots,
      wait_for_downstream: task.wait_for_downstream, downstream: task.downstream,
    },
    run: { state: ti.run_state },
    dag: {
      is_paused: ti.is_paused, active_tasks: usage?.active_tasks ?? 0, max_active_tasks: ti.max_active_tasks,
      active_tis_of_task: usage?.active_of_task ?? 0, max_active_tis_per_dag: task.max_active_tis_per_dag ?? null,
    },
    upstream: countUpstream(upstream.map((u) => u.state)),
    previous,
    previous_downstream: past,
    pool: { exists: usage?.pool_slots !== null && usage?.pool_slots !== undefined, open_slots: (usage?.pool_slots ?? 0) - (usage?.pool_used ?? 0) },
  };
  const deps = ti.state === 'scheduled' ? evaluateDeps(QUEUE_DEPS, ctx) : evaluateDeps(SCHEDULE_DEPS, ctx);
  return { state: ti.state, deps };
}
