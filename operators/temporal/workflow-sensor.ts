/**
 * TemporalWorkflowSensor (`type: temporal_workflow_sensor`): waits until a Temporal
 * workflow execution closes (a BaseSensorOperator: mode, poke_interval, timeout,
 * soft_fail and exponential_backoff work as for every sensor).
 *   workflow_id, run_id   templated; without run_id, the workflow's latest execution.
 *                         A run that continued as new is followed to the latest one.
 *   allowed_states        end the wait (default ['completed']).
 *   failed_states         fail the sensor without retry: the outcome is final (default:
 *                         failed, cancelled, terminated, timed_out, less any state that
 *                         is allowed or skipped).
 *   skipped_states        skip the sensor (default none).
 *   check_existence       fail at once when no such workflow exists (default: keep
 *                         waiting, it may be started later).
 *   temporal_conn_id      as for temporal_workflow (see connection.ts).
 * States are Temporal's in lower case: running, completed, failed, cancelled, terminated,
 * timed_out, continued_as_new. A completed workflow's result is the XCom.
 */
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { TaskFailNow, TaskSkip } from '../../core/errors.ts';
import { BaseSensorOperator, PokeReturnValue, SENSOR_ARGS, type PokeResult } from '../sensors/base-sensor.ts';
import { describeOrNull } from './attach.ts';
import { resolveTemporalTarget, withTemporalClient } from './connection.ts';
import { failureMessage, stateOf, UNSUCCESSFUL_STATES, WORKFLOW_STATES, type WorkflowState } from './outcome.ts';

const stateList = z.array(z.enum(WORKFLOW_STATES, { error: (i) => `unknown workflow state ${JSON.stringify(i.input)} (valid: ${WORKFLOW_STATES.join(', ')})` }));

const SensorArgsSchema = z.object({
  ...SENSOR_ARGS,
  workflow_id: z.string({ error: 'workflow_id is required' }).min(1, 'workflow_id must not be empty'),
  run_id: z.string().min(1).nullable().optional(),
  allowed_states: stateList.optional(),
  failed_states: stateList.optional(),
  skipped_states: stateList.optional(),
  check_existence: z.boolean().optional(),
  temporal_conn_id: z.string().min(1).optional(),
}).strict().superRefine((a, c) => {
  const allowed = a.allowed_states ?? ['completed'];
  const overlap = allowed.filter((s) => a.failed_states?.includes(s) || a.skipped_states?.includes(s));
  if (overlap.length) c.addIssue({ code: 'custom', message: `state(s) ${overlap.join(', ')} cannot be both allowed and failed/skipped` });
});
export type TemporalWorkflowSensorArgs = z.infer<typeof SensorArgsSchema>;

interface Verdicts { allowed: readonly WorkflowState[]; failed: readonly WorkflowState[]; skipped: readonly WorkflowState[] }

export function verdictsOf(a: TemporalWorkflowSensorArgs): Verdicts {
  const allowed = a.allowed_states ?? ['completed'];
  const skipped = a.skipped_states ?? [];
  const failed = a.failed_states ?? UNSUCCESSFUL_STATES.filter((s) => !allowed.includes(s) && !skipped.includes(s));
  return { allowed, failed, skipped };
}

export class TemporalWorkflowSensor extends BaseSensorOperator<TemporalWorkflowSensorArgs> {
  readonly operatorType = 'temporal_workflow_sensor';
  override readonly templateFields = ['workflow_id', 'run_id'];

  constructor(args: TaskArgs & TemporalWorkflowSensorArgs) {
    super(args, SensorArgsSchema as unknown as z.ZodType<TemporalWorkflowSensorArgs>);
  }

  async poke(args: TemporalWorkflowSensorArgs, ctx: TaskContext): Promise<PokeResult> {
    const target = await resolveTemporalTarget(ctx, args.temporal_conn_id);
    return withTemporalClient(target, (client) => this.pokeWith(client, args, ctx));
  }

  private async pokeWith(client: Client, args: TemporalWorkflowSensorArgs, ctx: TaskContext): Promise<PokeResult> {
    const id = args.workflow_id;
    let desc = await describeOrNull(client, id, args.run_id ?? null);
    // A given run that continued as new lives on in the workflow's latest execution.
    if (desc && stateOf(desc.status.name) === 'continued_as_new') desc = await describeOrNull(client, id, null);
    if (!desc) {
      const what = `Temporal workflow ${id}${args.run_id ? ` run ${args.run_id}` : ''}`;
      if (args.check_existence) throw new TaskFailNow(`${what} does not exist`);
      ctx.log.info(`poking for ${what}: not found yet`);
      return false;
    }
    const state = stateOf(desc.status.name);
    const which = `Temporal workflow ${id} run ${desc.runId}`;
    const v = verdictsOf(args);
    if (state !== 'unknown' && v.allowed.includes(state)) {
      ctx.log.info(`${which} is ${state}`);
      const result = state === 'completed'
        ? await client.workflow.getHandle(id, desc.runId, { followRuns: false }).result() : null;
      return new PokeReturnValue(true, result);
    }
    if (state !== 'unknown' && v.failed.includes(state)) throw new TaskFailNow(await closedMessage(client, id, desc.runId, state));
    if (state !== 'unknown' && v.skipped.includes(state)) throw new TaskSkip(`${which} is ${state}`);
    ctx.log.info(`poking for ${which}: ${state}`);
    return false;
  }
}

/** The failure message of a closed execution (its result() rejects with it). */
async function closedMessage(client: Client, workflowId: string, runId: string, state: WorkflowState): Promise<string> {
  if (state === 'completed' || state === 'running') return `Temporal workflow ${workflowId} (run ${runId}) is ${state}`;
  try {
    await client.workflow.getHandle(workflowId, runId, { followRuns: false }).result();
    return `Temporal workflow ${workflowId} (run ${runId}) is ${state}`;
  } catch (err) {
    return failureMessage(err, workflowId, runId);
  }
}
