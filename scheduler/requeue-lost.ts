/**
 * If Redis lost jobs (flushed, restarted without its AOF), task instances stay
 * `queued` with nothing to run them. Re-adding their jobs is safe because job ids are
 * deterministic: a job that still exists is left as it is.
 */
import type { Db } from '../core/db/connect.ts';
import type { TaskJobData } from '../core/queue/job-id.ts';
import { rows } from '../core/transitions/sql.ts';

export async function staleQueuedJobs(db: Db, olderThanMs: number): Promise<TaskJobData[]> {
  return rows<TaskJobData>(db, `
    select id as ti_id, try_number, dag_id, run_id, task_id, map_index, queue from task_instance
    where state = 'queued' and queued_dttm < now() - (? * interval '1 millisecond')
    order by queued_dttm limit 1000`, [olderThanMs]);
}
