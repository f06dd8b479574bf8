/**
 * TemporalWorkflowOperator (`type: temporal_workflow`): starts a workflow of an existing
 * type on a Temporal task queue (or signals one), and waits for its result.
 *   workflow_type, task_queue   what to start; both required unless only signalling.
 *   workflow_id      templated; default `updraft-<dag_id>-<run_id>-<task_id>-<map_index>`,
 *                    so every try of a task instance addresses the same execution (see
 *                    attach.ts: a retry re-attaches, a completed one gives its result).
 *   args             the workflow's arguments: a list (every string in it templated) or a
 *                    string rendering to a JSON list.
 *   signal           {name, args?} (templated). With workflow_type: signal-with-start
 *                    (start if not running, then signal). Without: signal the running
 *                    workflow `workflow_id` and wait for it.
 *   wait             default true: the workflow's result is the XCom. false: return
 *                    {workflow_id, run_id} once started.
 *   cancel_on_kill   default true: when the task is aborted (execution_timeout, marked
 *                    failed or cleared while running), request cancellation of the
 *                    execution, as Airflow's operators do in on_kill. A worker that stops
 *                    and hands the task back never cancels: the next try re-attaches.
 *   workflow_execution_timeout, workflow_run_timeout   durations, Temporal's timeouts.
 *   temporal_conn_id connection of type `temporal` (see connection.ts).
 * As soon as the execution is known, XCom `temporal_workflow` holds {workflow_id, run_id,
 * namespace} and the task log names them. A failed, cancelled, terminated or timed-out
 * workflow fails the task with the workflow's failure message (retries apply; a retry
 * starts a new execution).
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { optionalMs, type DurationInput } from '../../core/time/duration.ts';
import { durationArg } from '../sensors/base-sensor.ts';
import { attachWorkflow, type Attached, type StartPlan } from './attach.ts';
import { resolveTemporalTarget, withTemporalClient } from './connection.ts';
import { failureMessage } from './outcome.ts';

const WorkflowArgsSchema = z.object({
  workflow_type: z.string().min(1, 'workflow_type must not be empty').optional(),
  task_queue: z.string().min(1, 'task_queue must not be empty').optional(),
  workflow_id: z.string().min(1, 'workflow_id must not be empty').optional(),
  args: z.union([z.array(z.unknown()), z.string()]).optional(),
  signal: z.object({
    name: z.string({ error: 'signal.name is required' }).min(1, 'signal.name must not be empty'),
    args: z.array(z.unknown()).optional(),
  }).strict().optional(),
  wait: z.boolean().optional(),
  cancel_on_kill: z.boolean().optional(),
  workflow_execution_timeout: durationArg.optional(),
  workflow_run_timeout: durationArg.optional(),
  temporal_conn_id: z.string().min(1).optional(),
}).strict().superRefine((a, c) => {
  if (!a.workflow_type && !a.signal) c.addIssue({ code: 'custom', message: 'give workflow_type (with task_queue) to start a workflow, or signal (with workflow_id) to signal one' });
  if (a.workflow_type && !a.task_queue) c.addIssue({ code: 'custom', path: ['task_queue'], message: 'task_queue is required with workflow_type' });
  if (!a.workflow_type && a.signal && !a.workflow_id) c.addIssue({ code: 'custom', path: ['workflow_id'], message: 'workflow_id is required to signal an existing workflow' });
  if (!a.workflow_type && (a.args !== undefined || a.task_queue)) c.addIssue({ code: 'custom', message: 'args and task_queue need workflow_type (they start a workflow)' });
});
export type TemporalWorkflowArgs = z.infer<typeof WorkflowArgsSchema>;

/** The XCom (key `temporal_workflow`) that lets the UI and API show and link the execution. */
export const WORKFLOW_XCOM_KEY = 'temporal_workflow';

export class TemporalWorkflowOperator extends BaseOperator<TemporalWorkflowArgs> {
  readonly operatorType = 'temporal_workflow';
  override readonly templateFields = ['workflow_id', 'args', 'signal'];

  constructor(args: TaskArgs & TemporalWorkflowArgs) {
    super(args, WorkflowArgsSchema as unknown as z.ZodType<TemporalWorkflowArgs>);
  }

