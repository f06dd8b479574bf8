/**
 * DAG runs and backfills in Airflow's response shape (DAGRunResponse, BackfillResponse).
 * One SELECT list per kind feeds every endpoint (list, get, trigger, patch, clear, the
 * batch list), so they always agree. The UI may import this too.
 */
import type { Request } from 'express';
import { z } from 'zod';
import type { Db } from '../../../core/db/connect.ts';
import { rows } from '../../../core/transitions/sql.ts';
import { notFound } from '../../errors.ts';
import type { WebResources } from '../../resources.ts';
import type { Page } from '../params.ts';
import { patternFilter } from '../params-extra.ts';
import { iso, serializeTaskInstance, TI_COLUMNS, TI_FROM, uuidOf, type TiJoinedRow } from './task-instance.ts';

/** Every run query reads from this: the run and the DAG version it was created with. */
export const RUN_FROM = 'dag_run r left join dag_version v on v.id = r.dag_version_id';

export const RUN_COLUMNS = `r.id, r.dag_id, r.run_id, r.run_type, r.state, r.logical_date, r.data_interval_start,
  r.data_interval_end, r.run_after, r.queued_at, r.start_date, r.end_date, r.conf, r.note, r.triggered_by,
  r.last_scheduling_decision, r.updated_at, r.backfill_id, r.dag_version_id, v.version_number,
  v.created_at as version_created_at`;

export interface RunJoinedRow {
  id: number | string; dag_id: string; run_id: string; run_type: string; state: string;
  logical_date: Date | null; data_interval_start: Date | null; data_interval_end: Date | null; run_after: Date;
  queued_at: Date | null; start_date: Date | null; end_date: Date | null; conf: Record<string, unknown> | null;
  note: string | null; triggered_by: string | null; last_scheduling_decision: Date | null; updated_at: Date;
  backfill_id: number | null; dag_version_id: number | null; version_number: number | null; version_created_at: Date | null;
}

// Airflow's DagRunTriggeredByType; Updraft's own spellings map onto it, anything else is null.
const TRIGGERED_BY = new Set(['cli', 'operator', 'rest_api', 'ui', 'test', 'timetable', 'asset', 'backfill']);
const TRIGGERED_BY_ALIASES: Record<string, string> = { scheduler: 'timetable' };

function triggeredBy(v: string | null): string | null {
  if (!v) return null;
  const mapped = TRIGGERED_BY_ALIASES[v] ?? v;
  return TRIGGERED_BY.has(mapped) ? mapped : null;
}

export function serializeDagRun(row: RunJoinedRow): Record<string, unknown> {
  const duration = row.start_date && row.end_date
    ? (new Date(row.end_date).getTime() - new Date(row.start_date).getTime()) / 1000 : null;
  return {
    dag_run_id: row.run_id, dag_id: row.dag_id, dag_display_name: row.dag_id,
    logical_date: iso(row.logical_date), queued_at: iso(row.queued_at), start_date: iso(row.start_date),
    end_date: iso(row.end_date), duration, data_interval_start: iso(row.data_interval_start),
    data_interval_end: iso(row.data_interval_end), run_after: iso(row.run_after),
    last_scheduling_decision: iso(row.last_scheduling_decision), run_type: row.run_type, state: row.state,
    triggered_by: triggeredBy(row.triggered_by), triggering_user_name: null, conf: row.conf ?? {}, note: row.note,
    bundle_version: null, partition_key: null,
    // Airflow lists every version the run's tasks ran with; an Updraft run keeps the one it was created with.
    dag_versions: row.dag_version_id === null ? [] : [{
      id: uuidOf('dag_version', row.dag_version_id), version_number: row.version_number ?? 1, dag_id: row.dag_id,
      bundle_name: null, bundle_version: null, bundle_url: null, dag_display_name: row.dag_id,
      created_at: iso(row.version_created_at) ?? new Date(0).toISOString(),
    }],
  };
}

/** ISO-8601 date-times as pydantic reads them; a value without a zone is UTC. */
export const isoDate = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(s)
  && !Number.isNaN(Date.parse(withZone(s))), { message: 'Input should be a valid datetime' }).transform((s) => new Date(withZone(s)));

function withZone(s: string): string {
  const t = s.replace(' ', 'T');
  return /T/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(t) ? `${t}Z` : t;
}

/** Run columns a filter or sort may name, each mapped to its SQL (user text never reaches SQL). */
export const RANGE_FIELDS = {
  run_after: 'r.run_after', logical_date: 'r.logical_date', start_date: 'r.start_date', end_date: 'r.end_date',
  updated_at: 'r.updated_at',
} as const;
export const DURATION_SQL = 'extract(epoch from (r.end_date - r.start_date))';
export const OPS = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;
export const RUN_ORDER: Readonly<Record<string, string>> = {
  id: 'r.id', state: 'r.state', dag_id: 'r.dag_id', run_id: 'r.run_id', dag_run_id: 'r.run_id',
  logical_date: 'r.logical_date', run_after: 'r.run_after', start_date: 'r.start_date', end_date: 'r.end_date',
  updated_at: 'r.updated_at', conf: 'r.conf::text', duration: DURATION_SQL,
};

