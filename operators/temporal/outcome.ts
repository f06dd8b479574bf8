/**
 * Workflow execution states as the operator and sensor name them, and a workflow's
 * failure turned into one readable line for the task's error.
 */
import { WorkflowFailedError, type WorkflowExecutionStatusName } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';

/**
 * Temporal's execution statuses in lower case, as users write them in allowed_states /
 * failed_states / skipped_states (Airflow's state names are lower case too).
 */
export const WORKFLOW_STATES = ['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out', 'continued_as_new'] as const;
export type WorkflowState = (typeof WORKFLOW_STATES)[number];

/** The closed states other than success: by default they fail a sensor. */
export const UNSUCCESSFUL_STATES: readonly WorkflowState[] = ['failed', 'cancelled', 'terminated', 'timed_out'];

export function stateOf(status: WorkflowExecutionStatusName): WorkflowState | 'unknown' {
  const s = status.toLowerCase();
  return (WORKFLOW_STATES as readonly string[]).includes(s) ? (s as WorkflowState) : 'unknown';
}

/** "workflow <id> (run <run>) failed: <message>", from the error `handle.result()` threw. */
export function failureMessage(err: unknown, workflowId: string, runId: string | null): string {
  const which = `Temporal workflow ${workflowId}${runId ? ` (run ${runId})` : ''}`;
  if (!(err instanceof WorkflowFailedError)) return `${which}: ${(err as Error).message}`;
  const cause = err.cause;
  if (cause instanceof CancelledFailure) return `${which} was cancelled${detail(cause.message, 'Workflow canceled')}`;
  if (cause instanceof TerminatedFailure) return `${which} was terminated${detail(cause.message, 'Workflow execution terminated')}`;
  if (cause instanceof TimeoutFailure) return `${which} timed out (${cause.timeoutType ?? 'timeout'})`;
  if (cause instanceof ApplicationFailure) return `${which} failed: ${cause.message}${cause.type ? ` (${cause.type})` : ''}`;
  return `${which} failed: ${cause?.message ?? err.message}`;
}

/** ": reason", unless the SDK's generic text is all there is. */
function detail(message: string, generic: string): string {
  return message && message !== generic ? `: ${message}` : '';
}
