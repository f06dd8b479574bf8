/**
 * An up_for_retry task instance waits until its retry time (Airflow's NotInRetryPeriodDep).
 * Airflow treats the instance as premature while now <= next retry time (ready_for_retry
 * uses a strict `next_retry_datetime() < now`), so the retry moment itself still waits.
 */
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Not In Retry Period';

export function notInRetryPeriod(ctx: TiDepContext): DepStatus {
  if (ctx.ti.state !== 'up_for_retry') return pass(NAME, 'The task instance was not marked for retrying.');
  const at = ctx.ti.next_retry_at;
  // Updraft stores the retry time when the try fails; none stored means nothing to wait for.
  if (at === null) return pass(NAME, 'The task instance is up for retry and has no retry time recorded.');
  if (ctx.now.getTime() <= at.getTime()) {
    return fail(NAME, `Task is not ready for retry yet but will be retried automatically. Current date is ${ctx.now.toISOString()} and task will be retried at ${at.toISOString()}.`);
  }
  return pass(NAME, `The retry delay has elapsed (retry was due at ${at.toISOString()}).`);
}
