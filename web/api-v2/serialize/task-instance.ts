/**
 * Task instances (and their tries) in Airflow's response shape: TaskInstanceResponse and
 * TaskInstanceHistoryResponse. One SELECT list (`TI_COLUMNS`, over `task_instance ti`
 * joined to `dag_run r` and `dag_version v`) feeds every endpoint, so the list, the
 * single get and the PATCH answer always agree. The UI imports this too.
 */
import type { TaskStateOrNone } from '../../../core/model/states.ts';

/** Joins every TI query uses: the run (dates, version) and the version it was created with. */
export const TI_FROM = `task_instance ti join dag_run r on r.id = ti.dag_run_id
  left join dag_version v on v.id = r.dag_version_id`;

export const TI_COLUMNS = `ti.id, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.state, ti.try_number, ti.max_tries,
  ti.operator, ti.pool, ti.pool_slots, ti.queue, ti.priority_weight, ti.scheduled_dttm, ti.queued_dttm, ti.start_date,
  ti.end_date, ti.duration, ti.hostname, ti.pid, ti.note, ti.dag_run_id, r.logical_date, r.run_after,
  v.id as version_id, v.version_number, v.created_at as version_created_at`;

export interface TiJoinedRow {
  id: number | string;
  dag_id: string; run_id: string; task_id: string; map_index: number; state: TaskStateOrNone;
  try_number: number; max_tries: number; operator: string; pool: string; pool_slots: number; queue: string;
  priority_weight: number; scheduled_dttm: Date | null; queued_dttm: Date | null; start_date: Date | null;
  end_date: Date | null; duration: number | null; hostname: string | null; pid: number | null; note: string | null;
  dag_run_id: number | string; logical_date: Date | null; run_after: Date;
  version_id: number | null; version_number: number | null; version_created_at: Date | null;
}

/**
 * Airflow's ids are UUIDs; Updraft's are integers. The integer is spelled as the last
 * group of a fixed UUID (the kind in the first group), so ids stay stable, unique per
 * kind and readable back.
 */
export function uuidOf(kind: 'ti' | 'dag_version', id: number | string): string {
  // dag_version matches serialize/dag.ts's dagVersionUuid (prefix 0), so a version has one id everywhere.
  const prefix = kind === 'dag_version' ? '00000000' : '00000001';
  return `${prefix}-0000-4000-8000-${BigInt(id).toString(16).padStart(12, '0')}`;
}

export const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

function dagVersion(row: TiJoinedRow) {
  if (row.version_id === null || row.version_id === undefined) return null;
  return {
    id: uuidOf('dag_version', row.version_id), version_number: row.version_number ?? 1, dag_id: row.dag_id,
    bundle_name: null, bundle_version: null, bundle_url: null,
    created_at: iso(row.version_created_at) ?? new Date(0).toISOString(), dag_display_name: row.dag_id,
  };
}

/** Fields a task instance and one of its tries share. */
function common(row: TiJoinedRow) {
  return {
    task_id: row.task_id, dag_id: row.dag_id, dag_run_id: row.run_id, map_index: row.map_index,
    start_date: iso(row.start_date), end_date: iso(row.end_date), duration: row.duration,
    state: row.state, try_number: row.try_number, max_tries: row.max_tries,
    task_display_name: row.task_id, dag_display_name: row.dag_id,
    hostname: row.hostname, unixname: null, pool: row.pool, pool_slots: row.pool_slots, queue: row.queue,
    priority_weight: row.priority_weight, operator: row.operator, operator_name: row.operator,
    queued_when: iso(row.queued_dttm), scheduled_when: iso(row.scheduled_dttm), pid: row.pid,
    executor: null, executor_config: '{}', dag_version: dagVersion(row),
  };
}

export function serializeTaskInstance(row: TiJoinedRow): Record<string, unknown> {
  return {
    id: uuidOf('ti', row.id), ...common(row),
    logical_date: iso(row.logical_date), run_after: iso(row.run_after), note: row.note,
    // Set only by a map_index_template in Airflow, which Updraft does not have.
    rendered_map_index: null,
    rendered_fields: {}, trigger: null, triggerer_job: null,
  };
}

/** One try (a task_instance_try row) over the columns of its task instance. */
export interface TryRow {
  try_number: number; state: TaskStateOrNone; start_date: Date | null; end_date: Date | null;
  duration: number | null; hostname: string | null; pid: number | null;
}

export function serializeTry(ti: TiJoinedRow, t: TryRow): Record<string, unknown> {
  const base = common(ti);
  return {
    ...base, try_number: t.try_number, state: t.state, start_date: iso(t.start_date), end_date: iso(t.end_date),
    duration: t.duration, hostname: t.hostname, pid: t.pid,
  };
}
