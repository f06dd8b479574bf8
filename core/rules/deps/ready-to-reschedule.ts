/**
 * A sensor in reschedule mode waits until its requested reschedule time (Airflow's
 * ReadyToRescheduleDep). Like Airflow it applies to state up_for_reschedule and none,
 * and passes once now >= the reschedule time.
 */
import type { TaskStateOrNone } from '../../model/states.ts';
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Ready To Reschedule';
const RESCHEDULEABLE_STATES: readonly TaskStateOrNone[] = ['up_for_reschedule', null];

export function readyToReschedule(ctx: TiDepContext): DepStatus {
  if (!RESCHEDULEABLE_STATES.includes(ctx.ti.state)) {
    return pass(NAME, 'The task instance is not in the up_for_reschedule or none state.');
  }
  const at = ctx.ti.reschedule_at;
  if (at === null) return pass(NAME, 'There is no reschedule request for this task instance.');
  if (ctx.now.getTime() >= at.getTime()) return pass(NAME, `The task instance is ready for reschedule (requested for ${at.toISOString()}).`);
  return fail(NAME, `Task is not ready for reschedule yet but will be rescheduled automatically. Current date is ${ctx.now.toISOString()} and task will be rescheduled at ${at.toISOString()}.`);
}
