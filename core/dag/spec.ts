/**
 * The serialized DAG: what the dag-processor stores (JSON) and what the scheduler and
 * workers read. It is plain data, so a scheduler never runs user code. Durations are
 * compiled to milliseconds once, at parse time.
 */
import type { ScheduleSpec } from '../schedule/index.ts';
import type { TriggerRule, WeightRule } from '../model/states.ts';

export interface TaskSpec {
  task_id: string;
  /** Operator type name in the operator registry: "empty", "bash", "task", ... */
  operator: string;
  /** Operator-specific arguments (JSON-safe), by their Airflow names. */
  args: Record<string, unknown>;
  template_fields: string[];
  upstream: string[];
  downstream: string[];
  retries: number;
  retry_delay_ms: number;
  retry_exponential_backoff: boolean;
  max_retry_delay_ms: number | null;
  execution_timeout_ms: number | null;
  trigger_rule: TriggerRule;
  depends_on_past: boolean;
  /** Effective weight after the weight rule is applied (what the scheduler orders by). */
  priority_weight: number;
  weight_rule: WeightRule;
  pool: string;
  pool_slots: number;
  queue: string;
  do_xcom_push: boolean;
  /** The worker must import the DAG file to run this task (functions, callbacks). */
  needs_dag_file: boolean;
  /** Most concurrently queued/running instances of this task across all runs (null: no cap). */
  max_active_tis_per_dag: number | null;
  /** Also wait for the previous run's instance's direct downstream tasks (implies depends_on_past). */
  wait_for_downstream: boolean;
  /** Dynamic task mapping (`expand`): null for an ordinary task. */
  mapped: MapSpec | null;
  /** The task group the task belongs to (dotted path of group ids), or null at the top level. */
  task_group: string | null;
  /** Asset URIs this task updates when it succeeds (data-aware scheduling). */
  outlets: string[];
  /** Runs as a Temporal activity (a durable step); absent in DAGs serialized before it existed. */
  durable?: boolean;
}

/**
 * Where each expanded argument's values come from: a literal list, or an upstream
 * task's XCom (which must be a list). Several arguments expand as a cross product,
 * the last one varying fastest, as in Airflow.
 */
/** The most instances one mapped task may expand to (Airflow's max_map_length default). */
export const MAX_MAP_LENGTH = 1024;

export type MapSource = { literal: unknown[] } | { xcom: { task_id: string; key: string } };

export interface MapSpec {
  /** In the author's order (a list, because PostgreSQL's jsonb does not keep key order). */
  args: Array<{ name: string; source: MapSource }>;
}

export interface DagSpec {
  dag_id: string;
  fileloc: string;
  description: string | null;
  tags: string[];
  owners: string | null;
  schedule: ScheduleSpec;
  timezone: string;
  start_date: string | null;
  end_date: string | null;
  catchup: boolean;
  params: Record<string, unknown>;
  max_active_runs: number;
  max_active_tasks: number;
  dagrun_timeout_ms: number | null;
  has_dag_callbacks: boolean;
  /**
   * Each run is one Temporal workflow and every task an activity of it (absent: false).
   * See docs/adr/0006-durable-steps-on-temporal.md.
   */
  run_as_workflow?: boolean;
  /** Tasks in topological order. */
  tasks: TaskSpec[];
}
