/**
 * Zombies: running task instances whose worker stopped heartbeating (killed, machine
 * lost). Each is failed like any failed try: retried if it has retries left. A durable
 * task instance attached to its Temporal execution is handed back instead, without using
 * a retry: its step goes on in Temporal, and the next try re-attaches to it.
 */
import type { Db } from '../core/db/connect.ts';
import type { TaskJobData } from '../core/queue/job-id.ts';
import { finishTaskInstance } from '../core/transitions/finish-ti.ts';
import { handBackTaskInstance } from '../core/transitions/hand-back.ts';
import { loadSpec } from '../core/transitions/spec-cache.ts';
import { rows } from '../core/transitions/sql.ts';

interface Zombie {
  id: number; dag_run_id: number; dag_id: string; task_id: string; map_index: number; try_number: number;
  max_tries: number; start_date: Date; worker_id: string | null; logical_date: Date | null; dag_version_id: number;
  external_executor_id: string | null;
}

export async function handleZombies(db: Db, thresholdMs: number): Promise<{ count: number; jobs: TaskJobData[] }> {
  const zombies = await rows<Zombie>(db, `
    select ti.id, ti.dag_run_id, ti.dag_id, ti.task_id, ti.map_index, ti.try_number, ti.max_tries,
      coalesce(ti.start_date, now()) as start_date, ti.worker_id, r.logical_date, r.dag_version_id, ti.external_executor_id
    from task_instance ti
    join dag_run r on r.id = ti.dag_run_id
    left join component c on c.id = ti.worker_id
    where ti.state = 'running'
      and (c.id is null or c.state <> 'running' or c.heartbeat_at < now() - (? * interval '1 millisecond'))
    limit 100`, [thresholdMs]);
  const jobs: TaskJobData[] = [];
  for (const z of zombies) {
    if (z.external_executor_id) {
      await handBackTaskInstance(db, z.id, z.try_number, `worker ${z.worker_id ?? '?'} stopped heartbeating; `
        + 'the durable step goes on in Temporal and the next try re-attaches to it');
      continue;
    }
    const spec = await loadSpec(db, z.dag_version_id);
    const result = await finishTaskInstance(db, spec, { id: z.dag_run_id, dag_id: z.dag_id, logical_date: z.logical_date },
      { ...z, expected_state: 'running' },
      { kind: 'failed', retryable: true, error: `zombie: worker ${z.worker_id ?? '?'} stopped heartbeating` }, new Date());
    jobs.push(...result.jobs);
  }
  return { count: zombies.length, jobs };
}
