/**
 * What a running task receives: the Airflow context (as the template context holds it)
 * plus the live handles a task needs: its log, an abort signal, and XCom access.
 */
import type { Knex } from 'knex';
import type { DagSpec, TaskSpec } from '../dag/spec.ts';
import type { ConnectionView, TemplateContext } from '../templating/index.ts';

export interface TaskLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface XComPullOptions { task_ids?: string | string[]; key?: string; map_indexes?: number | number[] }

export interface TaskInstanceHandle {
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
  try_number: number;
  max_tries: number;
  /** When this try first started: a rescheduled sensor's try spans several runs of the task. */
  try_started_at: Date;
  xcom_pull(opts?: XComPullOptions): Promise<unknown>;
  xcom_push(key: string, value: unknown): Promise<void>;
}

/**
 * Resuming long work (see core/checkpoints/checkpoint.ts): values saved by this task
 * instance survive a crash and are read back by its next try.
 */
export interface CheckpointHandle {
  /** The last value saved under `key` by any try of this task instance, or null. */
  load<T = unknown>(key?: string): Promise<T | null>;
  /** Save a value now, in its own transaction. */
  save(value: unknown, key?: string): Promise<void>;
  /**
   * Run `work` in a transaction on the metadata database that also saves `value`: the
   * work's writes (made through `trx`) and the checkpoint commit together, or neither.
   */
  commitWith<T>(value: unknown, work: (trx: Knex.Transaction) => Promise<T>, key?: string): Promise<T>;
}

export interface TaskContext {
  dag_id: string;
  task_id: string;
  run_id: string;
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  params: Record<string, unknown>;
  conf: Record<string, unknown>;
  ti: TaskInstanceHandle;
  log: TaskLog;
  /** Aborted when the task times out or its worker must stop; long work should watch it. */
  signal: AbortSignal;
  /** The full Jinja template context (ds, ts, macros, var, conn, ...). */
  template: TemplateContext;
  /** Render a Jinja string against this task's context. */
  render(template: string): string;
  /** A connection by id; throws a clear error when it is not defined. */
  getConnection(connId: string): Promise<ConnectionView>;
  /** The serialized specs of this task's direct upstream tasks (e.g. an upstream sql task's `output`). */
  upstream: TaskSpec[];
  /** The serialized DAG this task belongs to (its graph, schedule, ...). */
  dagSpec: DagSpec;
  run_type: string;
  /**
   * Mark task instances of this run skipped (those not yet decided), as Airflow's
   * branching does; after this task finishes, skips cascade by trigger rule.
   */
  skip(taskIds: readonly string[]): Promise<void>;
  /** Create a manual run of a DAG (Airflow's TriggerDagRunOperator); a duplicate run id is a conflict error. */
  triggerRun(req: { dag_id: string; run_id?: string | null; conf?: Record<string, unknown>; logical_date?: Date | null }): Promise<{ run_id: string }>;
  /** The state of a run, or null when it does not exist. */
  runState(dagId: string, runId: string): Promise<string | null>;
  /** Checkpoints of this task instance, for resuming after a retry. */
  checkpoint: CheckpointHandle;
}
