/**
 * The task's pool must have at least `pool_slots` open slots (Airflow's PoolSlotsAvailableDep).
 * As in Airflow, a task instance that already occupies its slots (queued/running) has them
 * added back, so re-checking a queued instance does not count it against itself.
 */
import { ACTIVE_STATES } from '../../model/states.ts';
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Pool Slots Available';

export function poolSlotsAvailable(ctx: TiDepContext): DepStatus {
  const { pool, pool_slots } = ctx.task;
  // Fail closed: a missing pool has no slots (the Pool Exists dep names the real cause).
  if (!ctx.pool.exists) return fail(NAME, `Pool '${pool}' does not exist, so it has no open slots.`);
  const occupiesOwnSlots = ctx.ti.state !== null && ACTIVE_STATES.includes(ctx.ti.state);
  const open = ctx.pool.open_slots + (occupiesOwnSlots ? pool_slots : 0);
  if (open < pool_slots) {
    return fail(NAME, `Not scheduling since there are ${open} open slots in pool '${pool}' and the task requires ${pool_slots} pool slots.`);
  }
  return pass(NAME, `There are enough open slots in pool '${pool}' to execute the task (${open} open, ${pool_slots} needed).`);
}
