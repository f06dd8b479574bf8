/** Nothing of a paused DAG is queued (Airflow's DagUnpausedDep). */
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Dag Not Paused';

export function dagUnpaused(ctx: TiDepContext): DepStatus {
  if (ctx.dag.is_paused) return fail(NAME, "Task's DAG is paused.");
  return pass(NAME, "Task's DAG is not paused.");
}
