/**
 * Inputs of template rendering. Everything is handed in (no I/O here): XCom, variables
 * and connections are synchronous lookups because the worker pre-loads them, and
 * templates render synchronously.
 */

/** Everything the worker knows about the task instance being rendered. */
export interface TemplateInput {
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
  try_number: number;
  /** null for runs triggered without a logical date (Airflow 3): ds/ts/... are then undefined. */
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  run_type: string;
  conf: Record<string, unknown>;
  params: Record<string, unknown>;
  /**
   * The DAG's IANA time zone. Like Airflow, ds/ts and the date objects are rendered in
   * UTC regardless; this is exposed as `dag.timezone` so a template can convert
   * explicitly (`logical_date.in_timezone(dag.timezone)`).
   */
  timezone: string;
  prev_data_interval_start_success: Date | null;
  prev_data_interval_end_success: Date | null;
  /** Returns undefined if absent; map_index null = the task's only/unmapped value. */
  xcom: (task_id: string, key: string, map_index: number | null) => unknown;
  variable: (key: string) => string | undefined;
  connection: (conn_id: string) => ConnectionView | undefined;
  /** Task attributes (task_id, operator, retries, ...). */
  task: Record<string, unknown>;
  /** DAG attributes (dag_id, ...). */
  dag: Record<string, unknown>;
}

export interface ConnectionView {
  conn_id: string;
  conn_type: string;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  extra: Record<string, unknown>;
}

export type TemplateContext = Record<string, unknown>;
