/**
 * Workflows for the temporal_workflow operator and sensor tests. A test's Temporal
 * Worker bundles this file (workflowsPath), so it may import only @temporalio/workflow:
 * workflow code runs in Temporal's deterministic sandbox, not in the test process.
 */
import { ApplicationFailure, condition, defineSignal, setHandler } from '@temporalio/workflow';

/** The signal `waitForRelease` waits for; its argument becomes the workflow's result. */
export const releaseSignal = defineSignal<[unknown]>('release');

/** Returns its arguments, so a test can see they arrived rendered and in order. */
export async function echo(...args: unknown[]): Promise<{ echoed: unknown[] }> {
  return { echoed: args };
}

/** Waits until signalled `release`, then returns `{ released: <signal arg>, greeting }`. */
export async function waitForRelease(greeting?: string): Promise<{ released: unknown; greeting: string | null }> {
  let value: unknown;
  let released = false;
  setHandler(releaseSignal, (v) => { value = v; released = true; });
  await condition(() => released);
  return { released: value, greeting: greeting ?? null };
}

/** Fails with the given message, not retryable (a workflow has no retry by default anyway). */
export async function failWith(message: string): Promise<never> {
  throw ApplicationFailure.nonRetryable(message, 'TestFailure');
}
