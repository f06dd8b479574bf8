/**
 * DAG object → serialized DagSpec (+ content hash). Everything a scheduler needs is
 * checked and compiled here, so a bad schedule or graph is an import error at parse
 * time rather than a scheduler crash later.
 */
import { createHash } from 'node:crypto';
import { DateTime, IANAZone } from 'luxon';
import type { DAG } from '../authoring/dag.ts';
import { compileSchedule } from '../schedule/index.ts';
import { optionalMs } from '../time/duration.ts';
import { buildTaskGraph, effectiveWeights, topologicalOrder } from './graph.ts';
import type { DagSpec, TaskSpec } from './spec.ts';

export function serializeDag(dag: DAG, fileloc: string): DagSpec {
  const a = dag.args;
  const where = `DAG "${dag.dag_id}"`;
  const timezone = a.timezone ?? 'UTC';
  if (!IANAZone.isValidZone(timezone)) throw new Error(`${where}: unknown timezone "${timezone}"`);
  const start = toDate(a.start_date, timezone, `${where}: start_date`);
  const end = toDate(a.end_date, timezone, `${where}: end_date`);
  if (start && end && end < start) throw new Error(`${where}: end_date is before start_date`);

  const schedule = compileSchedule(a.schedule ?? null, timezone);
  // Airflow's rule: a continuous DAG starts its next run when the previous one ends.
  if (schedule.kind === 'continuous' && (a.max_active_runs ?? 1) > 1) {
    throw new Error(`${where}: schedule "@continuous" requires max_active_runs <= 1`);
  }
  const tasks = [...dag.tasks.values()];
  const graphTasks = tasks.map((t) => ({
    task_id: t.task_id, upstream: [...t.upstreamIds],
    priority_weight: t.common.priority_weight, weight_rule: t.common.weight_rule,
  }));
  const graph = buildTaskGraph(dag.dag_id, graphTasks);
  const weights = effectiveWeights(graph, graphTasks);
  const order = topologicalOrder(graph);

  const specs: TaskSpec[] = order.map((id) => {
    const t = dag.getTask(id);
    const c = t.common;
    return {
      task_id: t.task_id,
      operator: t.operatorType,
      args: JSON.parse(JSON.stringify(t.args)) as Record<string, unknown>,
      template_fields: [...t.templateFields],
      upstream: [...t.upstreamIds].sort(),
      downstream: [...t.downstreamIds].sort(),
      retries: c.retries,
      retry_delay_ms: c.retry_delay_ms,
      retry_exponential_backoff: c.retry_exponential_backoff,
      max_retry_delay_ms: c.max_retry_delay_ms,
      execution_timeout_ms: c.execution_timeout_ms,
      trigger_rule: c.trigger_rule,
      depends_on_past: c.depends_on_past,
      priority_weight: weights.get(id) ?? c.priority_weight,
      weight_rule: c.weight_rule,
      pool: c.pool,
      pool_slots: c.pool_slots,
      queue: c.queue,
      do_xcom_push: c.do_xcom_push,
      needs_dag_file: t.needsDagFile || Object.keys(c.callbacks).length > 0,
      max_active_tis_per_dag: c.max_active_tis_per_dag,
      wait_for_downstream: c.wait_for_downstream,
      mapped: t.mapped,
      task_group: t.taskGroup,
      outlets: c.outlets,
      ...(c.durable && { durable: true }),
    };
  });

  return {
    dag_id: dag.dag_id,
    fileloc,
    description: a.description ?? null,
    tags: a.tags ?? [],
    owners: a.owner ?? (a.default_args?.owner as string | undefined) ?? null,
    schedule,
    timezone,
    start_date: start?.toISOString() ?? null,
    end_date: end?.toISOString() ?? null,
    catchup: a.catchup ?? false,
    params: a.params ?? {},
    max_active_runs: a.max_active_runs ?? (schedule.kind === 'continuous' ? 1 : 16),
    max_active_tasks: a.max_active_tasks ?? 16,
    dagrun_timeout_ms: optionalMs(a.dagrun_timeout ?? null, `${where}: dagrun_timeout`),
    has_dag_callbacks: Boolean(a.on_success_callback || a.on_failure_callback),
    ...(a.run_as_workflow && { run_as_workflow: true }),
    tasks: specs,
  };
}

/**
 * A stable hash of the serialized DAG, to detect a new version. The file's source is
 * included when given: a task function's body is not in the serialized DAG, yet changing
 * it must give a new version (workers import the file once per version).
 */
export function hashDagSpec(spec: DagSpec, source?: string | null): string {
  const h = createHash('sha256').update(stableJson(spec));
  if (source) h.update('\0').update(source);
  return h.digest('hex');
}

/** JSON with object keys sorted, so reordering keys in a DAG file is not a new version. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Dates as written in DAG files: Date objects or ISO strings (a date-only string means midnight in the DAG's zone). */
function toDate(value: Date | string | null | undefined, zone: string, what: string): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error(`${what}: invalid date`);
    return value;
  }
  const dt = DateTime.fromISO(String(value), { zone });
  if (!dt.isValid) throw new Error(`${what}: "${value}" is not an ISO-8601 date`);
  return dt.toJSDate();
}
