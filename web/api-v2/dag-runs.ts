/**
 * DAG runs: list (also across DAGs with `~`), trigger, get, delete and clear, under
 * `/dags/{dag_id}/dagRuns`. Filters are Airflow's (`*_gte|gt|lte|lt` date ranges,
 * repeatable `state` and `run_type`, `run_id_pattern`, ...); every value is bound, and
 * `order_by` goes through the whitelist in params.ts. The batch list (dag-runs-batch.ts)
 * shares `selectRuns` (serialize/dag-run.ts). `registerDagRunApi` registers every run
 * and backfill route of /api/v2 (this file's and its siblings').
 */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { DAG_RUN_STATES, RUN_TYPES } from '../../core/model/states.ts';
import { clearTaskInstances, findClearTargets } from '../../core/transitions/clear.ts';
import { rows } from '../../core/transitions/sql.ts';
import { triggerDagRun } from '../../core/transitions/trigger-run.ts';
import { audit } from '../audit.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { badRequest, notFound, ValidationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { registerBackfills } from './backfills.ts';
import { registerClearTaskInstances } from './clear-task-instances.ts';
import { registerDagRunPatch } from './dag-run-patch.ts';
import { registerDagRunWait } from './dag-run-wait.ts';
import { registerDagRunsBatch } from './dag-runs-batch.ts';
import { body, list, orderBy, paging, single } from './params.ts';
import {
  DURATION_SQL, findRun, isoDate, OPS, RANGE_FIELDS, RUN_ORDER, runPath, selectRuns, serializeDagRun, taskInstancesById,
  type RunFilter,
} from './serialize/dag-run.ts';

const RUN_TYPE_VALUES: readonly string[] = [...RUN_TYPES, 'asset_materialization'];

/** A filter value that must be one of `allowed` (422 naming the parameter otherwise). */
export function checkValues(where: 'query' | 'body', name: string, values: string[], allowed: readonly string[]): string[] {
  const bad = values.find((v) => !allowed.includes(v));
  if (bad !== undefined) {
    throw new ValidationError([{ type: 'enum', loc: [where, name], msg: `Input should be ${allowed.map((a) => `'${a}'`).join(', ')}`, input: bad }]);
  }
  return values;
}

function queryFilter(req: Request): RunFilter {
  const f: RunFilter = { ranges: [] };
  const numbers = (name: string, raw: string, integer = false): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new ValidationError([{ type: integer ? 'int_parsing' : 'float_parsing', loc: ['query', name], msg: `Input should be a valid ${integer ? 'integer' : 'number'}`, input: raw }]);
    }
    return n;
  };
  for (const [field, sql] of Object.entries({ ...RANGE_FIELDS, duration: DURATION_SQL })) {
    for (const [suffix, op] of Object.entries(OPS)) {
      const name = `${field}_${suffix}`;
      const raw = single(req.query[name]);
      if (raw === undefined || raw === '') continue;
      if (field === 'duration') { f.ranges.push({ sql, op, value: numbers(name, raw) }); continue; }
      const parsed = isoDate.safeParse(raw);
      if (!parsed.success) throw new ValidationError([{ type: 'datetime_parsing', loc: ['query', name], msg: 'Input should be a valid datetime', input: raw }]);
      f.ranges.push({ sql, op, value: parsed.data });
    }
  }
  f.states = checkValues('query', 'state', list(req, 'state'), DAG_RUN_STATES);
  f.runTypes = checkValues('query', 'run_type', list(req, 'run_type'), RUN_TYPE_VALUES);
  f.versionNumbers = list(req, 'dag_version').map((v) => numbers('dag_version', v, true));
  f.runIdPattern = single(req.query.run_id_pattern) || undefined;
  f.dagIdPattern = single(req.query.dag_id_pattern) || undefined;
  f.confContains = single(req.query.conf_contains) || undefined;
  return f;
}

export async function requireDag(r: WebResources, dagId: string): Promise<void> {
  const [dag] = await rows(r.db, 'select 1 from dag where dag_id = ?', [dagId]);
  if (!dag) throw notFound(`The Dag with ID: \`${dagId}\` was not found`);
}

const TriggerBody = z.object({
  dag_run_id: z.string().min(1).max(250).nullish(),
  logical_date: isoDate.nullish(),
  data_interval_start: isoDate.nullish(),
  data_interval_end: isoDate.nullish(),
  run_after: isoDate.nullish(),
  conf: z.record(z.string(), z.unknown()).nullish(),
  note: z.string().max(1000).nullish(),
  partition_key: z.string().nullish(),
}).strict().refine((b) => (b.data_interval_start == null) === (b.data_interval_end == null), {
  message: 'Value error, Either both data_interval_start and data_interval_end must be provided or both must be None',
  path: ['data_interval_end'],
});

