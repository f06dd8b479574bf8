/** The channel that wakes idle schedulers (manual triggers, new DAG versions). */
import type { Executor } from './sql.ts';

export const SCHEDULER_CHANNEL = 'updraft_scheduler';

export async function notifyScheduler(db: Executor): Promise<void> {
  await db.raw(`notify ${SCHEDULER_CHANNEL}`);
}
