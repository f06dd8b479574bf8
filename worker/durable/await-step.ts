/**
 * The Updraft try of a durable task: attach the task instance to its Temporal execution
 * (recorded before starting it), start or re-attach, and wait for the step's result.
 * The try's worker does not run the task itself: a Temporal worker (any Updraft worker's)
 * runs the activity. If this worker dies, the scheduler hands the task instance back
 * (scheduler/zombies.ts) and the next try re-attaches to the same execution: the step
 * runs once, whoever waits for it.
 */
import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { rootCause, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DagSpec, TaskSpec } from '../../core/dag/spec.ts';
import {
  activityPlan, formatAttachment, parseAttachment, runWorkflowId, stepWorkflowId,
  type Attachment, type DurableStepInput, type DurableStepResult,
} from '../../core/durable/plan.ts';
import { readAttachment, saveAttachment } from '../../core/durable/store.ts';
import type { Db } from '../../core/db/connect.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Outcome } from '../../core/transitions/finish-ti.ts';
import type { StartedTask } from '../../core/transitions/start-ti.ts';
import { ExternallyChanged } from '../abort.ts';
import type { TaskLogWriter } from '../task-log.ts';
import type { DurableRuntime } from './runtime.ts';
import { runTaskUpdate, updraftDagRun, updraftDurableStep } from './workflows.ts';

/** A run workflow left open (its run finished without the signal reaching it) ends after this long. */
const RUN_WORKFLOW_TIMEOUT_MS = 7 * 24 * 3600_000;

export async function awaitDurableStep(db: Db, temporal: DurableRuntime, spec: DagSpec, task: TaskSpec, ti: StartedTask,
  log: TaskLogWriter, signal: AbortSignal): Promise<Outcome> {
  const client = await temporal.client();
  const { settings } = temporal;
  const previous = parseAttachment(await readAttachment(db, ti.id));
  const mode = spec.run_as_workflow ? 'run' : 'step';
  const reattach = previous !== null && previous.mode === mode;
  const attachment: Attachment = reattach ? previous : mode === 'step'
    ? { mode, workflowId: stepWorkflowId(ti) }
    : { mode, workflowId: runWorkflowId(ti), updateId: `${ti.task_id}/${ti.map_index}/try-${ti.try_number}` };
  if (!reattach && !(await saveAttachment(db, ti.id, ti.try_number, formatAttachment(attachment)))) {
    throw new ExternallyChanged('the task instance changed before its durable step started');
  }
  const input: DurableStepInput = {
    ti_id: ti.id, dag_id: ti.dag_id, run_id: ti.run_id, task_id: ti.task_id, map_index: ti.map_index,
    dag_version_id: ti.dag_version_id, plan: activityPlan(task, settings.heartbeatTimeoutMs),
  };
  log.system(`durable step: ${reattach ? 're-attaching to' : 'starting'} Temporal workflow ${attachment.workflowId}`
    + `${attachment.mode === 'run' ? ` (update ${attachment.updateId})` : ''} on task queue ${settings.taskQueue}`);

  const result = attachment.mode === 'step'
    ? stepResult(client, settings.taskQueue, attachment.workflowId, input, reattach, log, signal)
    : client.workflow.executeUpdateWithStart(runTaskUpdate, {
      args: [input], updateId: attachment.updateId,
      startWorkflowOperation: new WithStartWorkflowOperation(updraftDagRun, {
        workflowId: attachment.workflowId, taskQueue: settings.taskQueue, args: [{ dag_id: ti.dag_id, run_id: ti.run_id }],
        workflowIdConflictPolicy: 'USE_EXISTING', workflowExecutionTimeout: RUN_WORKFLOW_TIMEOUT_MS,
      }),
    });
  try {
    const value = await untilAborted(result, signal);
    // A rescheduled sensor's next try is a new step: this one is over.
    if (value.kind === 'reschedule') await saveAttachment(db, ti.id, ti.try_number, null);
    return outcomeOf(value);
  } catch (err) {
    if (signal.aborted) {
      // Cleared or marked from outside: the step is cancelled too (its activity sees it at its
      // next heartbeat). Not when the task instance was only handed to another try, which
      // re-attaches to the step.
      if (signal.reason instanceof ExternallyChanged && attachment.mode === 'step' && await abandoned(db, ti.id)) {
        await client.workflow.getHandle(attachment.workflowId).cancel().catch(() => undefined);
      }
      throw signal.reason;
    }
    if (err instanceof WorkflowFailedError || err instanceof WorkflowUpdateFailedError) {
      // The retries configured for the task were Temporal's: none are left for Updraft.
      const error = `durable step failed: ${rootCause(err.cause) ?? err.message}`;
      log.system(`failed: ${error}`);
      return { kind: 'failed', retryable: false, error };
    }
    throw err;
  }
}

/**
 * Start the step's workflow, or find the one it is attached to. A first start may find a
 * closed execution of the same id (the task instance was cleared since): a new one is
 * started. A re-attach takes whichever execution of the id is running or last ran.
 */
async function stepResult(client: Client, taskQueue: string, workflowId: string, input: DurableStepInput, reattach: boolean,
  log: TaskLogWriter, signal: AbortSignal): Promise<DurableStepResult> {
  try {
    const handle = await client.workflow.start(updraftDurableStep, {
      workflowId, taskQueue, args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: reattach ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
    });
    log.system(`durable step: workflow ${workflowId} run ${handle.firstExecutionRunId}`);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  if (signal.aborted) throw signal.reason;
  return client.workflow.getHandle<typeof updraftDurableStep>(workflowId).result();
}

/** Cleared (no attachment any more) or marked with a final state from outside. */
async function abandoned(db: Db, tiId: number): Promise<boolean> {
  const [row] = await rows<{ state: string | null; external_executor_id: string | null }>(db,
    'select state, external_executor_id from task_instance where id = ?', [tiId]);
  return !row || !row.external_executor_id || ['success', 'failed', 'skipped', 'upstream_failed', 'removed'].includes(row.state ?? '');
}

function outcomeOf(r: DurableStepResult): Outcome {
  switch (r.kind) {
    case 'success': return { kind: 'success', xcom: r.xcom };
    case 'skipped': return { kind: 'skipped', reason: r.reason };
    case 'reschedule': return { kind: 'reschedule', at: new Date(r.at) };
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) { onAbort(); return; }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined);
  });
}
