/**
 * Build what a task sees: the Airflow template context and the TaskContext handed to
 * `execute`. XCom, variables and connections are loaded only when the task's templates
 * mention them, because templates render synchronously and most tasks need none.
 */
import type { TaskContext, TaskLog, XComPullOptions } from '../core/authoring/context.ts';
import type { Db } from '../core/db/connect.ts';
import type { DagSpec, TaskSpec } from '../core/dag/spec.ts';
import type { StartedTask } from '../core/transitions/start-ti.ts';
import { rows } from '../core/transitions/sql.ts';
import { loadCheckpoint, saveCheckpointIn } from '../core/checkpoints/checkpoint.ts';
import { triggerDagRun } from '../core/transitions/trigger-run.ts';
import { fromUrl, getConnection, METADATA_CONN_ID } from '../core/connections/get-connection.ts';
import { loadTemplateConnections } from '../core/connections/manage-connections.ts';
import { loadTemplateVariables } from '../core/variables/variables.ts';
import {
  buildTemplateContext, renderTemplate, templateNeeds, type TemplateContext,
} from '../core/templating/index.ts';

interface XComRow { task_id: string; map_index: number; key: string; value: unknown }

/** What a task needs to read connections: the metadata database (postgres_default) and the secrets key. */
export interface ConnectionSettings { metadataUrl: string; fernetKey?: string }

export function connectionSettings(config: { databaseUrl: string; fernetKey?: string }): ConnectionSettings {
  return { metadataUrl: config.databaseUrl, fernetKey: config.fernetKey };
}

export async function buildTemplateContextFor(db: Db, spec: DagSpec, task: TaskSpec, ti: StartedTask, settings: ConnectionSettings): Promise<TemplateContext> {
  const { metadataUrl, fernetKey } = settings;
  const templated = task.template_fields.map((f) => task.args[f]);
  const needs = templateNeeds(templated);
  const xcoms = needs.xcom
    ? await rows<XComRow>(db, 'select task_id, map_index, key, value from xcom where dag_run_id = ?', [ti.dag_run_id])
    : [];
  const vars = needs.variables ? await loadTemplateVariables(db, fernetKey) : [];
  const conns = needs.connections ? await loadTemplateConnections(db, fernetKey) : [];
  const params = { ...spec.params, ...(paramOverrides(ti.conf)) };
  return buildTemplateContext({
    dag_id: ti.dag_id, task_id: ti.task_id, run_id: ti.run_id, map_index: ti.map_index, try_number: ti.try_number,
    logical_date: ti.logical_date, data_interval_start: ti.data_interval_start, data_interval_end: ti.data_interval_end,
    run_type: ti.run_type, conf: ti.conf, params, timezone: spec.timezone,
    prev_data_interval_start_success: null, prev_data_interval_end_success: null,
    xcom: (taskId, key, mapIndex) => xcomValue(spec, xcoms, taskId, key, mapIndex),
    variable: (key) => vars.find((v) => v.key === key)?.val,
    connection: (id) => conns.find((c) => c.conn_id === id) ?? (id === METADATA_CONN_ID ? fromUrl(id, metadataUrl) : undefined),
    task: { task_id: task.task_id, operator: task.operator, retries: task.retries, queue: task.queue, pool: task.pool },
    dag: { dag_id: spec.dag_id, tags: spec.tags, description: spec.description },
  });
}

/** Airflow lets a trigger's conf override params of the same name (dag_run.conf wins). */
function paramOverrides(conf: Record<string, unknown>): Record<string, unknown> {
  return conf && typeof conf === 'object' ? conf : {};
}

