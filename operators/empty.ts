import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../core/authoring/base-operator.ts';

/** Does nothing; useful to group dependencies. The worker finishes it without running code. */
export class EmptyOperator extends BaseOperator<Record<string, never>> {
  readonly operatorType = 'empty';
  constructor(args: TaskArgs) {
    super(args, z.object({}).strict() as z.ZodType<Record<string, never>>);
  }
  async execute(): Promise<undefined> {
    return undefined;
  }
}
