/**
 * A stopping worker hands back a task it could not finish: the task instance returns
 * to `scheduled` for another worker, and the interrupted try does not use up a retry
 * (max_tries grows by one), because the task did not fail.
 */
import type { Db } from '../db/connect.ts';
import { rows } from './sql.ts';

export async function handBackTaskInstance(db: Db, tiId: number, tryNumber: number, why: string): Promise<boolean> {
  const done = await rows<{ id: number }>(db, `
    with t as (
      update task_instance set state = 'scheduled', max_tries = max_tries + 1, worker_id = null,
        hostname = null, pid = null, updated_at = now()
      where id = ? and state = 'running' and try_number = ? returning id
    ), h as (
      update task_instance_try set state = 'restarting', end_date = now(), error = ?
      where ti_id = ? and try_number = ? and exists (select 1 from t)
    )
    select id from t`, [tiId, tryNumber, why, tiId, tryNumber]);
  return done.length > 0;
}
