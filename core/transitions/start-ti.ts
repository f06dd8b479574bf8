/**
 * queued → running for tries, several in one statement (no explicit transaction): the
 * task instances, their try rows and their runs' context come back together. A job
 * whose try is no longer queued (a duplicate, or a task cleared meanwhile) gets null and
 * is dropped.
 */
import type { Db } from '../db/connect.ts';
import type { RunType } from '../model/states.ts';
import { rows } from './sql.ts';

export interface StartedTask {
  id: number;
  dag_run_id: number;
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  try_number: number;
  max_tries: number;
  start_date: Date;
  /** When this try first started: the same across a rescheduled sensor's runs. */
  try_started_at: Date;
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  run_type: RunType;
  conf: Record<string, unknown>;
  dag_version_id: number;
}

export interface WorkerIdentity { workerId: string; hostname: string; pid: number }

export interface StartRequest { ti_id: number; try_number: number; start: string }

export async function startTaskInstances(db: Db, reqs: readonly StartRequest[], who: WorkerIdentity): Promise<Array<StartedTask | null>> {
  const started = await rows<StartedTask>(db, `
    with req as (
      select * from jsonb_to_recordset(?::jsonb) as r(ti_id bigint, try_number int, start timestamptz)
    ), t as (
      update task_instance ti set state = 'running', start_date = req.start, end_date = null, duration = null,
        hostname = ?, pid = ?, worker_id = ?, updated_at = now()
      from req
      where ti.id = req.ti_id and ti.state = 'queued' and ti.try_number = req.try_number
      returning ti.*
    ), h as (
      insert into task_instance_try (ti_id, try_number, state, start_date, hostname, pid, worker_id)
      select id, try_number, 'running', start_date, hostname, pid, worker_id from t
      on conflict (ti_id, try_number) do update set state = 'running',
        -- a rescheduled try goes on: its start stays the first one (a sensor's timeout counts from it)
        start_date = case when task_instance_try.state = 'up_for_reschedule' then task_instance_try.start_date
                          else excluded.start_date end,
        end_date = null, hostname = excluded.hostname, pid = excluded.pid, worker_id = excluded.worker_id
      returning ti_id, start_date
    )
    select t.id, t.dag_run_id, t.dag_id, t.run_id, t.task_id, t.map_index, t.try_number, t.max_tries,
      t.start_date, h.start_date as try_started_at, r.logical_date, r.data_interval_start, r.data_interval_end,
      r.run_type, r.conf, r.dag_version_id
    from t join dag_run r on r.id = t.dag_run_id join h on h.ti_id = t.id`,
  [JSON.stringify(reqs), who.hostname, who.pid, who.workerId]);
  const byId = new Map(started.map((s) => [s.id, s]));
  return reqs.map((r) => byId.get(r.ti_id) ?? null);
}
