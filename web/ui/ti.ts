/**
 * The task instance panel: state, tries, duration, rendered templates, XCom, "why is it
 * not running" (core's explainTaskInstance, the scheduler's own rules), the Temporal
 * execution of a durable step or temporal_workflow task (durable.ts) and the log, read
 * from an id onwards so the browser can follow it while the task runs.
 */
import type { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../core/db/connect.ts';
import { loadTemplateConnections } from '../../core/connections/manage-connections.ts';
import { fromUrl, METADATA_CONN_ID } from '../../core/connections/get-connection.ts';
import { loadTemplateVariables } from '../../core/variables/variables.ts';
import { buildTemplateContext, renderFields, templateNeeds, type ConnectionView } from '../../core/templating/index.ts';
import { explainTaskInstance } from '../../core/transitions/explain.ts';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Config } from '../../core/config.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { durableStepView, temporalWorkflowView } from './durable.ts';
import { notFound } from '../errors.ts';
import { query } from '../api-v2/params.ts';
import type { WebResources } from '../resources.ts';

const TiQuery = z.object({ map_index: z.coerce.number().int().min(-1).default(-1) }).loose();
const LogQuery = TiQuery.extend({
  try_number: z.coerce.number().int().min(0).optional(),
  after: z.coerce.number().int().min(0).default(0),
});

interface TiRow {
  id: number; dag_run_id: number; task_id: string; map_index: number; state: string | null; try_number: number; max_tries: number;
  operator: string; pool: string; queue: string; priority_weight: number; start_date: Date | null; end_date: Date | null;
  duration: number | null; hostname: string | null; next_retry_at: Date | null; note: string | null;
  run_state: string; run_type: string; logical_date: Date | null; data_interval_start: Date | null; data_interval_end: Date | null;
  conf: Record<string, unknown>; dag_version_id: number; external_executor_id: string | null;
}

export async function findTi(db: Db, dagId: string, runId: string, taskId: string, mapIndex: number): Promise<TiRow> {
  const [ti] = await rows<TiRow>(db, `
    select ti.id, ti.dag_run_id, ti.task_id, ti.map_index, ti.state, ti.try_number, ti.max_tries, ti.operator, ti.pool, ti.queue,
      ti.priority_weight, ti.start_date, ti.end_date, ti.duration, ti.hostname, ti.next_retry_at, ti.note, ti.external_executor_id,
      r.state as run_state, r.run_type, r.logical_date, r.data_interval_start, r.data_interval_end, r.conf, r.dag_version_id
    from task_instance ti join dag_run r on r.id = ti.dag_run_id
    where ti.dag_id = ? and ti.run_id = ? and ti.task_id = ? and ti.map_index = ?`, [dagId, runId, taskId, mapIndex]);
  if (!ti) throw notFound(`The Task Instance with dag_id: \`${dagId}\`, run_id: \`${runId}\`, task_id: \`${taskId}\` and map_index: \`${mapIndex}\` was not found`);
  return ti;
}

/** A connection as templates see it here: the password is never shown in the UI. */
function masked(c: ConnectionView): ConnectionView {
  return { conn_id: c.conn_id, conn_type: c.conn_type, host: c.host, schema: c.schema, login: c.login,
    password: c.password === null ? null : '***', port: c.port, extra: c.extra };
}

