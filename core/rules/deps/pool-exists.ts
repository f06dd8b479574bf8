/**
 * A task naming a pool that does not exist is never queued. Airflow reports this from
 * PoolSlotsAvailableDep; Updraft gives it its own dep so the reason is unambiguous.
 */
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Pool Exists';

export function poolExists(ctx: TiDepContext): DepStatus {
  if (ctx.pool.exists) return pass(NAME, `Pool '${ctx.task.pool}' exists.`);
  return fail(NAME, `Tasks using non-existent pool '${ctx.task.pool}' will not be scheduled.`);
}
