/**
 * ExternalTaskSensor (`type: external_task_sensor`): waits for another DAG's run, or
 * some of its tasks, at a matching logical date (Airflow's ExternalTaskSensor).
 *
 * - `external_dag_id`; `external_task_id` or `external_task_ids` (none: the whole run,
 *   judged by the dag_run state).
 * - The external run is the one whose logical date equals this run's, shifted back by
 *   `execution_delta` (a duration), or the date(s) returned by `execution_date_fn(logical_date,
 *   ctx)` (TypeScript only; the worker then imports the DAG file).
 * - `allowed_states` (default ['success']) end the wait; any instance in `failed_states`
 *   fails the sensor without retry (TaskFailNow: the external outcome is final), any in
 *   `skipped_states` skips it. With `soft_fail`, a failure becomes a skip too.
 * - `check_existence`: fail at once when the external DAG or tasks do not exist.
 *
 * The states are read from the metadata database through connection `postgres_default`
 * (the metadata database unless a connection of that id is defined; the task context
 * has no direct metadata query).
 */
import { z } from 'zod';
import type { TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { METADATA_CONN_ID } from '../../core/connections/get-connection.ts';
import { TaskFailNow, TaskSkip } from '../../core/errors.ts';
import { DAG_RUN_STATES, TASK_STATES } from '../../core/model/states.ts';
import { toMs, type DurationInput } from '../../core/time/duration.ts';
import { withPgClient } from '../sql/pg-client.ts';
import { BaseSensorOperator, durationArg, SENSOR_ARGS, type PokeResult } from './base-sensor.ts';
import { judgeExternal, missingExternal, readExternalStates, type ExternalTarget } from './external-task-query.ts';

const ExternalArgsSchema = z.object({
  ...SENSOR_ARGS,
  external_dag_id: z.string().min(1, 'external_dag_id is required'),
  external_task_id: z.string().min(1).nullable().optional(),
  external_task_ids: z.array(z.string().min(1)).min(1, 'external_task_ids must not be empty').nullable().optional(),
  allowed_states: z.array(z.string()).optional(),
  failed_states: z.array(z.string()).optional(),
  skipped_states: z.array(z.string()).optional(),
  execution_delta: durationArg.nullable().optional(),
  check_existence: z.boolean().optional(),
}).strict().superRefine((a, c) => {
  if (a.external_task_id && a.external_task_ids && !(a.external_task_ids.length === 1 && a.external_task_ids[0] === a.external_task_id)) {
    c.addIssue({ code: 'custom', message: 'give external_task_id or external_task_ids, not both' });
  }
  const taskMode = Boolean(a.external_task_id || a.external_task_ids);
  const valid: readonly string[] = taskMode ? TASK_STATES : DAG_RUN_STATES;
  const lists = { allowed_states: a.allowed_states ?? ['success'], failed_states: a.failed_states ?? [], skipped_states: a.skipped_states ?? [] };
  for (const [name, states] of Object.entries(lists)) {
    const bad = states.filter((s) => !valid.includes(s));
    if (bad.length) {
      c.addIssue({ code: 'custom', path: [name], message: `unknown ${taskMode ? 'task' : 'DAG run'} state(s) ${bad.join(', ')} (valid: ${valid.join(', ')})` });
    }
  }
  const overlap = lists.allowed_states.filter((s) => lists.failed_states.includes(s) || lists.skipped_states.includes(s));
  if (overlap.length) c.addIssue({ code: 'custom', message: `state(s) ${overlap.join(', ')} cannot be both allowed and failed/skipped` });
});
export type ExternalTaskSensorArgs = z.infer<typeof ExternalArgsSchema>;

/** Airflow's execution_date_fn: the external logical date(s) for this run's logical date. */
export type ExecutionDateFn = (logicalDate: Date, ctx: TaskContext) => Date | Date[] | Promise<Date | Date[]>;

export class ExternalTaskSensor extends BaseSensorOperator<ExternalTaskSensorArgs> {
  readonly operatorType = 'external_task_sensor';
  override readonly templateFields = ['external_dag_id', 'external_task_id', 'external_task_ids'];
  override readonly needsDagFile: boolean;
  readonly executionDateFn: ExecutionDateFn | null;

  constructor(args: TaskArgs & ExternalTaskSensorArgs & { execution_date_fn?: ExecutionDateFn }) {
    const { execution_date_fn, ...rest } = args;
    super(rest, ExternalArgsSchema as unknown as z.ZodType<ExternalTaskSensorArgs>);
    if (execution_date_fn !== undefined && typeof execution_date_fn !== 'function') {
      throw new Error(`task "${args.task_id}": execution_date_fn must be a function`);
    }
    if (execution_date_fn && rest.execution_delta != null) {
      throw new Error(`task "${args.task_id}": give execution_delta or execution_date_fn, not both`);
    }
    this.executionDateFn = execution_date_fn ?? null;
    // A function cannot be serialized: workers import the DAG file to get it.
    this.needsDagFile = this.executionDateFn !== null;
  }

  async poke(args: ExternalTaskSensorArgs, ctx: TaskContext): Promise<PokeResult> {
    const target: ExternalTarget = {
      dagId: args.external_dag_id,
      taskIds: args.external_task_ids ?? (args.external_task_id ? [args.external_task_id] : null),
      logicalDates: await this.externalDates(args, ctx),
    };
    const conn = await ctx.getConnection(METADATA_CONN_ID);
    const found = await withPgClient(conn, ctx.signal, async (client) => {
      if (args.check_existence) {
        const missing = await missingExternal(client, target.dagId, target.taskIds);
        if (missing) throw new TaskFailNow(missing);
      }
      return readExternalStates(client, target);
    });
    const verdict = judgeExternal(target, found, {
      allowed: args.allowed_states ?? ['success'], failed: args.failed_states ?? [], skipped: args.skipped_states ?? [],
    });
    switch (verdict.kind) {
      case 'done': return true;
      case 'failed': throw new TaskFailNow(verdict.message);
      case 'skipped': throw new TaskSkip(verdict.message);
      case 'waiting':
        ctx.log.info(`poking for ${target.taskIds ? `tasks ${target.taskIds.join(', ')} of ` : ''}DAG "${target.dagId}" at ${
          target.logicalDates.map((d) => d.toISOString()).join(', ')}: ${verdict.reason}`);
        return false;
    }
  }

  private async externalDates(args: ExternalTaskSensorArgs, ctx: TaskContext): Promise<Date[]> {
    const own = ctx.logical_date;
    if (!own) {
      throw new TaskFailNow('this run has no logical date; ExternalTaskSensor finds the external run by logical date (trigger this run with one)');
    }
    if (this.executionDateFn) return [await this.executionDateFn(own, ctx)].flat();
    const deltaMs = args.execution_delta == null ? 0 : toMs(args.execution_delta as DurationInput, 'execution_delta');
    return [new Date(own.getTime() - deltaMs)];
  }
}
