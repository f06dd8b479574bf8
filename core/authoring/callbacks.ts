import type { TaskContext } from './context.ts';

/** A task callback: receives the task's context; its failure is logged, never fatal. */
export type TaskCallback = (ctx: TaskContext & { exception?: unknown }) => void | Promise<void>;

export const TASK_CALLBACK_NAMES = [
  'on_execute_callback', 'on_success_callback', 'on_failure_callback',
  'on_retry_callback', 'on_skipped_callback',
] as const;
export type TaskCallbackName = (typeof TASK_CALLBACK_NAMES)[number];

export interface DagRunCallbackContext { dag_id: string; run_id: string; state: string; reason?: string }
export type DagCallback = (ctx: DagRunCallbackContext) => void | Promise<void>;
