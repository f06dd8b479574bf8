/**
 * Tell a `run_as_workflow` run's workflow that the run is over, so it completes as soon
 * as its last task update has. Best effort: a workflow that misses it checks the run's
 * state itself (workflows.ts).
 */
import { runWorkflowId } from '../../core/durable/plan.ts';
import type { Logger } from '../../core/logging.ts';
import type { DurableRuntime } from './runtime.ts';
import { runFinishedSignal } from './workflows.ts';

export async function signalRunFinished(temporal: DurableRuntime, run: { dag_id: string; run_id: string }, state: string, log: Logger): Promise<void> {
  try {
    const client = await temporal.client();
    await client.workflow.getHandle(runWorkflowId(run)).signal(runFinishedSignal, state);
  } catch (err) {
    log.warn({ err: (err as Error).message, dag_id: run.dag_id, run_id: run.run_id }, 'could not tell the run\'s workflow that the run finished');
  }
}
