/**
 * depends_on_past: wait for the same task in the previous DAG run to have succeeded or
 * been skipped (Airflow's PrevDagrunDep). The first run of a DAG passes. Unfinished
 * previous states (none, running, up_for_retry...) count as unsuccessful, as in Airflow.
 * With wait_for_downstream, the previous run's instances of the task's direct downstream
 * tasks must have succeeded or been skipped too (a task missing there passes).
 */
import type { TaskStateOrNone } from '../../model/states.ts';
import { fail, pass, stateName, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Previous Dagrun State';

export type PreviousState = TaskStateOrNone | 'no_previous_run';

const done = (s: PreviousState | undefined) => s === undefined || s === 'no_previous_run' || s === 'success' || s === 'skipped';

/**
 * The rule itself, shared by the scheduler's decisions and the explanation below:
 * null when met, else the reason.
 */
export function pastDependencyUnmet(
  task: { depends_on_past: boolean; wait_for_downstream?: boolean; downstream?: readonly string[] },
  previous: PreviousState, previousDownstream: ReadonlyMap<string, PreviousState> = new Map(),
): string | null {
  if (!task.depends_on_past || previous === 'no_previous_run') return null;
  if (!done(previous)) {
    return `depends_on_past is true for this task, but the previous task instance is in the '${stateName(previous as TaskStateOrNone)}' state (it must be success or skipped).`;
  }
  if (!task.wait_for_downstream) return null;
  const waiting = (task.downstream ?? []).filter((id) => !done(previousDownstream.get(id)));
  if (waiting.length === 0) return null;
  const list = waiting.map((id) => `${id} (${stateName(previousDownstream.get(id) as TaskStateOrNone)})`).join(', ');
  return `wait_for_downstream is true for this task, but in the previous run its downstream task(s) ${list} have not succeeded or been skipped.`;
}

export function prevDagrunSucceeded(ctx: TiDepContext): DepStatus {
  if (!ctx.task.depends_on_past) return pass(NAME, 'The task did not have depends_on_past set.');
  if (ctx.previous === 'no_previous_run') return pass(NAME, 'This task instance was the first task instance for its task.');
  const unmet = pastDependencyUnmet(ctx.task, ctx.previous, ctx.previous_downstream);
  if (unmet) return fail(NAME, unmet);
  return pass(NAME, `depends_on_past is set and the previous task instance is in the '${stateName(ctx.previous)}' state.`);
}
