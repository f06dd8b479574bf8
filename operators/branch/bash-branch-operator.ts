/**
 * The bash variant of branching: the command's last stdout line names the task ids to
 * follow (separated by spaces or commas; an empty line follows none).
 */
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { BashArgsSchema, runBashCommand, type BashArgs } from '../bash.ts';
import { chosenTasks, tasksToSkipForBranch } from './skip-rules.ts';

export class BashBranchOperator extends BaseOperator<BashArgs> {
  readonly operatorType = 'branch_bash';
  override readonly templateFields = ['bash_command', 'env', 'cwd'];

  constructor(args: TaskArgs & BashArgs) {
    super(args, BashArgsSchema);
  }

  async execute(args: BashArgs, ctx: TaskContext): Promise<string[]> {
    const last = (await runBashCommand(args, ctx)) ?? '';
    const chosen = chosenTasks(ctx.dagSpec, ctx.task_id, last.split(/[\s,]+/).filter(Boolean));
    const skip = tasksToSkipForBranch(ctx.dagSpec, ctx.task_id, chosen);
    ctx.log.info(`following ${chosen.join(', ') || 'no task'}; skipping ${skip.join(', ') || 'nothing'}`);
    await ctx.skip(skip);
    return chosen;
  }
}
