/**
 * BaseOperator: what every task shares. An operator subclass names its registry type,
 * declares which arguments are templated, validates its own arguments, and implements
 * `execute(args, ctx)` where `args` are already rendered.
 */
import { z } from 'zod';
import type { DAG } from './dag.ts';
import type { TaskContext } from './context.ts';
import { COMMON_ARG_NAMES, resolveTaskArgs, type CommonTaskArgs, type ResolvedTaskArgs } from './task-args.ts';

export type { CommonTaskArgs } from './task-args.ts';

export interface TaskArgs extends Partial<CommonTaskArgs> {
  task_id: string;
  dag?: DAG | null;
}

const TASK_ID = /^[A-Za-z0-9_.-]+$/;

export abstract class BaseOperator<A extends Record<string, unknown> = Record<string, unknown>> {
  /** The operator's name in the registry and in declarative DAGs (`type`). */
  abstract readonly operatorType: string;
  /** Arguments rendered with Jinja before execute. */
  readonly templateFields: readonly string[] = [];
  /** True when the task cannot be rebuilt from its serialized arguments (functions). */
  readonly needsDagFile: boolean = false;

  readonly task_id: string;
  readonly dag: DAG | null;
  readonly common: ResolvedTaskArgs;
  readonly args: A;
  readonly upstreamIds = new Set<string>();
  readonly downstreamIds = new Set<string>();

  constructor(taskArgs: TaskArgs, schema: z.ZodType<A>) {
    if (!taskArgs || typeof taskArgs.task_id !== 'string' || !TASK_ID.test(taskArgs.task_id)) {
      throw new Error(`invalid task_id ${JSON.stringify(taskArgs?.task_id)}: use letters, digits, "_", "." and "-"`);
    }
    this.task_id = taskArgs.task_id;
    this.dag = taskArgs.dag ?? null;
    const where = `task "${this.task_id}"${this.dag ? ` of DAG "${this.dag.dag_id}"` : ''}`;
    this.common = resolveTaskArgs(where, taskArgs as unknown as Record<string, unknown>,
      this.dag?.args.default_args as Record<string, unknown> | undefined);
    this.args = parseSpecificArgs(where, taskArgs as unknown as Record<string, unknown>, schema);
    this.dag?.addTask(this);
  }

  abstract execute(args: A, ctx: TaskContext): Promise<unknown>;

  /** Airflow's `a >> b`: b (or each of a list) runs after this task; returns its argument to chain. */
  rshift<T extends BaseOperator | BaseOperator[]>(other: T): T {
    for (const o of Array.isArray(other) ? other : [other]) this.set_downstream(o);
    return other;
  }

  /** Airflow's `a << b`: this task runs after b (or each of a list). */
  lshift<T extends BaseOperator | BaseOperator[]>(other: T): T {
    for (const o of Array.isArray(other) ? other : [other]) this.set_upstream(o);
    return other;
  }

  set_downstream(other: BaseOperator): void {
    if (other.dag !== this.dag) {
      throw new Error(`cannot link "${this.task_id}" to "${other.task_id}": they belong to different DAGs`);
    }
    this.downstreamIds.add(other.task_id);
    other.upstreamIds.add(this.task_id);
  }

  set_upstream(other: BaseOperator): void {
    other.set_downstream(this);
  }
}

/** Validate the operator-specific arguments (everything that is not a common argument). */
function parseSpecificArgs<A>(where: string, all: Record<string, unknown>, schema: z.ZodType<A>): A {
  const specific: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k !== 'task_id' && k !== 'dag' && !COMMON_ARG_NAMES.includes(k)) specific[k] = v;
  }
  const parsed = schema.safeParse(specific);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.');
    throw new Error(`${where}: ${field ? `${field}: ` : ''}${issue?.message}`);
  }
  return parsed.data;
}

/** Airflow's chain(a, b, [c, d], e): each element runs after the previous one. */
export function chain(...items: Array<BaseOperator | BaseOperator[]>): void {
  for (let i = 1; i < items.length; i++) {
    const prev = items[i - 1]!;
    const next = items[i]!;
    const prevs = Array.isArray(prev) ? prev : [prev];
    const nexts = Array.isArray(next) ? next : [next];
    if (Array.isArray(prev) && Array.isArray(next)) {
      if (prev.length !== next.length) throw new Error('chain: adjacent lists must have the same length');
      prev.forEach((p, j) => p.set_downstream(next[j]!));
    } else {
      for (const p of prevs) for (const n of nexts) p.set_downstream(n);
    }
  }
}
