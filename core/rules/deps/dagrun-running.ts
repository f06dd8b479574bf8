/** A task instance is only scheduled while its DAG run is running (Airflow's DagrunRunningDep). */
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Dagrun Running';

export function dagrunRunning(ctx: TiDepContext): DepStatus {
  if (ctx.run.state === 'running') return pass(NAME, "The DAG run is in the 'running' state.");
  return fail(NAME, `Task instance's DAG run was not in the 'running' state but in the state '${ctx.run.state}'.`);
}
