/**
 * `task(args, fn)`: a TypeScript function as a task (Airflow's @task). Its return value
 * becomes the XCom `return_value`. The function cannot be serialized, so workers import
 * the DAG file to run it.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../core/authoring/base-operator.ts';
import type { TaskContext } from '../core/authoring/context.ts';

export type TaskFunction<T> = (ctx: TaskContext) => T | Promise<T>;

export class FunctionOperator<T = unknown> extends BaseOperator<Record<string, never>> {
  readonly operatorType = 'task';
  override readonly needsDagFile = true;
  readonly fn: TaskFunction<T>;

  constructor(args: TaskArgs, fn: TaskFunction<T>) {
    super(args, z.object({}).strict() as z.ZodType<Record<string, never>>);
    if (typeof fn !== 'function') throw new Error(`task "${args.task_id}": task() needs a function`);
    this.fn = fn;
  }

  async execute(_args: Record<string, never>, ctx: TaskContext): Promise<unknown> {
    return await this.fn(ctx);
  }
}

export function task<T>(args: TaskArgs, fn: TaskFunction<T>): FunctionOperator<T> {
  return new FunctionOperator<T>(args, fn);
}
