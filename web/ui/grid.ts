/**
 * The grid: the latest runs as columns, the DAG's tasks as rows (task groups as
 * collapsible parent rows, mapped tasks with their instance counts), one state per
 * cell. Three queries whatever the size (DAG, runs, task instances grouped by run, task
 * and state), so 100 tasks x 25 runs stays a few milliseconds (bench/ui-grid.ts).
 */
import type { Router } from 'express';
import { z } from 'zod';
import type { DagSpec } from '../../core/dag/spec.ts';
import type { Db } from '../../core/db/connect.ts';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { notFound } from '../errors.ts';
import { query } from '../api-v2/params.ts';
import type { WebResources } from '../resources.ts';

/** Which state a cell shows when a mapped task's instances differ: Airflow's grid order (worst first). */
export const STATE_PRIORITY: ReadonlyArray<string | null> = [
  'failed', 'upstream_failed', 'up_for_retry', 'up_for_reschedule', 'queued', 'scheduled', 'deferred', 'running',
  'restarting', null, 'success', 'skipped', 'removed',
];

export function dominantState(states: ReadonlyArray<string | null>): string | null {
  let best = states[0] ?? null;
  for (const s of states) if (STATE_PRIORITY.indexOf(s) < STATE_PRIORITY.indexOf(best)) best = s;
  return best;
}

export interface GridRow { id: string; label: string; kind: 'task' | 'group'; depth: number; parent: string | null; operator?: string; mapped?: boolean }

/** Rows in the DAG's (topological) task order, each group row placed before its first task. */
export function gridRows(spec: DagSpec, extraTaskIds: readonly string[] = []): GridRow[] {
  const out: GridRow[] = [];
  const seenGroups = new Set<string>();
  const addGroup = (path: string) => {
    if (seenGroups.has(path)) return;
    const parts = path.split('.');
    if (parts.length > 1) addGroup(parts.slice(0, -1).join('.'));
    seenGroups.add(path);
    out.push({ id: path, label: parts.at(-1)!, kind: 'group', depth: parts.length - 1, parent: parts.length > 1 ? parts.slice(0, -1).join('.') : null });
  };
  for (const t of spec.tasks) {
    if (t.task_group) addGroup(t.task_group);
    const depth = t.task_group ? t.task_group.split('.').length : 0;
    const label = t.task_group && t.task_id.startsWith(`${t.task_group}.`) ? t.task_id.slice(t.task_group.length + 1) : t.task_id;
    out.push({ id: t.task_id, label, kind: 'task', depth, parent: t.task_group, operator: t.operator, mapped: t.mapped !== null });
  }
  // Tasks only older runs have (removed from the DAG since) still get a row, as in Airflow.
  for (const id of extraTaskIds) out.push({ id, label: id, kind: 'task', depth: 0, parent: null });
  return out;
}

interface RunRow {
  id: number; run_id: string; state: string; run_type: string; logical_date: Date | null; run_after: Date;
  start_date: Date | null; end_date: Date | null; conf: Record<string, unknown>; note: string | null;
}

const GridQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(25) }).loose();

export async function buildGrid(db: Db, dagId: string, limit: number) {
  const [dag] = await rows<{ dag_id: string; is_paused: boolean; latest_version_id: number | null; timetable_description: string | null;
    next_dagrun: Date | null; tags: string[]; description: string | null; fileloc: string }>(db, `
    select dag_id, is_paused, latest_version_id, timetable_description, next_dagrun, tags, description, fileloc
    from dag where dag_id = ?`, [dagId]);
  if (!dag || dag.latest_version_id === null) throw notFound(`The Dag with ID: \`${dagId}\` was not found`);
  const spec = await loadSpec(db, dag.latest_version_id);
  const runs = (await rows<RunRow>(db, `
    select id, run_id, state, run_type, logical_date, run_after, start_date, end_date, conf, note from dag_run
    where dag_id = ? order by run_after desc, id desc limit ?`, [dagId, limit])).reverse();
  const counts = runs.length === 0 ? [] : await rows<{ dag_run_id: number; task_id: string; state: string | null; n: number }>(db, `
    select dag_run_id, task_id, state, count(*)::int as n from task_instance
    where dag_run_id = any(?::bigint[]) group by dag_run_id, task_id, state`, [runs.map((x) => x.id)]);
  const runIdOf = new Map(runs.map((x) => [Number(x.id), x.run_id]));
  // cells[task_id][run_id] = {state, states: {state: count}, count}
  const cells: Record<string, Record<string, { state: string | null; count: number; states: Record<string, number> }>> = {};
  for (const c of counts) {
    const runId = runIdOf.get(Number(c.dag_run_id))!;
    const byRun = (cells[c.task_id] ??= {});
    const cell = (byRun[runId] ??= { state: c.state, count: 0, states: {} });
    cell.count += c.n;
    cell.states[c.state ?? 'none'] = c.n;
    cell.state = dominantState(Object.keys(cell.states).map((s) => (s === 'none' ? null : s)));
  }
  const known = new Set(spec.tasks.map((t) => t.task_id));
  const extra = Object.keys(cells).filter((id) => !known.has(id)).sort();
  const now = Date.now();
  return {
    dag: { ...dag, params: spec.params },
    runs: runs.map((x) => ({
      run_id: x.run_id, state: x.state, run_type: x.run_type, logical_date: x.logical_date, run_after: x.run_after,
      start_date: x.start_date, end_date: x.end_date, conf: x.conf, note: x.note,
      duration: x.start_date ? ((x.end_date?.getTime() ?? now) - x.start_date.getTime()) / 1000 : null,
    })),
    rows: gridRows(spec, extra),
    cells,
  };
}

export function registerUiGrid(router: Router, r: WebResources): void {
  router.get('/grid/:dag_id', readOrWrite(), async (req, res) => {
    const { limit } = query(req, GridQuery);
    res.json(await buildGrid(r.db, String(req.params.dag_id), limit));
  });
}
