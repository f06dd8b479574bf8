/**
 * The Temporal workflows behind durable steps. Temporal bundles this file on its own
 * and replays it deterministically: it may import only @temporalio/workflow and types.
 *
 * - `updraftDurableStep`: one durable task instance; the workflow is just its activity,
 *   with the task's retry policy and timeouts.
 * - `updraftDagRun`: one run of a `run_as_workflow` DAG. Updraft's scheduler still
 *   decides which task is ready (trigger rules, pools, caps), and the worker that takes
 *   a ready task sends the workflow a `runTask` update: the update runs the task as an
 *   activity and returns its result. An update id is deterministic per task-instance
 *   try generation, so a worker that replaces a dead one sends the same update and gets
 *   the same activity's result (Temporal de-duplicates updates by id) instead of
 *   running the task twice. The run's last finisher signals `runFinished`.
 */
import {
  allHandlersFinished, condition, defineSignal, defineUpdate, proxyActivities, setHandler, type ActivityOptions,
} from '@temporalio/workflow';
import type { ActivityPlan, DurableStepInput, DurableStepResult } from '../../core/durable/plan.ts';
import type { DurableActivities } from './activities.ts';

export const runTaskUpdate = defineUpdate<DurableStepResult, [DurableStepInput]>('runTask');
export const runFinishedSignal = defineSignal<[string]>('runFinished');

function activityOptions(plan: ActivityPlan): ActivityOptions {
  return {
    startToCloseTimeout: plan.startToCloseTimeoutMs,
    heartbeatTimeout: plan.heartbeatTimeoutMs,
    retry: {
      initialInterval: plan.retry.initialIntervalMs,
      backoffCoefficient: plan.retry.backoffCoefficient,
      maximumInterval: plan.retry.maximumIntervalMs,
      maximumAttempts: plan.retry.maximumAttempts,
      // Raised for Airflow's AirflowFailException equivalent (TaskFailNow): no retry.
      nonRetryableErrorTypes: ['TaskFailNow'],
    },
  };
}

function runStep(input: DurableStepInput): Promise<DurableStepResult> {
  return proxyActivities<DurableActivities>(activityOptions(input.plan)).runDurableStep(input);
}

export async function updraftDurableStep(input: DurableStepInput): Promise<DurableStepResult> {
  return runStep(input);
}

/** How often an idle run workflow checks whether its run ended without telling it. */
const RUN_CHECK_INTERVAL = '1 minute';

/** Returns the run's final state once the run finished and every task update is done. */
export async function updraftDagRun(run: { dag_id: string; run_id: string }): Promise<string> {
  let finalState: string | null = null;
  setHandler(runTaskUpdate, (input) => runStep(input));
  setHandler(runFinishedSignal, (state) => { finalState = state; });
  const { dagRunState } = proxyActivities<DurableActivities>({ startToCloseTimeout: '1 minute' });
  for (;;) {
    if (await condition(() => finalState !== null && allHandlersFinished(), RUN_CHECK_INTERVAL)) break;
    // The signal is best effort (a run can also end in the scheduler): ask the database.
    if (allHandlersFinished()) {
      const state = await dagRunState(run);
      if ((state === null || state === 'success' || state === 'failed') && allHandlersFinished()) {
        finalState = state ?? 'deleted';
        break;
      }
    }
  }
  return `${run.dag_id}/${run.run_id}: ${finalState ?? 'unknown'}`;
}
