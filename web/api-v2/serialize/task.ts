/**
 * A task of the serialized DAG → Airflow 3's TaskResponse. Updraft's operator types
 * ("bash", "task", ...) are shown under the names an Airflow user knows.
 */
import type { DagSpec, TaskSpec } from '../../../core/dag/spec.ts';

/** Operator type → Airflow's operator_name (class name, or the decorator for function tasks). */
const OPERATOR_NAMES: Readonly<Record<string, string>> = {
  empty: 'EmptyOperator',
  bash: 'BashOperator',
  task: '@task',
  branch: '@task.branch',
  short_circuit: '@task.short_circuit',
  branch_bash: 'BranchBashOperator',
  latest_only: 'LatestOnlyOperator',
  sql: 'SQLExecuteQueryOperator',
  quality: 'SQLCheckOperator',
  http: 'HttpOperator',
  notification: 'NotificationOperator',
  trigger_dagrun: 'TriggerDagRunOperator',
  external_task_sensor: 'ExternalTaskSensor',
  file_sensor: 'FileSensor',
  sql_sensor: 'SqlSensor',
  time_delta_sensor: 'TimeDeltaSensor',
  date_time_sensor: 'DateTimeSensor',
};

export function operatorName(type: string): string {
  return OPERATOR_NAMES[type] ?? type;
}

/** Airflow's TimeDelta object (days, seconds, microseconds, as Python's timedelta normalizes them). */
export function timeDelta(ms: number | null): Record<string, unknown> | null {
  if (ms === null) return null;
  const micros = Math.round(ms * 1000);
  const days = Math.floor(micros / 86_400_000_000);
  const rest = micros - days * 86_400_000_000;
  return { __type: 'TimeDelta', days, seconds: Math.floor(rest / 1_000_000), microseconds: rest % 1_000_000 };
}

/** Params as Airflow serializes Param objects; Updraft's params are plain values. */
export function paramsJson(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, {
    __class: 'airflow.sdk.definitions.param.Param', value, description: null, schema: {},
  }]));
}

export function taskJson(t: TaskSpec, dag: DagSpec): Record<string, unknown> {
  const name = operatorName(t.operator);
  return {
    task_id: t.task_id,
    task_display_name: t.task_id,
    owner: dag.owners ?? 'airflow', // Airflow's default owner
    start_date: dag.start_date,
    end_date: dag.end_date,
    trigger_rule: t.trigger_rule,
    depends_on_past: t.depends_on_past,
    wait_for_downstream: t.wait_for_downstream,
    retries: t.retries,
    queue: t.queue,
    pool: t.pool,
    pool_slots: t.pool_slots,
    retry_delay: timeDelta(t.retry_delay_ms),
    // Airflow 3 made this a multiplier: 0 means off, 2 is what `True` meant.
    retry_exponential_backoff: t.retry_exponential_backoff ? 2 : 0,
    priority_weight: t.priority_weight,
    weight_rule: t.weight_rule,
    ui_color: '#fff',
    ui_fgcolor: '#000',
    template_fields: t.template_fields,
    downstream_task_ids: t.downstream,
    doc_md: null,
    operator_name: name,
    params: paramsJson(dag.params),
    class_ref: name.startsWith('@') ? null : { module_path: 'updraft', class_name: name },
    is_mapped: t.mapped !== null,
    extra_links: [],
    // Left out rather than null when unset: Airflow's document puts `nullable` beside a
    // $ref, which OpenAPI 3.0 ignores, so validating clients reject a null here.
    ...(t.execution_timeout_ms === null ? {} : { execution_timeout: timeDelta(t.execution_timeout_ms) }),
  };
}
