/**
 * max_active_tasks: the DAG's queued + running task instances must be below its limit
 * (Airflow's DagTISlotsAvailableDep). The caller decides what `active_tasks` counts.
 */
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Task Instance Slots Available';

export function dagTiSlotsAvailable(ctx: TiDepContext): DepStatus {
  const { active_tasks, max_active_tasks } = ctx.dag;
  if (active_tasks >= max_active_tasks) {
    return fail(NAME, `The maximum number of running tasks (${max_active_tasks}) for this task's DAG has been reached (${active_tasks} queued or running).`);
  }
  return pass(NAME, `${active_tasks} of the DAG's ${max_active_tasks} task slots (max_active_tasks) are in use.`);
}
