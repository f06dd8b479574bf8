/**
 * `new DAG({...})`: the authoring entry point, with Airflow's argument names.
 * Operators join a DAG through their `dag` argument.
 */
import { z } from 'zod';
import { collect } from './collector.ts';
import type { BaseOperator, CommonTaskArgs } from './base-operator.ts';
import type { DagCallback } from './callbacks.ts';
import type { DurationInput } from '../time/duration.ts';

export interface DagArgs {
  dag_id: string;
  /**
   * Cron string, preset ("@daily"), "@once", "@continuous", a duration, a list of assets
   * (Asset objects or URIs: run when all were updated), or null (manual only).
   */
  schedule?: string | number | { days?: number; hours?: number; minutes?: number; seconds?: number }
    | ReadonlyArray<string | { uri: string }> | null;
  start_date?: Date | string | null;
  end_date?: Date | string | null;
  /** IANA time zone of the schedule; defaults to the start_date's offset or UTC. */
  timezone?: string;
  catchup?: boolean;
  default_args?: Partial<CommonTaskArgs>;
  params?: Record<string, unknown>;
  max_active_runs?: number;
  max_active_tasks?: number;
  dagrun_timeout?: DurationInput | null;
  /**
   * Run each DAG run as one Temporal workflow, every task a durable activity of it
   * (the scheduler still decides the order, so trigger rules, pools and the grid work
   * as for any run).
   */
  run_as_workflow?: boolean;
  tags?: string[];
  description?: string | null;
  owner?: string;
  on_success_callback?: DagCallback;
  on_failure_callback?: DagCallback;
}

const DAG_ID = /^[A-Za-z0-9_.-]+$/;

const DagArgsSchema = z.object({
  dag_id: z.string().regex(DAG_ID, 'dag_id may contain only letters, digits, "_", "." and "-"'),
  catchup: z.boolean().optional(),
  max_active_runs: z.number().int().positive().optional(),
  max_active_tasks: z.number().int().positive().optional(),
  run_as_workflow: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  description: z.string().nullable().optional(),
}).passthrough();

export class DAG {
  readonly dag_id: string;
  readonly args: DagArgs;
  readonly tasks = new Map<string, BaseOperator>();

  constructor(args: DagArgs) {
    const parsed = DagArgsSchema.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`DAG ${JSON.stringify(args?.dag_id)}: ${issue?.path.join('.') || 'arguments'}: ${issue?.message}`);
    }
    this.dag_id = args.dag_id;
    this.args = args;
    collect(this);
  }

  /** Called by BaseOperator's constructor; a duplicate id is an error, as in Airflow. */
  addTask(task: BaseOperator): void {
    if (this.tasks.has(task.task_id)) {
      throw new Error(`DAG "${this.dag_id}": duplicate task_id "${task.task_id}"`);
    }
    this.tasks.set(task.task_id, task);
  }

  getTask(taskId: string): BaseOperator {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`DAG "${this.dag_id}" has no task "${taskId}"`);
    return task;
  }
}
