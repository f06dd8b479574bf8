/**
 * The durable steps' rows in PostgreSQL: which Temporal execution a task instance is
 * attached to (task_instance.external_executor_id), one row per activity attempt
 * (durable_attempt), and the task instance as an activity finds it.
 */
import type { Db } from '../db/connect.ts';
import type { StartedTask } from '../transitions/start-ti.ts';
import { rows } from '../transitions/sql.ts';

export async function readAttachment(db: Db, tiId: number): Promise<string | null> {
  const [row] = await rows<{ external_executor_id: string | null }>(db,
    'select external_executor_id from task_instance where id = ?', [tiId]);
  return row?.external_executor_id ?? null;
}

/** Only while this try is running: a try that lost the task instance must not re-point it. */
export async function saveAttachment(db: Db, tiId: number, tryNumber: number, value: string | null): Promise<boolean> {
  const done = await rows<{ id: number }>(db, `update task_instance set external_executor_id = ?
    where id = ? and try_number = ? and state = 'running' returning id`, [value, tiId, tryNumber]);
  return done.length > 0;
}

/**
 * The task instance as an activity attempt runs it. Its state is not checked: between a
 * dead worker's try and the try that re-attaches, it is `scheduled` or `queued` while
 * Temporal already retries the activity elsewhere. `dag_version_id` is the step's own.
 */
export async function loadStepTask(db: Db, tiId: number, dagVersionId: number): Promise<StartedTask | null> {
  const [row] = await rows<StartedTask>(db, `
    select ti.id, ti.dag_run_id, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number, ti.max_tries,
      coalesce(ti.start_date, now()) as start_date, coalesce(h.start_date, ti.start_date, now()) as try_started_at,
      r.logical_date, r.data_interval_start, r.data_interval_end, r.run_type, r.conf, ?::int as dag_version_id
    from task_instance ti join dag_run r on r.id = ti.dag_run_id
    left join task_instance_try h on h.ti_id = ti.id and h.try_number = ti.try_number
    where ti.id = ?`, [dagVersionId, tiId]);
  return row ?? null;
}

export interface AttemptRef { workflow_id: string; workflow_run_id: string; activity_id: string; attempt: number }

export async function startAttempt(db: Db, tiId: number, ref: AttemptRef, who: { hostname: string; workerId: string }): Promise<void> {
  await db.raw(`insert into durable_attempt (ti_id, workflow_id, workflow_run_id, activity_id, attempt, hostname, worker_id)
    values (?, ?, ?, ?, ?, ?, ?) on conflict (workflow_run_id, activity_id, attempt) do update
    set start_date = now(), end_date = null, outcome = null, error = null, hostname = excluded.hostname, worker_id = excluded.worker_id`,
  [tiId, ref.workflow_id, ref.workflow_run_id, ref.activity_id, ref.attempt, who.hostname, who.workerId]);
}

export async function endAttempt(db: Db, ref: AttemptRef, outcome: string, error: string | null): Promise<void> {
  await db.raw(`update durable_attempt set end_date = now(), outcome = ?, error = ?
    where workflow_run_id = ? and activity_id = ? and attempt = ?`,
  [outcome, error?.slice(0, 4000) ?? null, ref.workflow_run_id, ref.activity_id, ref.attempt]);
}

export interface DurableAttemptRow extends AttemptRef {
  hostname: string | null; worker_id: string | null; start_date: Date; end_date: Date | null; outcome: string | null; error: string | null;
}

export async function listAttempts(db: Db, tiId: number): Promise<DurableAttemptRow[]> {
  return rows<DurableAttemptRow>(db, `select workflow_id, workflow_run_id, activity_id, attempt, hostname, worker_id,
    start_date, end_date, outcome, error from durable_attempt where ti_id = ? order by start_date, id`, [tiId]);
}

/** The DAG file's source as a DAG version was parsed from it (null when not stored). */
export async function versionSource(db: Db, versionId: number): Promise<{ code: string } | null> {
  const [row] = await rows<{ source_code: string | null }>(db, 'select source_code from dag_version where id = ?', [versionId]);
  return row?.source_code ? { code: row.source_code } : null;
}
