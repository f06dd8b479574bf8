/**
 * `branch(args, fn)`: a TypeScript function that returns the task id(s) to follow
 * (Airflow's @task.branch). The other direct downstream tasks are skipped, and the skip
 * cascades by trigger rule: a join after the branch uses none_failed_min_one_success.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { chosenTasks, tasksToSkipForBranch } from './skip-rules.ts';

export type BranchFunction = (ctx: TaskContext) => string | string[] | null | undefined | Promise<string | string[] | null | undefined>;

export class BranchOperator extends BaseOperator<Record<string, never>> {
  readonly operatorType = 'branch';
  override readonly needsDagFile = true;
  readonly fn: BranchFunction;

  constructor(args: TaskArgs, fn: BranchFunction) {
    super(args, z.object({}).strict() as z.ZodType<Record<string, never>>);
    if (typeof fn !== 'function') throw new Error(`task "${args.task_id}": branch() needs a function`);
    this.fn = fn;
  }

  async execute(_args: Record<string, never>, ctx: TaskContext): Promise<string[]> {
    const chosen = chosenTasks(ctx.dagSpec, ctx.task_id, await this.fn(ctx));
    const skip = tasksToSkipForBranch(ctx.dagSpec, ctx.task_id, chosen);
    ctx.log.info(`following ${chosen.join(', ') || 'no task'}; skipping ${skip.join(', ') || 'nothing'}`);
    await ctx.skip(skip);
    return chosen;
  }
}

export function branch(args: TaskArgs, fn: BranchFunction): BranchOperator {
  return new BranchOperator(args, fn);
}
