/**
 * BaseOperator: what every task shares. An operator subclass names its registry type,
 * declares which arguments are templated, validates its own arguments, and implements
 * `execute(args, ctx)` where `args` are already rendered.
 */
import { z } from 'zod';
import type { DAG } from './dag.ts';
import type { TaskContext } from './context.ts';
import type { MapSpec } from '../dag/spec.ts';
import { checkExpandNames, compileMapSpec, constructExpanding, expandingArgs, XComArg } from './mapping.ts';
import { COMMON_ARG_NAMES, resolveTaskArgs, type CommonTaskArgs, type ResolvedTaskArgs } from './task-args.ts';
import { isTaskGroup, isTaskGroupId, type Linkable, type TaskGroup } from './task-group.ts';

export type { CommonTaskArgs } from './task-args.ts';

export interface TaskArgs extends Partial<CommonTaskArgs> {
  task_id: string;
  dag?: DAG | null;
  /** Airflow's task_group=: the task joins the group (id prefixed, the group's default_args). */
  task_group?: TaskGroup | null;
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
  /** Kept to validate a mapped instance's arguments at run time (see argsWithMapped). */
  private readonly argSchema: z.ZodType<A>;
  private readonly where: string;
  readonly upstreamIds = new Set<string>();
  /** Set by `expand` (dynamic task mapping). */
  mapped: MapSpec | null = null;
  /** The enclosing task group's id path, set when the task is created inside a group. */
  taskGroup: string | null = null;
  readonly downstreamIds = new Set<string>();

  constructor(taskArgs: TaskArgs, schema: z.ZodType<A>) {
    if (!taskArgs || typeof taskArgs.task_id !== 'string' || !TASK_ID.test(taskArgs.task_id)) {
      throw new Error(`invalid task_id ${JSON.stringify(taskArgs?.task_id)}: use letters, digits, "_", "." and "-"`);
    }
    // A task group prefixes the id (Airflow's child_id), supplies the DAG when none is
    // given, and its default_args already include the DAG's (see task-group.ts).
    const group = taskArgs.task_group ?? null;
    if (group !== null && !isTaskGroup(group)) throw new Error(`task "${taskArgs.task_id}": task_group must be a TaskGroup`);
    if (group && taskArgs.dag && taskArgs.dag !== group.dag) {
      throw new Error(`task "${taskArgs.task_id}": its dag is not the DAG of its task group "${group.group_id}"`);
    }
    this.task_id = group ? group.childId(taskArgs.task_id) : taskArgs.task_id;
    this.dag = taskArgs.dag ?? group?.dag ?? null;
    this.taskGroup = group?.path ?? null;
    const where = `task "${this.task_id}"${this.dag ? ` of DAG "${this.dag.dag_id}"` : ''}`;
    if (this.dag && isTaskGroupId(this.dag, this.task_id)) throw new Error(`${where}: the id is already a task group's id`);
    this.common = resolveTaskArgs(where, taskArgs as unknown as Record<string, unknown>,
      (group ? group.default_args : this.dag?.args.default_args) as Record<string, unknown> | undefined);
    this.args = parseSpecificArgs(where, taskArgs as unknown as Record<string, unknown>, schema);
    this.argSchema = schema;
    this.where = where;
    this.dag?.addTask(this);
    group?.addTask(this);
  }

  abstract execute(args: A, ctx: TaskContext): Promise<unknown>;

  /** Airflow's `task.output`: this task's return value, to pass to a downstream `expand`. */
  get output(): XComArg {
    return new XComArg(this.task_id);
  }

  /**
   * Airflow's `Operator.partial(...).expand(...)`: the arguments given to partial are
   * shared; each value of an expanded argument (a list, or an upstream task's `.output`)
   * becomes one task instance.
   */
  static partial<T extends BaseOperator>(
    this: new (args: never) => T, args: TaskArgs & Record<string, unknown>,
  ): { expand(map: Record<string, unknown>): T } {
    const Ctor = this as unknown as new (a: Record<string, unknown>) => T;
    return {
      expand: (map) => {
        checkExpandNames(`task "${args.task_id}"`, map);
        return constructExpanding(Object.keys(map), () => new Ctor({ ...args })).expand(map);
      },
    };
  }

  /**
   * Map this task over lists (function tasks call it directly: `task(...).expand({...})`;
   * classic operators go through `partial`). An upstream `.output` also becomes an
   * upstream dependency, as in Airflow.
   */
  /** A mapped instance's arguments: the shared ones plus its own values, validated in full. */
  argsWithMapped(values: Record<string, unknown>): A {
    return parseSpecificArgs(this.where, { ...this.args, ...values }, this.argSchema);
  }

  expand(map: Record<string, unknown>): this {
    if (this.mapped) throw new Error(`task "${this.task_id}": expand() was already called`);
    this.mapped = compileMapSpec(`task "${this.task_id}"`, map);
    for (const { source } of this.mapped.args) {
      if (!('xcom' in source)) continue;
      const up = this.dag?.tasks.get(source.xcom.task_id);
      if (!up) throw new Error(`task "${this.task_id}": expand() refers to unknown task "${source.xcom.task_id}"`);
      up.set_downstream(this);
    }
    return this;
  }

  /** Airflow's `a >> b`: b (a task or group, or each of a list) runs after this task; returns its argument to chain. */
  rshift<T extends Linkable | Linkable[]>(other: T): T {
    for (const o of Array.isArray(other) ? other : [other]) this.set_downstream(o);
    return other;
  }

  /** Airflow's `a << b`: this task runs after b (a task or group, or each of a list). */
  lshift<T extends Linkable | Linkable[]>(other: T): T {
    for (const o of Array.isArray(other) ? other : [other]) this.set_upstream(o);
    return other;
  }

  set_downstream(other: Linkable): void {
    // A group downstream: the edge goes to each of its roots, as in Airflow.
    if (isTaskGroup(other)) {
      for (const root of other.roots()) this.set_downstream(root);
      return;
    }
    if (other.dag !== this.dag) {
      throw new Error(`cannot link "${this.task_id}" to "${other.task_id}": they belong to different DAGs`);
    }
    this.downstreamIds.add(other.task_id);
    other.upstreamIds.add(this.task_id);
  }

  /** A group upstream: each of its leaves runs before this task (TaskGroup.set_downstream). */
  set_upstream(other: Linkable): void {
    other.set_downstream(this);
  }
}

/** Validate the operator-specific arguments (everything that is not a common argument). */
function parseSpecificArgs<A>(where: string, all: Record<string, unknown>, schema: z.ZodType<A>): A {
  const specific: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k !== 'task_id' && k !== 'dag' && k !== 'task_group' && !COMMON_ARG_NAMES.includes(k)) specific[k] = v;
  }
  const parsed = schema.safeParse(specific);
  const mapped = expandingArgs();
  if (!parsed.success && mapped) {
    // Mapped arguments arrive at run time: only the other arguments can be checked now.
    const issue = parsed.error.issues.find((i) => !mapped.has(String(i.path[0])) && !(i.code === 'unrecognized_keys'
      && i.keys.every((k) => mapped.has(k))));
    if (!issue) return specific as A;
    throw new Error(`${where}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.');
    throw new Error(`${where}: ${field ? `${field}: ` : ''}${issue?.message}`);
  }
  return parsed.data;
}

/**
 * Airflow's chain(a, b, [c, d], e): each element runs after the previous one. Elements
 * may be task groups (linked through their roots and leaves).
 */
export function chain(...items: Array<Linkable | Linkable[]>): void {
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
