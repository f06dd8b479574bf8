/**
 * Expand a mapped task whose upstream tasks are done: its placeholder instance
 * (map_index -1) becomes instance 0 and instances 1..N-1 are created, all scheduled.
 * An empty list skips the task (Airflow's rule); a value that cannot be expanded fails
 * it, with the reason in its log. A task cleared as a whole (every instance back to
 * none) is expanded again from the current values: extra instances become `removed`,
 * missing ones are created. Instances cleared one by one are simply scheduled again.
 *
 * Guarded by state like every decision: of two deciders racing, one expands.
 */
import type { Knex } from 'knex';
import { MAX_MAP_LENGTH, type DagSpec } from '../dag/spec.ts';
import type { TaskStateOrNone } from '../model/states.ts';
import type { RunRef } from './apply-decisions.ts';
import { loadMapLists, mapLength } from './map-values.ts';
import { rows } from './sql.ts';

export type ExpansionOutcome = 'scheduled' | 'skipped' | 'failed' | 'raced';

interface Instance { id: number; map_index: number; state: TaskStateOrNone }

export async function expandMappedTask(trx: Knex.Transaction, spec: DagSpec, run: RunRef, taskId: string): Promise<ExpansionOutcome> {
  const task = spec.tasks.find((t) => t.task_id === taskId);
  if (!task?.mapped) throw new Error(`task "${taskId}" of DAG "${spec.dag_id}" is not mapped`);
  // Lock the task's instances: a concurrent decider waits here, then sees them decided.
  const instances = await rows<Instance>(trx, `
    select id, map_index, state from task_instance where dag_run_id = ? and task_id = ? order by map_index for update`,
  [run.id, taskId]);
  const undecided = instances.filter((i) => i.state === null);
  if (undecided.length === 0) return 'raced';
  const wholeTask = undecided.length === instances.length;
  if (!wholeTask) {
    await setState(trx, undecided.map((i) => i.id), 'scheduled');
    return 'scheduled';
  }

  const loaded = await loadMapLists(trx, run.id, task.mapped);
  const length = 'lists' in loaded ? mapLength(loaded.lists) : 0;
  const error = 'error' in loaded ? loaded.error
    : length > MAX_MAP_LENGTH ? `the expanded arguments give ${length} instances; at most ${MAX_MAP_LENGTH} are allowed` : null;
  if (error) {
    await setState(trx, undecided.map((i) => i.id), 'failed');
    await explain(trx, undecided[0]!.id, `mapping failed: ${error}`);
    return 'failed';
  }
  if (length === 0) {
    await setState(trx, undecided.map((i) => i.id), 'skipped');
    await explain(trx, undecided[0]!.id, 'skipped: expanded over an empty list');
    return 'skipped';
  }

  const placeholder = instances.find((i) => i.map_index === -1);
  if (placeholder) await trx.raw('update task_instance set map_index = 0 where id = ?', [placeholder.id]);
  const indexes = new Set(instances.map((i) => (i.map_index === -1 ? 0 : i.map_index)));
  await setState(trx, instances.filter((i) => Math.max(i.map_index, 0) < length).map((i) => i.id), 'scheduled');
  await setState(trx, instances.filter((i) => i.map_index >= length).map((i) => i.id), 'removed');
  const missing = Array.from({ length }, (_, i) => i).filter((i) => !indexes.has(i));
  if (missing.length) {
    // Copy everything but identity and progress from instance 0.
    await trx.raw(`
      insert into task_instance (dag_run_id, dag_id, run_id, task_id, map_index, state, try_number, max_tries, operator,
        pool, pool_slots, queue, priority_weight, run_logical_date, max_active_tis_per_dag, scheduled_dttm)
      select t.dag_run_id, t.dag_id, t.run_id, t.task_id, m.i, 'scheduled', 0, ?, t.operator, t.pool, t.pool_slots,
        t.queue, t.priority_weight, t.run_logical_date, t.max_active_tis_per_dag, now()
      from task_instance t, unnest(?::int[]) as m(i)
      where t.dag_run_id = ? and t.task_id = ? and t.map_index = 0`, [task.retries, missing, run.id, taskId]);
  }
  return 'scheduled';
}

async function setState(trx: Knex.Transaction, ids: number[], state: string): Promise<void> {
  if (ids.length === 0) return;
  const finished = state !== 'scheduled';
  await trx.raw(`update task_instance set state = ?, updated_at = now(),
      scheduled_dttm = case when ? then scheduled_dttm else now() end, end_date = case when ? then now() else end_date end
    where id = any(?)`, [state, finished, finished, ids]);
}

/** The reason goes to the instance's log (try 0: it never ran), where `tasks logs` and the UI show it. */
async function explain(trx: Knex.Transaction, tiId: number, message: string): Promise<void> {
  await trx('task_log').insert({ ti_id: tiId, try_number: 0, ts: new Date(), stream: 'updraft', message });
}