/** The task's templated fields rendered with this run's context (as the worker would), or why they cannot be. */
async function renderedFields(db: Db, config: Config, dagId: string, runId: string, ti: TiRow): Promise<{ fields?: Record<string, unknown>; error?: string }> {
  try {
    const spec = await loadSpec(db, ti.dag_version_id);
    const task = spec.tasks.find((t) => t.task_id === ti.task_id);
    if (!task) return { error: 'the task is not in this run\'s DAG version' };
    if (task.template_fields.length === 0) return { fields: {} };
    const needs = templateNeeds(task.template_fields.map((f) => task.args[f]));
    const xcoms = needs.xcom ? await rows<{ task_id: string; map_index: number; key: string; value: unknown }>(db,
      'select task_id, map_index, key, value from xcom where dag_run_id = ?', [ti.dag_run_id]) : [];
    const vars = needs.variables ? await loadTemplateVariables(db, config.fernetKey) : [];
    const conns = needs.connections ? await loadTemplateConnections(db, config.fernetKey) : [];
    const ctx = buildTemplateContext({
      dag_id: dagId, task_id: ti.task_id, run_id: runId, map_index: ti.map_index, try_number: Math.max(ti.try_number, 1),
      logical_date: ti.logical_date, data_interval_start: ti.data_interval_start, data_interval_end: ti.data_interval_end,
      run_type: ti.run_type, conf: ti.conf, params: { ...spec.params, ...ti.conf }, timezone: spec.timezone,
      prev_data_interval_start_success: null, prev_data_interval_end_success: null,
      xcom: (taskId, key, mapIndex) => {
        const mine = xcoms.filter((x) => x.task_id === taskId && x.key === key);
        if (mapIndex !== null) return mine.find((x) => x.map_index === mapIndex)?.value;
        const mappedList = mine.filter((x) => x.map_index >= 0).sort((a, b) => a.map_index - b.map_index);
        return mappedList.length ? mappedList.map((x) => x.value) : mine[0]?.value;
      },
      variable: (key) => vars.find((v) => v.key === key)?.val,
      connection: (id) => {
        const c = conns.find((x) => x.conn_id === id) ?? (id === METADATA_CONN_ID ? fromUrl(id, config.databaseUrl) : undefined);
        return c ? masked(c) : undefined;
      },
      task: { task_id: task.task_id, operator: task.operator, retries: task.retries, queue: task.queue, pool: task.pool },
      dag: { dag_id: spec.dag_id, tags: spec.tags, description: spec.description },
    });
    const rendered = renderFields(task.args, task.template_fields, ctx);
    return { fields: Object.fromEntries(task.template_fields.filter((f) => f in task.args).map((f) => [f, rendered[f]])) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function registerUiTaskInstance(router: Router, r: WebResources): void {
  router.get('/ti/:dag_id/:run_id/:task_id', readOrWrite(), async (req, res) => {
    const [dagId, runId, taskId] = [String(req.params.dag_id), String(req.params.run_id), String(req.params.task_id)];
    const { map_index: requested } = query(req, TiQuery);
    // A mapped task's instances are 0..N-1: asking for -1 shows the first one, and the list to pick from.
    const instances = await rows<{ map_index: number; state: string | null }>(r.db, `
      select map_index, state from task_instance where dag_id = ? and run_id = ? and task_id = ? order by map_index`, [dagId, runId, taskId]);
    const mapIndex = instances.some((i) => i.map_index === requested) ? requested : (instances[0]?.map_index ?? requested);
    const ti = await findTi(r.db, dagId, runId, taskId, mapIndex);
    const tries = await rows(r.db, `select try_number, state, start_date, end_date, duration, hostname, error
      from task_instance_try where ti_id = ? order by try_number`, [ti.id]);
    const xcom = await rows<{ key: string; value: unknown; timestamp: Date }>(r.db, `select key, value, timestamp from xcom where dag_run_id = ? and task_id = ? and map_index = ? order by key`,
      [ti.dag_run_id, taskId, mapIndex]);
    const finished = ['success', 'failed', 'skipped', 'upstream_failed', 'removed'].includes(ti.state ?? '');
    const why = finished ? null : await explainTaskInstance(r.db, dagId, runId, taskId, mapIndex).then((e) => e.deps.filter((d) => !d.passed));
    const { dag_version_id: _v, conf: _c, dag_run_id: _r, id: _id, external_executor_id: _e, ...shown } = ti;
    res.json({
      ti: { ...shown, dag_id: dagId, run_id: runId },
      instances: instances.length > 1 || (instances[0]?.map_index ?? -1) >= 0 ? instances : [],
      tries, xcom, why_not_running: why,
      durable_step: await durableStepView(r.db, r.config, { ...ti, dag_id: dagId, run_id: runId }),
      temporal_workflow: temporalWorkflowView(r.config, xcom),
      rendered: await renderedFields(r.db, r.config, dagId, runId, ti),
    });
  });

  router.get('/log/:dag_id/:run_id/:task_id', readOrWrite(), async (req, res) => {
    const q = query(req, LogQuery);
    const ti = await findTi(r.db, String(req.params.dag_id), String(req.params.run_id), String(req.params.task_id), q.map_index);
    const tryNumber = q.try_number ?? ti.try_number;
    const lines = await rows<{ id: number; ts: Date; stream: string; message: string }>(r.db, `
      select id, ts, stream, message from task_log where ti_id = ? and try_number = ? and id > ? order by id limit 2000`,
    [ti.id, tryNumber, q.after]);
    const running = ['running', 'queued', 'scheduled', 'up_for_reschedule', 'deferred'].includes(ti.state ?? '') && tryNumber === ti.try_number;
    res.json({ try_number: tryNumber, lines, last_id: lines.at(-1)?.id ?? q.after, following: running || lines.length === 2000 });
  });
}
