/**
 * One task instance: GET .../taskInstances/{task_id} (the unmapped instance, map_index
 * -1) and .../taskInstances/{task_id}/{map_index}. Also the lookups the other
 * task-instance files share, each failing with Airflow's 404 wording.
 */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import type { DagSpec } from '../../core/dag/spec.ts';
import type { Db } from '../../core/db/connect.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { notFound, validationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { param } from './params.ts';
import { serializeTaskInstance, TI_COLUMNS, TI_FROM, type TiJoinedRow } from './serialize/task-instance.ts';

export const TI_PATH = '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id';

/** A map index from the path or the query: an integer >= -1, else 422 naming where it came from. */
export function mapIndexOf(raw: unknown, where: 'path' | 'query', fallback: number | null = -1): number | null {
  if (raw === undefined || raw === '') return fallback;
  const parsed = z.coerce.number().int().min(-1).safeParse(Array.isArray(raw) ? raw[0] : raw);
  if (!parsed.success) {
    throw validationError(where, new z.ZodError(parsed.error.issues.map((i) => ({ ...i, path: ['map_index'] }))), { map_index: raw });
  }
  return parsed.data;
}

export async function dagExists(db: Db, dagId: string): Promise<void> {
  const [dag] = await rows(db, 'select 1 from dag where dag_id = ?', [dagId]);
  if (!dag) throw notFound(`The Dag with ID: \`${dagId}\` was not found`);
}

export async function runExists(db: Db, dagId: string, runId: string): Promise<void> {
  const [run] = await rows(db, 'select 1 from dag_run where dag_id = ? and run_id = ?', [dagId, runId]);
  if (!run) throw notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
}

/** All instances of one task in one run (every map index), in map_index order. */
export async function instancesOf(db: Db, dagId: string, runId: string, taskId: string): Promise<TiJoinedRow[]> {
  return rows<TiJoinedRow>(db, `select ${TI_COLUMNS} from ${TI_FROM}
    where ti.dag_id = ? and ti.run_id = ? and ti.task_id = ? order by ti.map_index`, [dagId, runId, taskId]);
}

/** One task instance, or Airflow's 404 (which says to add the map index when the task is mapped). */
export async function findTaskInstance(db: Db, dagId: string, runId: string, taskId: string, mapIndex: number): Promise<TiJoinedRow> {
  const all = await instancesOf(db, dagId, runId, taskId);
  const ti = all.find((t) => t.map_index === mapIndex);
  if (ti) return ti;
  if (mapIndex === -1 && all.length > 0) throw notFound('Task instance is mapped, add the map_index value to the URL');
  if (mapIndex === -1) {
    throw notFound(`The Task Instance with dag_id: \`${dagId}\`, run_id: \`${runId}\` and task_id: \`${taskId}\` was not found`);
  }
  throw notFound(`The Mapped Task Instance with dag_id: \`${dagId}\`, run_id: \`${runId}\`, task_id: \`${taskId}\`, and map_index: \`${mapIndex}\` was not found`);
}

/** Task instances by id, in run then task then map index order. */
export async function tisByIds(db: Db, ids: ReadonlyArray<number | string>): Promise<TiJoinedRow[]> {
  if (ids.length === 0) return [];
  return rows<TiJoinedRow>(db, `select ${TI_COLUMNS} from ${TI_FROM} where ti.id = any(?::bigint[])
    order by r.logical_date nulls last, r.id, ti.task_id, ti.map_index`, [ids.map(String)]);
}

/** The DAG structure a run was created with (its own dag_version, not the latest). */
export async function loadSpecOfRun(db: Db, dagId: string, runId: string): Promise<DagSpec> {
  const [run] = await rows<{ dag_version_id: number }>(db, 'select dag_version_id from dag_run where dag_id = ? and run_id = ?', [dagId, runId]);
  if (!run) throw notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
  return loadSpec(db, run.dag_version_id);
}

/** The path's dag_id, dag_run_id and task_id. */
export function tiPath(req: Request) {
  return { dagId: param(req, 'dag_id'), runId: param(req, 'dag_run_id'), taskId: param(req, 'task_id') };
}

export function registerTaskInstanceGet(router: Router, r: WebResources): void {
  router.get(TI_PATH, readOrWrite(), async (req, res) => {
    const { dagId, runId, taskId } = tiPath(req);
    res.json(serializeTaskInstance(await findTaskInstance(r.db, dagId, runId, taskId, -1)));
  });
  router.get(`${TI_PATH}/:map_index`, readOrWrite(), async (req, res, next) => {
    // Named sub-resources (listMapped, tries, logs, ...) share this shape; they are registered first, but stay safe.
    if (!/^-?\d+$/.test(param(req, 'map_index'))) { next(); return; }
    const { dagId, runId, taskId } = tiPath(req);
    const mapIndex = mapIndexOf(param(req, 'map_index'), 'path')!;
    res.json(serializeTaskInstance(await findTaskInstance(r.db, dagId, runId, taskId, mapIndex)));
  });
}