export interface RunFilter {
  dagIds?: string[];
  ranges: Array<{ sql: string; op: string; value: Date | number }>;
  states?: string[];
  runTypes?: string[];
  runIdPattern?: string;
  dagIdPattern?: string;
  confContains?: string;
  versionNumbers?: number[];
}

/** One page of runs and the total count for `f`, ordered by `order` (from params.orderBy). */
export async function selectRuns(r: WebResources, f: RunFilter, page: Page, order: string) {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.dagIds) { where.push('r.dag_id = any(?::text[])'); args.push(f.dagIds); }
  for (const range of f.ranges) { where.push(`${range.sql} ${range.op} ?`); args.push(range.value); }
  if (f.states?.length) { where.push('r.state = any(?::text[])'); args.push(f.states); }
  if (f.runTypes?.length) { where.push('r.run_type = any(?::text[])'); args.push(f.runTypes); }
  // `~` matches everything; `a | b` either (patternFilter, shared with the other resources).
  for (const [column, pattern] of [['r.run_id', f.runIdPattern], ['r.dag_id', f.dagIdPattern]] as const) {
    const p = pattern === '~' ? null : patternFilter(column, pattern);
    if (p) { where.push(p.sql); args.push(p.binding); }
  }
  if (f.confContains) { where.push('strpos(r.conf::text, ?) > 0'); args.push(f.confContains); }
  if (f.versionNumbers?.length) { where.push('v.version_number = any(?::int[])'); args.push(f.versionNumbers); }
  const cond = where.length ? `where ${where.join(' and ')}` : '';
  const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n from ${RUN_FROM} ${cond}`, args);
  const found = await rows<RunJoinedRow>(r.db,
    `select ${RUN_COLUMNS} from ${RUN_FROM} ${cond} order by ${order} limit ? offset ?`, [...args, page.limit, page.offset]);
  return { dag_runs: found.map(serializeDagRun), total_entries: count?.n ?? 0 };
}

/** Task instances by id, in Airflow's shape (the clear endpoints answer with them). */
export async function taskInstancesById(r: WebResources, ids: number[]): Promise<Record<string, unknown>[]> {
  const found = await rows<TiJoinedRow>(r.db, `select ${TI_COLUMNS} from ${TI_FROM} where ti.id = any(?::bigint[])
    order by r.logical_date nulls last, r.id, ti.task_id, ti.map_index`, [ids]);
  return found.map(serializeTaskInstance);
}

export const runNotFoundDetail = (dagId: string, runId: string) =>
  `The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`;

/** The run named by the path, or a 404 in Airflow's words. */
export async function findRun(db: Db, dagId: string, runId: string): Promise<RunJoinedRow> {
  const [row] = await rows<RunJoinedRow>(db, `select ${RUN_COLUMNS} from ${RUN_FROM} where r.dag_id = ? and r.run_id = ?`, [dagId, runId]);
  if (!row) throw notFound(runNotFoundDetail(dagId, runId));
  return row;
}

/** `dag_id` and `dag_run_id` from the path. */
export function runPath(req: Request): { dagId: string; runId: string } {
  return { dagId: String(req.params.dag_id), runId: String(req.params.dag_run_id) };
}

export interface BackfillRow {
  id: number; dag_id: string; from_date: Date; to_date: Date; reprocess_behavior: string; max_active_runs: number;
  dag_run_conf: Record<string, unknown> | null; is_paused: boolean; created_at: Date; completed_at: Date | null;
}

/**
 * Backfill columns. Updraft's scheduler does not stamp `completed_at`, so a backfill
 * counts as completed once none of its runs is queued or running (at the latest end
 * date of its runs); cancel stamps it explicitly. There is no updated_at column: the
 * latest of created and completed stands in for it.
 */
export const BACKFILL_COLUMNS = `b.id, b.dag_id, b.from_date, b.to_date, b.reprocess_behavior, b.max_active_runs,
  b.dag_run_conf, b.is_paused, b.created_at,
  coalesce(b.completed_at, case when not exists (select 1 from dag_run x where x.backfill_id = b.id
    and x.state in ('queued', 'running')) then (select coalesce(max(x.end_date), b.created_at) from dag_run x
    where x.backfill_id = b.id) end) as completed_at`;

export function serializeBackfill(b: BackfillRow): Record<string, unknown> {
  const created = new Date(b.created_at);
  const completed = b.completed_at ? new Date(b.completed_at) : null;
  return {
    id: b.id, dag_id: b.dag_id, dag_display_name: b.dag_id, from_date: iso(b.from_date), to_date: iso(b.to_date),
    dag_run_conf: b.dag_run_conf ?? {}, is_paused: b.is_paused, reprocess_behavior: b.reprocess_behavior,
    max_active_runs: b.max_active_runs, created_at: created.toISOString(), completed_at: iso(completed),
    updated_at: (completed && completed > created ? completed : created).toISOString(),
  };
}
