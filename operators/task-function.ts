/**
 * `task(args, fn)`: a TypeScript function as a task (Airflow's @task). Its return value
 * becomes the XCom `return_value`. The function cannot be serialized, so workers import
 * the DAG file to run it.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../core/authoring/base-operator.ts';
import type { TaskContext } from '../core/authoring/context.ts';

/** `args`: a mapped instance's values of its expanded arguments (`task(...).expand({...})`); empty otherwise. */
export type TaskFunction<T> = (ctx: TaskContext, args: Record<string, unknown>) => T | Promise<T>;

export class FunctionOperator<T = unknown> extends BaseOperator<Record<string, unknown>> {
  readonly operatorType = 'task';
  override readonly needsDagFile = true;
  readonly fn: TaskFunction<T>;

  constructor(args: TaskArgs, fn: TaskFunction<T>) {
    super(args, z.object({}).strict() as z.ZodType<Record<string, unknown>>);
    if (typeof fn !== 'function') throw new Error(`task "${args.task_id}": task() needs a function`);
    this.fn = fn;
  }

  /** A function takes whatever its expand() maps: the values are its to check. */
  override argsWithMapped(values: Record<string, unknown>): Record<string, unknown> {
    return { ...values };
  }

  async execute(args: Record<string, unknown>, ctx: TaskContext): Promise<unknown> {
    return await this.fn(ctx, args);
  }
}

export function task<T>(args: TaskArgs, fn: TaskFunction<T>): FunctionOperator<T> {
  return new FunctionOperator<T>(args, fn);
}