  async execute(args: TemporalWorkflowArgs, ctx: TaskContext): Promise<unknown> {
    const plan = planOf(args, ctx);
    const target = await resolveTemporalTarget(ctx, args.temporal_conn_id);
    return withTemporalClient(target, async (client) => {
      // An abort while starting leaves the checkpoint's intent: the next try finds the execution by its memo.
      const attached = await client.withAbortSignal(ctx.signal, () => attachWorkflow(client, plan, ctx.checkpoint));
      const { workflowId, runId } = attached;
      ctx.log.info(`${HOW[attached.how]} Temporal workflow ${workflowId} run ${runId} (namespace ${target.namespace} at ${target.address})`);
      await ctx.ti.xcom_push(WORKFLOW_XCOM_KEY, { workflow_id: workflowId, run_id: runId, namespace: target.namespace });
      if (args.wait === false) return { workflow_id: workflowId, run_id: runId };
      const result = await waitForResult(client, attached, ctx, args.cancel_on_kill ?? true);
      ctx.log.info(`Temporal workflow ${workflowId} completed`);
      return result;
    });
  }
}

const HOW: Record<Attached['how'], string> = {
  started: 'started (or joined the running execution of)',
  signalled: 'signalled',
  're-attached': 're-attached to the execution an earlier try started:',
  completed: 'an earlier try\'s execution already completed; taking the result of',
};

function planOf(args: TemporalWorkflowArgs, ctx: TaskContext): StartPlan {
  const where = `task "${ctx.task_id}"`;
  return {
    workflowId: args.workflow_id ?? `updraft-${ctx.dag_id}-${ctx.run_id}-${ctx.task_id}-${ctx.ti.map_index}`,
    workflowType: args.workflow_type ?? null,
    taskQueue: args.task_queue ?? null,
    args: argList(args.args),
    signal: args.signal ? { name: args.signal.name, args: args.signal.args ?? [] } : null,
    executionTimeoutMs: optionalMs(args.workflow_execution_timeout as DurationInput | undefined, `${where}: workflow_execution_timeout`),
    runTimeoutMs: optionalMs(args.workflow_run_timeout as DurationInput | undefined, `${where}: workflow_run_timeout`),
    taskInstance: `${ctx.dag_id}/${ctx.run_id}/${ctx.task_id}/${ctx.ti.map_index}`,
  };
}

function argList(args: TemporalWorkflowArgs['args']): unknown[] {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new Error(`args rendered to ${JSON.stringify(args.slice(0, 80))}, which is not a JSON list`);
  }
  if (!Array.isArray(parsed)) throw new Error('args rendered to JSON that is not a list');
  return parsed;
}

/**
 * The workflow's result (following continue-as-new). The task's abort signal ends the
 * wait at once; with cancel_on_kill the execution is asked to cancel first, unless the
 * worker is only handing the task back (HandBack, by name: operators do not import the
 * worker), after which another try re-attaches.
 */
async function waitForResult(client: Client, attached: Attached, ctx: TaskContext, cancelOnKill: boolean): Promise<unknown> {
  const handle = client.workflow.getHandle(attached.workflowId, attached.runId);
  try {
    return await client.withAbortSignal(ctx.signal, () => handle.result());
  } catch (err) {
    if (!ctx.signal.aborted) throw new Error(failureMessage(err, attached.workflowId, attached.runId));
    const reason: unknown = ctx.signal.reason;
    const handingBack = reason instanceof Error && reason.name === 'HandBack';
    if (cancelOnKill && !handingBack) {
      try {
        // The worker gives an aborted task a few seconds to settle: bound the request.
        await client.withDeadline(Date.now() + CANCEL_DEADLINE_MS, () => handle.cancel());
        ctx.log.warn(`task aborted: requested cancellation of Temporal workflow ${attached.workflowId} run ${attached.runId}`);
      } catch (cancelErr) {
        ctx.log.warn(`task aborted; cancelling Temporal workflow ${attached.workflowId} failed: ${(cancelErr as Error).message}`);
      }
    } else {
      ctx.log.info(`task aborted; Temporal workflow ${attached.workflowId} run ${attached.runId} keeps running`);
    }
    throw reason instanceof Error ? reason : new Error('task aborted');
  }
}

const CANCEL_DEADLINE_MS = 3000;
