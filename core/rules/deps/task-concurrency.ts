/**
 * max_active_tis_per_dag: how many instances of this one task may be active at once,
 * across all runs (Airflow's TaskConcurrencyDep). Unset (null/undefined) means no limit.
 */
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Task Concurrency';

export function taskConcurrency(ctx: TiDepContext): DepStatus {
  const max = ctx.dag.max_active_tis_per_dag;
  if (max === null || max === undefined) return pass(NAME, 'Task concurrency is not set.');
  const active = ctx.dag.active_tis_of_task;
  // Fail closed: a limit without a count is a caller bug, and passing would break the limit.
  if (active === undefined) return fail(NAME, `max_active_tis_per_dag is ${max} but the number of active instances of this task is unknown.`);
  if (active >= max) return fail(NAME, `The max task concurrency has been reached (${active} of ${max} allowed instances of this task are active).`);
  return pass(NAME, `The max task concurrency has not been reached (${active} of ${max} active).`);
}
