/**
 * Task-instance and DAG-run states, with Airflow's exact names.
 * `null` means "none": the task instance exists but is not scheduled yet.
 */
export const TASK_STATES = [
  'scheduled', 'queued', 'running', 'success', 'failed', 'skipped', 'upstream_failed',
  'up_for_retry', 'up_for_reschedule', 'deferred', 'restarting', 'removed',
] as const;
export type TaskState = (typeof TASK_STATES)[number];
/** A task instance's state column: a TaskState or null ("none"). */
export type TaskStateOrNone = TaskState | null;

export const FINISHED_STATES: ReadonlySet<TaskState> = new Set([
  'success', 'failed', 'skipped', 'upstream_failed', 'removed',
]);
export const FAILED_STATES: ReadonlySet<TaskState> = new Set(['failed', 'upstream_failed']);
export const SUCCESS_STATES: ReadonlySet<TaskState> = new Set(['success', 'skipped']);
/** States that occupy a pool slot and count against max_active_tasks. */
export const ACTIVE_STATES: readonly TaskState[] = ['queued', 'running'];


export const DAG_RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export type DagRunState = (typeof DAG_RUN_STATES)[number];

export const RUN_TYPES = ['manual', 'scheduled', 'backfill', 'asset_triggered'] as const;
export type RunType = (typeof RUN_TYPES)[number];

export const TRIGGER_RULES = [
  'all_success', 'all_failed', 'all_done', 'all_done_setup_success',
  'all_done_min_one_success', 'one_success', 'one_failed', 'one_done', 'none_failed',
  'none_failed_min_one_success', 'none_skipped', 'all_skipped', 'always',
] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

export const WEIGHT_RULES = ['downstream', 'upstream', 'absolute'] as const;
export type WeightRule = (typeof WEIGHT_RULES)[number];