export function makeTaskContext(
  db: Db, spec: DagSpec, ti: StartedTask, template: TemplateContext, log: TaskLog, signal: AbortSignal, settings: ConnectionSettings,
  onSkip?: () => void,
): TaskContext {
  const task = spec.tasks.find((t) => t.task_id === ti.task_id);
  return {
    dag_id: ti.dag_id, task_id: ti.task_id, run_id: ti.run_id, logical_date: ti.logical_date,
    data_interval_start: ti.data_interval_start, data_interval_end: ti.data_interval_end,
    params: (template.params as Record<string, unknown>) ?? spec.params, conf: ti.conf, log, signal, template,
    render: (s) => renderTemplate(s, template),
    getConnection: (connId) => getConnection(db, connId, settings.metadataUrl, settings.fernetKey),
    dagSpec: spec,
    run_type: ti.run_type,
    triggerRun: async (req) => {
      const run = await triggerDagRun(db, { ...req, triggered_by: `${ti.dag_id}.${ti.task_id}` });
      return { run_id: run.run_id };
    },
    runState: async (dagId, runId) =>
      (await rows<{ state: string }>(db, 'select state from dag_run where dag_id = ? and run_id = ?', [dagId, runId]))[0]?.state ?? null,
    skip: async (taskIds) => {
      if (taskIds.length === 0) return;
      await db.raw(`update task_instance set state = 'skipped', end_date = now(), updated_at = now()
        where dag_run_id = ? and task_id = any(?) and state is null`, [ti.dag_run_id, [...taskIds]]);
      onSkip?.();
    },
    upstream: spec.tasks.filter((t) => task?.upstream.includes(t.task_id)),
    checkpoint: {
      load: (key) => loadCheckpoint(db, ti.id, key),
      save: (value, key) => saveCheckpointIn(db, ti.id, value, key),
      commitWith: (value, work, key) => db.transaction(async (trx) => {
        const result = await work(trx);
        await saveCheckpointIn(trx, ti.id, value, key);
        return result;
      }),
    },
    ti: {
      dag_id: ti.dag_id, task_id: ti.task_id, run_id: ti.run_id, map_index: ti.map_index,
      try_number: ti.try_number, max_tries: ti.max_tries, try_started_at: ti.try_started_at,
      xcom_pull: (opts) => xcomPull(db, spec, ti, opts),
      xcom_push: async (key, value) => {
        await db.raw(`insert into xcom (dag_run_id, task_id, map_index, key, value) values (?, ?, ?, ?, ?)
          on conflict (dag_run_id, task_id, map_index, key) do update set value = excluded.value, timestamp = now()`,
        [ti.dag_run_id, ti.task_id, ti.map_index, key, JSON.stringify(value)]);
      },
    },
  };
}

/**
 * One task's XCom. Without a map index, a mapped task's value is the list of its
 * instances' values in map_index order (Airflow's lazy sequence, materialized).
 */
function xcomValue(spec: DagSpec, xcoms: readonly XComRow[], taskId: string, key: string, mapIndex: number | null): unknown {
  const mine = xcoms.filter((x) => x.task_id === taskId && x.key === key);
  if (mapIndex !== null) return mine.find((x) => x.map_index === mapIndex)?.value;
  if (!spec.tasks.find((t) => t.task_id === taskId)?.mapped) return mine[0]?.value;
  const instances = mine.filter((x) => x.map_index >= 0).sort((a, b) => a.map_index - b.map_index);
  return instances.length ? instances.map((x) => x.value) : undefined;
}

/** Airflow's xcom_pull: one task id → its value; a list → a list of values (missing → null). */
async function xcomPull(db: Db, spec: DagSpec, ti: StartedTask, opts: XComPullOptions = {}): Promise<unknown> {
  const key = opts.key ?? 'return_value';
  const ids = opts.task_ids === undefined ? [] : [opts.task_ids].flat();
  const found = await rows<XComRow>(db, `select task_id, map_index, key, value from xcom
    where dag_run_id = ? and key = ? and task_id = any(?)`, [ti.dag_run_id, key, ids]);
  const indexes = opts.map_indexes === undefined ? null : [opts.map_indexes].flat();
  const valueOf = (id: string): unknown => (indexes === null
    ? xcomValue(spec, found, id, key, null)
    : Array.isArray(opts.map_indexes) ? indexes.map((i) => xcomValue(spec, found, id, key, i) ?? null)
      : xcomValue(spec, found, id, key, indexes[0]!)) ?? null;
  return Array.isArray(opts.task_ids) ? ids.map(valueOf) : valueOf(ids[0] ?? '');
}