const ClearRunBody = z.object({
  dry_run: z.boolean().default(true),
  only_failed: z.boolean().default(false),
  run_on_latest_version: z.boolean().default(false),
}).strict();

export function registerDagRunApi(router: Router, r: WebResources): void {
  registerDagRuns(router, r);
  registerDagRunsBatch(router, r);
  registerDagRunPatch(router, r);
  registerDagRunWait(router, r);
  registerClearTaskInstances(router, r);
  registerBackfills(router, r);
}

function registerDagRuns(router: Router, r: WebResources): void {
  router.get('/dags/:dag_id/dagRuns', readOrWrite(), async (req, res) => {
    const dagId = String(req.params.dag_id);
    // `~` lists the runs of every DAG (Airflow's wildcard).
    if (dagId !== '~') await requireDag(r, dagId);
    const f = queryFilter(req);
    if (dagId !== '~') f.dagIds = [dagId];
    res.json(await selectRuns(r, f, paging(req), orderBy(req, RUN_ORDER, 'id', 'r.id')));
  });

  router.post('/dags/:dag_id/dagRuns', readOrWrite(), async (req, res) => {
    const dagId = String(req.params.dag_id);
    const b = body(req, TriggerBody);
    const [dag] = await rows<{ is_active: boolean; fileloc: string }>(r.db, 'select is_active, fileloc from dag where dag_id = ?', [dagId]);
    if (!dag || !dag.is_active) throw notFound(`DAG with dag_id: '${dagId}' not found`);
    const [broken] = await rows(r.db, 'select 1 from import_error where filename = ?', [dag.fileloc]);
    if (broken) throw badRequest(`DAG with dag_id: '${dagId}' has import errors and cannot be triggered`);
    const logical = b.logical_date ?? null;
    // As in Airflow, a data interval only applies to a run with a logical date.
    const interval = logical && b.data_interval_start && b.data_interval_end
      ? { start: b.data_interval_start, end: b.data_interval_end } : null;
    if (interval && interval.start > interval.end) throw badRequest('data_interval_start must not be after data_interval_end');
    const run = await triggerDagRun(r.db, {
      dag_id: dagId, run_id: b.dag_run_id ?? undefined, logical_date: logical, conf: b.conf ?? {},
      data_interval: interval, run_after: b.run_after ?? null, note: b.note ?? null, triggered_by: 'rest_api',
    });
    await audit(r, res, { event: 'trigger_dag_run', dag_id: dagId, run_id: run.run_id, logical_date: logical, extra: req.body });
    res.json(serializeDagRun(await findRun(r.db, dagId, run.run_id)));
  });

  router.get('/dags/:dag_id/dagRuns/:dag_run_id', readOrWrite(), async (req, res) => {
    const { dagId, runId } = runPath(req);
    res.json(serializeDagRun(await findRun(r.db, dagId, runId)));
  });

  router.delete('/dags/:dag_id/dagRuns/:dag_run_id', readOrWrite(), async (req, res) => {
    const { dagId, runId } = runPath(req);
    const run = await findRun(r.db, dagId, runId);
    // Task instances, tries, XComs and logs go with the run (ON DELETE CASCADE).
    await r.db.raw('delete from dag_run where id = ?', [run.id]);
    await audit(r, res, { event: 'delete_dag_run', dag_id: dagId, run_id: runId, logical_date: run.logical_date });
    res.status(204).end();
  });

  router.post('/dags/:dag_id/dagRuns/:dag_run_id/clear', readOrWrite(), async (req, res) => {
    const { dagId, runId } = runPath(req);
    const b = body(req, ClearRunBody);
    const run = await findRun(r.db, dagId, runId);
    const targets = await findClearTargets(r.db, { dag_id: dagId, run_ids: [Number(run.id)], only_failed: b.only_failed });
    const ids = targets.map((t) => t.id);
    if (b.dry_run) {
      const tis = await taskInstancesById(r, ids);
      res.json({ task_instances: tis, total_entries: tis.length });
      return;
    }
    await clearTaskInstances(r.db, ids);
    await audit(r, res, { event: 'clear_dag_run', dag_id: dagId, run_id: runId, logical_date: run.logical_date,
      extra: { only_failed: b.only_failed, cleared: ids.length } });
    res.json(serializeDagRun(await findRun(r.db, dagId, runId)));
  });
}
