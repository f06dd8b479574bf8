/**
 * `shortCircuit(args, fn)`: when the function's result is falsy, downstream tasks are
 * skipped: all of them, however far (Airflow's default, ignore_downstream_trigger_rules),
 * or only the direct ones, leaving the rest to their trigger rules.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { allDownstream, directDownstream } from './skip-rules.ts';

const ShortCircuitArgs = z.object({ ignore_downstream_trigger_rules: z.boolean().optional() }).strict();
type ShortCircuitArgs = z.infer<typeof ShortCircuitArgs>;

export type ConditionFunction = (ctx: TaskContext) => unknown;

export class ShortCircuitOperator extends BaseOperator<ShortCircuitArgs> {
  readonly operatorType = 'short_circuit';
  override readonly needsDagFile = true;
  readonly fn: ConditionFunction;

  constructor(args: TaskArgs & ShortCircuitArgs, fn: ConditionFunction) {
    super(args, ShortCircuitArgs);
    if (typeof fn !== 'function') throw new Error(`task "${args.task_id}": shortCircuit() needs a function`);
    this.fn = fn;
  }

  async execute(args: ShortCircuitArgs, ctx: TaskContext): Promise<unknown> {
    const result = await this.fn(ctx);
    if (result) {
      ctx.log.info('condition is true: downstream tasks proceed');
      return result;
    }
    const skip = args.ignore_downstream_trigger_rules === false
      ? directDownstream(ctx.dagSpec, ctx.task_id) : allDownstream(ctx.dagSpec, ctx.task_id);
    ctx.log.info(`condition is false: skipping ${skip.join(', ') || 'nothing'}`);
    await ctx.skip(skip);
    return result ?? null;
  }
}

export function shortCircuit(args: TaskArgs & ShortCircuitArgs, fn: ConditionFunction): ShortCircuitOperator {
  return new ShortCircuitOperator(args, fn);
}
