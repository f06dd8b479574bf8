/**
 * depends_on_past: wait for the same task in the previous DAG run to have succeeded or
 * been skipped (Airflow's PrevDagrunDep). The first run of a DAG passes. Unfinished
 * previous states (none, running, up_for_retry...) count as unsuccessful, as in Airflow.
 */
import { fail, pass, stateName, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Previous Dagrun State';

export function prevDagrunSucceeded(ctx: TiDepContext): DepStatus {
  if (!ctx.task.depends_on_past) return pass(NAME, 'The task did not have depends_on_past set.');
  const prev = ctx.previous;
  if (prev === 'no_previous_run') return pass(NAME, 'This task instance was the first task instance for its task.');
  if (prev === 'success' || prev === 'skipped') {
    return pass(NAME, `depends_on_past is set and the previous task instance is in the '${prev}' state.`);
  }
  return fail(NAME, `depends_on_past is true for this task, but the previous task instance is in the '${stateName(prev)}' state (it must be success or skipped).`);
}
