/**
 * Only a task instance in none, up_for_retry or up_for_reschedule can be scheduled
 * (Airflow's ValidStateDep with SCHEDULEABLE_STATES); any other state is either already
 * on its way (scheduled/queued/running/deferred...) or finished.
 */
import type { TaskStateOrNone } from '../../model/states.ts';
import { fail, pass, stateName, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Task Instance State';

export const SCHEDULABLE_STATES: readonly TaskStateOrNone[] = [null, 'up_for_retry', 'up_for_reschedule'];

export function validStateForScheduling(ctx: TiDepContext): DepStatus {
  const s = ctx.ti.state;
  if (SCHEDULABLE_STATES.includes(s)) return pass(NAME, `Task state ${stateName(s)} was valid.`);
  return fail(NAME, `Task is in the '${stateName(s)}' state; only none, up_for_retry and up_for_reschedule can be scheduled.`);
}
