/**
 * Durable steps, the pure part: which Temporal execution a task instance belongs to,
 * and how a task's Airflow retry settings become an activity's retry policy and
 * timeouts. Plain data only: the workflow code (bundled by Temporal, run in its
 * deterministic sandbox) imports these types, and the worker builds them.
 */
import type { TaskSpec } from '../dag/spec.ts';

/** Everything an activity needs to find and run one task instance; fixed when the step starts. */
export interface DurableStepInput {
  ti_id: number;
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  /** The DAG version the step started with: it finishes with it even if the file changes. */
  dag_version_id: number;
  plan: ActivityPlan;
}

/** What a step returns to the Updraft try waiting for it (an exception is a failure). */
export type DurableStepResult =
  | { kind: 'success'; xcom?: unknown }
  | { kind: 'skipped'; reason?: string }
  | { kind: 'reschedule'; at: string };

/** Durations in milliseconds, as Temporal's SDK accepts them. */
export interface ActivityPlan {
  /** One attempt's limit: the task's execution_timeout (Airflow's is per try too). */
  startToCloseTimeoutMs: number;
  /** A worker that dies is noticed after this long without a heartbeat. */
  heartbeatTimeoutMs: number;
  retry: { initialIntervalMs: number; backoffCoefficient: number; maximumIntervalMs: number; maximumAttempts: number };
}

/** A step with no execution_timeout still needs an attempt limit on Temporal: a day, as Airflow's max_retry_delay default. */
export const DEFAULT_STEP_TIMEOUT_MS = 24 * 3600_000;
/** Temporal's initial interval must be positive: a retry_delay of 0 becomes 1 ms. */
const MIN_INTERVAL_MS = 1;

/**
 * Airflow's retry settings as an activity retry policy: `retries` more attempts after
 * the first, `retry_delay` before the first retry, doubled each time with
 * `retry_exponential_backoff` and capped by `max_retry_delay`. Temporal does not add
 * Airflow's jitter; the intervals are otherwise the same.
 */
export function activityPlan(task: Pick<TaskSpec, 'retries' | 'retry_delay_ms' | 'retry_exponential_backoff' | 'max_retry_delay_ms' | 'execution_timeout_ms'>,
  heartbeatTimeoutMs: number): ActivityPlan {
  const initial = Math.max(MIN_INTERVAL_MS, task.retry_delay_ms);
  const cap = task.retry_exponential_backoff ? Math.max(initial, task.max_retry_delay_ms ?? DEFAULT_STEP_TIMEOUT_MS) : initial;
  return {
    startToCloseTimeoutMs: task.execution_timeout_ms ?? DEFAULT_STEP_TIMEOUT_MS,
    heartbeatTimeoutMs,
    retry: {
      initialIntervalMs: initial,
      backoffCoefficient: task.retry_exponential_backoff ? 2 : 1,
      maximumIntervalMs: cap,
      maximumAttempts: task.retries + 1,
    },
  };
}

/** One workflow per durable task instance (the "deterministic from dag, run, task and map index"). */
export function stepWorkflowId(ti: { dag_id: string; run_id: string; task_id: string; map_index: number }): string {
  return `updraft/${ti.dag_id}/${ti.run_id}/${ti.task_id}/${ti.map_index}`;
}

/** One workflow per run of a `run_as_workflow` DAG. */
export function runWorkflowId(ti: { dag_id: string; run_id: string }): string {
  return `updraft/${ti.dag_id}/${ti.run_id}`;
}

/**
 * `task_instance.external_executor_id` of a durable task instance: which execution it is
 * attached to. `step:<workflow id>` (its own workflow; the run id is looked up, the
 * latest execution of that id is the one) or `run:<workflow id>:<update id>` (a
 * `run_as_workflow` run: the task is one update of the run's workflow).
 */
export type Attachment = { mode: 'step'; workflowId: string } | { mode: 'run'; workflowId: string; updateId: string };

export function formatAttachment(a: Attachment): string {
  return a.mode === 'step' ? `step:${a.workflowId}` : `run:${a.workflowId}|${a.updateId}`;
}

export function parseAttachment(value: string | null): Attachment | null {
  if (!value) return null;
  if (value.startsWith('step:')) return { mode: 'step', workflowId: value.slice(5) };
  if (value.startsWith('run:')) {
    const rest = value.slice(4);
    const bar = rest.lastIndexOf('|');
    if (bar > 0) return { mode: 'run', workflowId: rest.slice(0, bar), updateId: rest.slice(bar + 1) };
  }
  return null;
}
