/**
 * Load a run's task instances, decide the pending ones, and write the decisions.
 * Writes are guarded by the state they were decided from, so a concurrent writer
 * (another scheduler, a worker's finish) wins cleanly instead of being overwritten.
 */
import type { Knex } from 'knex';
import type { DagSpec } from '../dag/spec.ts';
import type { TaskStateOrNone } from '../model/states.ts';
import { decidePending, type Decision, type TiState } from './decide.ts';
import { expandMappedTask } from './expand-mapped.ts';
import { rows, type Executor } from './sql.ts';

export interface RunRef { id: number; dag_id: string; logical_date: Date | null }

export async function writeDecisions(trx: Knex.Transaction, decisions: readonly Decision[]): Promise<number> {
  decisions = decisions.filter((d) => !d.expand);
  let written = 0;
  for (const to of ['scheduled', 'skipped', 'upstream_failed'] as const) {
    const group = decisions.filter((d) => d.to === to);
    if (group.length === 0) continue;
    const finished = to !== 'scheduled';
    const updated = await rows<{ id: number }>(trx, `
      update task_instance t set state = ?, updated_at = now(),
        scheduled_dttm = case when ? then t.scheduled_dttm else now() end,
        end_date = case when ? then now() else t.end_date end
      from unnest(?::bigint[], ?::text[]) as d(id, from_state)
      where t.id = d.id and t.state is not distinct from d.from_state
      returning t.id`,
    [to, finished, finished, group.map((d) => d.ti_id), group.map((d) => d.from)]);
    written += updated.length;
  }
  return written;
}

/** States of the given tasks in the run before this one (by logical date), for depends_on_past. */
export async function previousStates(db: Executor, run: RunRef, taskIds: readonly string[]): Promise<Map<string, TaskStateOrNone | 'no_previous_run'>> {
  const result = new Map<string, TaskStateOrNone | 'no_previous_run'>();
  if (taskIds.length === 0) return result;
  for (const id of taskIds) result.set(id, 'no_previous_run');
  if (!run.logical_date) return result;
  const found = await rows<{ task_id: string; state: TaskStateOrNone }>(db, `
    select distinct on (ti.task_id) ti.task_id, ti.state
    from task_instance ti join dag_run r on r.id = ti.dag_run_id
    where r.dag_id = ? and r.logical_date < ? and ti.task_id = any(?) and ti.map_index = -1
    order by ti.task_id, r.logical_date desc`, [run.dag_id, run.logical_date, taskIds]);
  for (const f of found) result.set(f.task_id, f.state);
  return result;
}

/**
 * Decide every pending task instance of a run and write the outcome. Expanding a mapped
 * task can finish it at once (an empty list skips it), which its downstream tasks must
 * see: then the run is decided again, at most once per mapped task.
 */
export async function decideWholeRun(trx: Knex.Transaction, spec: DagSpec, run: RunRef, now: Date): Promise<Decision[]> {
  const all: Decision[] = [];
  for (let round = 0; round <= spec.tasks.length; round++) {
    const decisions = await decideOnce(trx, spec, run, now);
    all.push(...decisions);
    let finishedByExpansion = false;
    for (const d of decisions.filter((x) => x.expand)) {
      const outcome = await expandMappedTask(trx, spec, run, d.task_id);
      finishedByExpansion ||= outcome === 'skipped' || outcome === 'failed';
    }
    if (!finishedByExpansion) break;
  }
  return all;
}

async function decideOnce(trx: Knex.Transaction, spec: DagSpec, run: RunRef, now: Date): Promise<Decision[]> {
  const tis = await rows<TiState>(trx,
    `select id, task_id, map_index, state, next_retry_at, reschedule_at from task_instance
     where dag_run_id = ? order by task_id, map_index`, [run.id]);
  const byTask = new Map<string, TiState[]>();
  for (const t of tis) byTask.set(t.task_id, [...(byTask.get(t.task_id) ?? []), t]);
  const dependsOnPast = spec.tasks.filter((t) => t.depends_on_past && byTask.get(t.task_id)?.some((x) => x.state === null));
  const pastIds = dependsOnPast.flatMap((t) => (t.wait_for_downstream ? [t.task_id, ...t.downstream] : [t.task_id]));
  const previous = await previousStates(trx, run, [...new Set(pastIds)]);
  const decisions = decidePending({ spec, tis: byTask, previous, now });
  await writeDecisions(trx, decisions);
  return decisions;
}
