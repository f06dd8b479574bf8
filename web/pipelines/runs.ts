/**
 * POST /pipelines/{id}/run, GET /pipelines/{id}/runs, GET /pipelines/{id}/runs/{runId}.
 * A pipeline's runs are its DAG's runs. The web server cannot load DAG files itself
 * (that is the dag-processor's job, and web may not import it), so a run request just
 * after a save waits briefly until the dag-processor has loaded the latest version.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Router } from 'express';
import { z } from 'zod';
import type { DagRunRow, TaskInstanceRow } from '../../core/model/rows.ts';
import { triggerDagRun } from '../../core/transitions/trigger-run.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { PipelineSummary } from '../../core/pipelines/store.ts';
import { audit } from '../audit.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { conflict, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { body, paging, param } from '../api-v2/params.ts';
import { pipelineFile } from './definition.ts';
import { requirePipeline } from './pipelines.ts';

/** How long a run request waits for the dag-processor (it picks a written file up in well under a second). */
export const LOAD_WAIT_MS = 5000;

const RunBody = z.object({
  conf: z.record(z.string(), z.unknown()).optional(),
  run_id: z.string().trim().min(1).max(250).optional(),
  /** Omitted: now. null: a run without a logical date (Airflow 3). */
  logical_date: z.iso.datetime({ offset: true }).nullable().optional(),
}).strict();

async function waitUntilLoaded(r: WebResources, p: PipelineSummary): Promise<void> {
  const file = pipelineFile(r.config.dagsFolder, p.name);
  const deadline = Date.now() + LOAD_WAIT_MS;
  for (;;) {
    const [dag] = await rows<{ source_code: string | null }>(r.db, `select v.source_code from dag d
      join dag_version v on v.id = d.latest_version_id where d.dag_id = ? and d.is_active and d.fileloc = ?`, [p.name, file]);
    if (dag?.source_code && sameDefinition(dag.source_code, p.definition)) return;
    if (Date.now() >= deadline) {
      const [err] = await rows<{ error: string }>(r.db, 'select error from import_error where filename = ?', [file]);
      throw conflict(err
        ? `Pipeline \`${p.name}\` version ${p.version} could not be loaded: ${err.error}`
        : `Pipeline \`${p.name}\` version ${p.version} is not loaded yet${dag ? ' (an earlier version is)' : ''}: `
          + 'the dag-processor loads it from the DAGs folder; try again shortly');
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The loaded file holds this definition (compared as data: the file may have been written by hand since). */
function sameDefinition(source: string, definition: Record<string, unknown>): boolean {
  try { return isDeepStrictEqual(JSON.parse(source), definition); } catch { return false; }
}

const runView = (name: string, run: DagRunRow) => ({
  pipeline: name, dag_id: run.dag_id, run_id: run.run_id, state: run.state, run_type: run.run_type,
  logical_date: run.logical_date, data_interval_start: run.data_interval_start, data_interval_end: run.data_interval_end,
  queued_at: run.queued_at, start_date: run.start_date, end_date: run.end_date, conf: run.conf, triggered_by: run.triggered_by,
});

export function registerRunRoutes(router: Router, r: WebResources): void {
  router.post('/pipelines/:id/run', readOrWrite(), async (req, res) => {
    const p = await requirePipeline(r, param(req, 'id'));
    const b = req.body === undefined ? {} : body(req, RunBody);
    await waitUntilLoaded(r, p);
    const run = await triggerDagRun(r.db, {
      dag_id: p.name, run_id: b.run_id ?? null, conf: b.conf ?? {},
      logical_date: b.logical_date === undefined ? undefined : b.logical_date === null ? null : new Date(b.logical_date),
      triggered_by: 'rest_api',
    });
    await audit(r, res, { event: 'run_pipeline', dag_id: p.name, run_id: run.run_id, logical_date: run.logical_date,
      extra: { pipeline: p.name, version: p.version, conf: b.conf ?? {} } });
    res.json({ ...runView(p.name, run), pipeline_version: p.version });
  });

  router.get('/pipelines/:id/runs', readOrWrite(), async (req, res) => {
    const p = await requirePipeline(r, param(req, 'id'));
    const page = paging(req);
    const [count] = await rows<{ n: number }>(r.db, 'select count(*)::int as n from dag_run where dag_id = ?', [p.name]);
    const runs = await rows<DagRunRow>(r.db, `select * from dag_run where dag_id = ?
      order by coalesce(logical_date, run_after) desc, id desc limit ? offset ?`, [p.name, page.limit, page.offset]);
    res.json({ runs: runs.map((run) => runView(p.name, run)), total_entries: count?.n ?? 0 });
  });

  router.get('/pipelines/:id/runs/:runId', readOrWrite(), async (req, res) => {
    const p = await requirePipeline(r, param(req, 'id'));
    const runId = param(req, 'runId');
    const [run] = await rows<DagRunRow>(r.db, 'select * from dag_run where dag_id = ? and run_id = ?', [p.name, runId]);
    if (!run) throw notFound(`The DagRun with dag_id: \`${p.name}\` and run_id: \`${runId}\` was not found`);
    const tis = await rows<TaskInstanceRow>(r.db,
      'select * from task_instance where dag_run_id = ? order by task_id, map_index', [run.id]);
    res.json({
      ...runView(p.name, run),
      tasks: tis.map((ti) => ({
        task_id: ti.task_id, map_index: ti.map_index, state: ti.state, try_number: ti.try_number, max_tries: ti.max_tries,
        operator: ti.operator, start_date: ti.start_date, end_date: ti.end_date, duration: ti.duration,
      })),
    });
  });
}
