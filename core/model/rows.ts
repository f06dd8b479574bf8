/** Rows of the metadata tables, as the database layer returns them. */
import type { DagRunState, RunType, TaskStateOrNone } from './states.ts';

export interface DagRow {
  dag_id: string;
  fileloc: string;
  is_paused: boolean;
  is_active: boolean;
  description: string | null;
  tags: string[];
  owners: string | null;
  timetable: unknown;
  timetable_description: string | null;
  max_active_runs: number;
  max_active_tasks: number;
  next_dagrun: Date | null;
  next_dagrun_data_interval_start: Date | null;
  next_dagrun_data_interval_end: Date | null;
  next_dagrun_create_after: Date | null;
  latest_version_id: number | null;
  last_parsed_at: Date | null;
}

export interface DagRunRow {
  id: number;
  dag_id: string;
  run_id: string;
  run_type: RunType;
  state: DagRunState;
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  run_after: Date;
  queued_at: Date | null;
  start_date: Date | null;
  end_date: Date | null;
  conf: Record<string, unknown>;
  dag_version_id: number;
  backfill_id: number | null;
  clear_number: number;
  triggered_by: string | null;
}

export interface TaskInstanceRow {
  id: number;
  dag_run_id: number;
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  state: TaskStateOrNone;
  try_number: number;
  max_tries: number;
  operator: string;
  pool: string;
  pool_slots: number;
  queue: string;
  priority_weight: number;
  start_date: Date | null;
  end_date: Date | null;
  duration: number | null;
  hostname: string | null;
  worker_id: string | null;
  next_retry_at: Date | null;
  reschedule_at: Date | null;
  queued_dttm: Date | null;
}
