/**
 * Starting, signalling or re-attaching to the workflow execution a task instance waits
 * for, so that a retry of the task never starts a second execution of a step that is
 * still running or already succeeded.
 *
 * The task instance's checkpoint (key `temporal_workflow`) records the workflow id and
 * the run it attached to. It is saved before the start request (run unknown) and again
 * after it (run known), and a cleared task instance loses it (a cleared task starts
 * over). On the next try of the same task instance:
 * - run known: the execution running (or continued as new) is re-attached; one that
 *   completed gives its result without starting anything; one that failed, was
 *   cancelled, terminated or timed out is the failure the retry is for: start anew.
 * - run unknown (the try died between saving and starting): an execution whose memo
 *   names this task instance is the one that try started, and is treated as above.
 * Without a checkpoint, the start uses the id-conflict policy USE_EXISTING: a running
 * execution with the id is joined rather than failing or duplicated.
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { CheckpointHandle } from '../../core/authoring/context.ts';
import { stateOf } from './outcome.ts';

export const CHECKPOINT_KEY = 'temporal_workflow';
/** Memo field naming the task instance that started an execution (also shown in Temporal's UI). */
export const MEMO_KEY = 'updraft_task_instance';

/** What to start or signal: the operator's arguments, compiled. */
export interface StartPlan {
  workflowId: string;
  /** null: signal the existing workflow `workflowId` instead of starting one. */
  workflowType: string | null;
  taskQueue: string | null;
  args: unknown[];
  signal: { name: string; args: unknown[] } | null;
  executionTimeoutMs: number | null;
  runTimeoutMs: number | null;
  /** "dag/run/task/map_index": the task instance, for the memo. */
  taskInstance: string;
}

export interface Attached {
  workflowId: string;
  runId: string;
  /** How this try got its execution, for the task log. */
  how: 'started' | 'signalled' | 're-attached' | 'completed';
}

interface Saved {
  workflow_id: string;
  run_id: string | null;
  signalled: boolean;
}

export async function attachWorkflow(client: Client, plan: StartPlan, checkpoint: CheckpointHandle): Promise<Attached> {
  const saved = await checkpoint.load<Saved>(CHECKPOINT_KEY);
  if (saved && saved.workflow_id === plan.workflowId) {
    const again = await reattach(client, plan, saved);
    if (again) return again;
  }
  if (!plan.workflowType) return signalExisting(client, plan, checkpoint);

  await checkpoint.save({ workflow_id: plan.workflowId, run_id: null, signalled: false } satisfies Saved, CHECKPOINT_KEY);
  const options = {
    workflowId: plan.workflowId,
    taskQueue: plan.taskQueue ?? '',
    args: plan.args,
    memo: { [MEMO_KEY]: plan.taskInstance },
    ...(plan.executionTimeoutMs !== null && { workflowExecutionTimeout: plan.executionTimeoutMs }),
    ...(plan.runTimeoutMs !== null && { workflowRunTimeout: plan.runTimeoutMs }),
  };
  // Signal-with-start delivers the signal atomically with the start (or to the running
  // execution), so an execution that exists with our memo has had its signal.
  const runId = plan.signal
    ? (await client.workflow.signalWithStart(plan.workflowType, { ...options, signal: plan.signal.name, signalArgs: plan.signal.args })).signaledRunId
    : (await client.workflow.start(plan.workflowType, { ...options, workflowIdConflictPolicy: 'USE_EXISTING' })).firstExecutionRunId;
  await checkpoint.save({ workflow_id: plan.workflowId, run_id: runId, signalled: plan.signal !== null } satisfies Saved, CHECKPOINT_KEY);
  return { workflowId: plan.workflowId, runId, how: 'started' };
}

/** The execution an earlier try of this task instance attached to, if it is still usable. */
async function reattach(client: Client, plan: StartPlan, saved: Saved): Promise<Attached | null> {
  const desc = await describeOrNull(client, plan.workflowId, saved.run_id);
  if (!desc) return null;
  if (saved.run_id === null && desc.memo?.[MEMO_KEY] !== plan.taskInstance) return null;
  const state = stateOf(desc.status.name);
  if (state === 'completed') return { workflowId: plan.workflowId, runId: desc.runId, how: 'completed' };
  if (state === 'running' || state === 'continued_as_new') return { workflowId: plan.workflowId, runId: desc.runId, how: 're-attached' };
  return null;
}

/** Signal the latest execution of an existing workflow (no workflow_type given). */
async function signalExisting(client: Client, plan: StartPlan, checkpoint: CheckpointHandle): Promise<Attached> {
  const desc = await describeOrNull(client, plan.workflowId, null);
  if (!desc) throw new Error(`no Temporal workflow with id ${plan.workflowId} to signal (give workflow_type and task_queue to start it)`);
  const signal = plan.signal;
  if (!signal) throw new Error('nothing to do: give workflow_type to start a workflow, or signal to signal one');
  await client.workflow.getHandle(plan.workflowId, desc.runId).signal(signal.name, ...signal.args);
  await checkpoint.save({ workflow_id: plan.workflowId, run_id: desc.runId, signalled: true } satisfies Saved, CHECKPOINT_KEY);
  return { workflowId: plan.workflowId, runId: desc.runId, how: 'signalled' };
}

export async function describeOrNull(client: Client, workflowId: string, runId: string | null): Promise<WorkflowExecutionDescription | null> {
  try {
    return await client.workflow.getHandle(workflowId, runId ?? undefined).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
