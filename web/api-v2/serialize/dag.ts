/**
 * DAG rows → Airflow 3's DAGResponse, DAGDetailsResponse and DagVersionResponse. Other
 * resources (runs, the UI) import these so a DAG looks the same everywhere. Fields
 * Updraft has no notion of (bundles, display names, favourites) get Airflow's defaults.
 */
import path from 'node:path';
import type { DagSpec } from '../../../core/dag/spec.ts';
import type { DagRow } from '../../../core/model/rows.ts';
import { paramsJson } from './task.ts';

/** Airflow's name for the one bundle a plain dags folder is. */
export const BUNDLE_NAME = 'dags-folder';

/** A `dag` row plus what the API computes beside it (see DAG_SELECT). */
export interface DagApiRow extends DagRow {
  has_import_errors: boolean;
  has_task_concurrency_limits: boolean;
}

/**
 * Select list for DagApiRow from `dag d`: import errors are per file, task caps live in
 * the latest serialized version. Everything here is fixed text, no user input.
 */
export const DAG_SELECT = `d.*,
  exists(select 1 from import_error ie where ie.filename = d.fileloc) as has_import_errors,
  exists(select 1 from dag_version v, jsonb_array_elements(v.serialized->'tasks') t
    where v.id = d.latest_version_id and jsonb_typeof(t->'max_active_tis_per_dag') = 'number') as has_task_concurrency_limits`;

export const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());

/** Airflow's owner when a DAG names none. */
export const DEFAULT_OWNER = 'airflow';

/** Airflow stores owners as one comma-separated string and answers a list. */
export function ownersList(owners: string | null): string[] {
  const list = (owners ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  return list.length ? list : [DEFAULT_OWNER];
}

export function dagJson(d: DagApiRow, dagsFolder: string): Record<string, unknown> {
  const relative = path.relative(dagsFolder, d.fileloc);
  return {
    dag_id: d.dag_id,
    dag_display_name: d.dag_id,
    is_paused: d.is_paused,
    is_stale: !d.is_active,
    last_parsed_time: iso(d.last_parsed_at),
    last_parse_duration: null,
    last_expired: null,
    bundle_name: BUNDLE_NAME,
    bundle_version: null,
    relative_fileloc: relative.startsWith('..') ? null : relative,
    fileloc: d.fileloc,
    description: d.description,
    // Airflow's summary is the schedule as written ("0 6 * * *", "@once", "None").
    timetable_summary: d.timetable_description,
    timetable_description: d.timetable_description,
    timetable_partitioned: false,
    tags: tagsJson(d.dag_id, d.tags),
    max_active_tasks: d.max_active_tasks,
    max_active_runs: d.max_active_runs,
    max_consecutive_failed_dag_runs: 0,
    has_task_concurrency_limits: d.has_task_concurrency_limits,
    has_import_errors: d.has_import_errors,
    next_dagrun_logical_date: iso(d.next_dagrun),
    next_dagrun_data_interval_start: iso(d.next_dagrun_data_interval_start),
    next_dagrun_data_interval_end: iso(d.next_dagrun_data_interval_end),
    next_dagrun_run_after: iso(d.next_dagrun_create_after),
    allowed_run_types: null,
    owners: ownersList(d.owners),
    // Airflow signs the file location; the DAG source endpoint takes the dag_id in v2, so an opaque token is enough.
    file_token: Buffer.from(d.fileloc).toString('base64url'),
  };
}

export function tagsJson(dagId: string, tags: string[]): Array<Record<string, string>> {
  return [...tags].sort().map((name) => ({ name, dag_id: dagId, dag_display_name: dagId }));
}

export interface DagVersionRow { id: number; dag_id: string; version_number: number; created_at: Date }

/**
 * Airflow's dag_version ids are UUIDs; Updraft's are integers. A fixed-prefix UUID
 * carrying the integer keeps the spec's format and maps back (see dagVersionIdOf).
 */
export function dagVersionUuid(id: number): string {
  return `00000000-0000-4000-8000-${id.toString(16).padStart(12, '0')}`;
}

export function dagVersionIdOf(uuid: string): number | null {
  const m = /^00000000-0000-4000-8000-([0-9a-f]{12})$/i.exec(uuid);
  return m ? parseInt(m[1]!, 16) : null;
}

export function dagVersionJson(v: DagVersionRow): Record<string, unknown> {
  return {
    id: dagVersionUuid(v.id),
    version_number: v.version_number,
    dag_id: v.dag_id,
    bundle_name: BUNDLE_NAME,
    bundle_version: null,
    created_at: iso(v.created_at),
    dag_display_name: v.dag_id,
    bundle_url: null,
  };
}

/** DAGDetailsResponse: DAGResponse plus what the serialized DAG knows. */
export function dagDetailsJson(d: DagApiRow, spec: DagSpec | null, extra: {
  dagsFolder: string; latestVersion: DagVersionRow | null; activeRuns: number; pausedAtCreation: boolean;
}): Record<string, unknown> {
  const timeout = spec?.dagrun_timeout_ms ?? null;
  return {
    ...dagJson(d, extra.dagsFolder),
    catchup: spec?.catchup ?? false,
    dag_run_timeout: timeout === null ? null : isoDuration(timeout),
    asset_expression: spec?.schedule.kind === 'assets' ? { all: spec.schedule.uris.map((uri) => ({ asset: { uri, name: uri } })) } : null,
    doc_md: null,
    start_date: spec?.start_date ?? null,
    end_date: spec?.end_date ?? null,
    is_paused_upon_creation: extra.pausedAtCreation,
    params: spec ? paramsJson(spec.params) : null,
    render_template_as_native_obj: false,
    template_search_path: null,
    timezone: spec?.timezone ?? null,
    last_parsed: iso(d.last_parsed_at),
    default_args: null,
    owner_links: null,
    is_favorite: false,
    active_runs_count: extra.activeRuns,
    // Left out when unknown, for the same $ref-and-nullable reason as a task's execution_timeout.
    ...(extra.latestVersion ? { latest_dag_version: dagVersionJson(extra.latestVersion) } : {}),
    concurrency: d.max_active_tasks,
  };
}

/** Milliseconds → ISO-8601 duration the way pydantic writes a timedelta: "PT3600S", "P1DT60S", "P2D". */
export function isoDuration(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const seconds = +((ms - days * 86_400_000) / 1000).toFixed(6);
  if (days && !seconds) return `P${days}D`;
  return `P${days ? `${days}D` : ''}T${seconds}S`;
}
