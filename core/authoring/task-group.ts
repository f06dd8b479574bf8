/**
 * Airflow's TaskGroup: a named, nestable set of tasks. It exists only while a DAG is
 * built: it prefixes its tasks' ids (`group.task`), gives them its default_args, and
 * lets a whole group be one end of a dependency. Links are made when `rshift`, `chain`,
 * ... are called, from the group's tasks at that moment, as in Airflow: a group's
 * upstream edge goes to its roots, a downstream edge from its leaves.
 */
import type { BaseOperator, CommonTaskArgs } from './base-operator.ts';
import type { DAG } from './dag.ts';

export interface TaskGroupArgs {
  /** The group's own id: letters, digits, "_" and "-" ("." separates nested ids). */
  group_id: string;
  /** The DAG; may be left out when `parent_group` is given (its DAG is used). */
  dag?: DAG | null;
  /** Prefix the ids of the group's tasks and child groups with the group's id. Default true. */
  prefix_group_id?: boolean;
  /** Merged over the parent group's (or the DAG's) default_args for the group's tasks. */
  default_args?: Partial<CommonTaskArgs>;
  /** Shown in a UI; kept on the object only (the serialized DAG has no group metadata). */
  tooltip?: string;
  /** The enclosing group, for nested groups. */
  parent_group?: TaskGroup | null;
}

/** Airflow forbids "." in a group's own id: it separates the levels of the path. */
const GROUP_ID = /^[A-Za-z0-9_-]+$/;
/**
 * Marks task groups by a registry-wide symbol rather than `instanceof`: a DAG file
 * compiled as CommonJS gets its own copy of this module (see mapping.ts's XComArg).
 */
const BRAND = Symbol.for('updraft.TaskGroup');

/** The groups of each DAG by Airflow group_id, to reject duplicates and clashes with task ids. */
const groupsByDag = new WeakMap<DAG, Map<string, TaskGroup>>();

export type Linkable = BaseOperator | TaskGroup;

export class TaskGroup {
  readonly [BRAND] = true;
  /** Airflow's group_id: prefixed with the parent's id when the parent prefixes. */
  readonly group_id: string;
  /** The ids of the enclosing groups and this one, joined by "." (TaskSpec.task_group). */
  readonly path: string;
  readonly dag: DAG;
  readonly prefix_group_id: boolean;
  readonly tooltip: string;
  readonly parent_group: TaskGroup | null;
  /** The DAG's default_args, then each enclosing group's, then this group's. */
  readonly default_args: Partial<CommonTaskArgs>;
  /** Tasks created directly in this group (not in child groups), in creation order. */
  readonly tasks: BaseOperator[] = [];
  readonly children: TaskGroup[] = [];

  constructor(args: TaskGroupArgs) {
    const label = args?.group_id;
    if (typeof label !== 'string' || !GROUP_ID.test(label)) {
      throw new Error(`invalid group_id ${JSON.stringify(label)}: use letters, digits, "_" and "-"`);
    }
    const parent = args.parent_group ?? null;
    if (parent !== null && !isTaskGroup(parent)) throw new Error(`task group "${label}": parent_group must be a TaskGroup`);
    const dag = args.dag ?? parent?.dag ?? null;
    if (!dag) throw new Error(`task group "${label}": give it a dag (or a parent_group)`);
    if (parent && args.dag && args.dag !== parent.dag) {
      throw new Error(`task group "${label}": its dag is not the DAG of its parent group "${parent.group_id}"`);
    }
    this.group_id = parent ? parent.childId(label) : label;
    this.path = parent ? `${parent.path}.${label}` : label;
    this.dag = dag;
    this.prefix_group_id = args.prefix_group_id ?? true;
    this.tooltip = args.tooltip ?? '';
    this.parent_group = parent;
    const inherited = parent ? parent.default_args : dag.args.default_args;
    this.default_args = { ...inherited, ...args.default_args };

    const where = `DAG "${dag.dag_id}"`;
    const groups = groupsByDag.get(dag) ?? new Map<string, TaskGroup>();
    if (groups.has(this.group_id)) throw new Error(`${where}: duplicate task group id "${this.group_id}"`);
    if (dag.tasks.has(this.group_id)) throw new Error(`${where}: task group id "${this.group_id}" is already a task id`);
    groups.set(this.group_id, this);
    groupsByDag.set(dag, groups);
    parent?.children.push(this);
  }

  /** Airflow's child_id: the id a task or child group labelled `label` gets in this group. */
  childId(label: string): string {
    return this.prefix_group_id ? `${this.group_id}.${label}` : label;
  }

  /** Every task in this group and its child groups. */
  allTasks(): BaseOperator[] {
    return [...this.tasks, ...this.children.flatMap((c) => c.allTasks())];
  }

  /** Tasks with no upstream task inside the group: where an edge into the group lands. */
  roots(): BaseOperator[] {
    const all = this.nonEmpty();
    const ids = new Set(all.map((t) => t.task_id));
    return all.filter((t) => ![...t.upstreamIds].some((id) => ids.has(id)));
  }

  /** Tasks with no downstream task inside the group: where an edge out of the group starts. */
  leaves(): BaseOperator[] {
    const all = this.nonEmpty();
    const ids = new Set(all.map((t) => t.task_id));
    return all.filter((t) => ![...t.downstreamIds].some((id) => ids.has(id)));
  }

  /** `group >> other`: other (a task, a group, or a list of them) runs after the group's leaves. */
  rshift<T extends Linkable | Linkable[]>(other: T): T {
    for (const o of Array.isArray(other) ? other : [other]) this.set_downstream(o);
    return other;
  }

  /** `group << other`: the group's roots run after other. */
  lshift<T extends Linkable | Linkable[]>(other: T): T {
    for (const o of Array.isArray(other) ? other : [other]) this.set_upstream(o);
    return other;
  }

  set_downstream(other: Linkable): void {
    // Leaves are taken before linking: the new edges must not change which tasks link.
    for (const leaf of this.leaves()) leaf.set_downstream(other);
  }

  set_upstream(other: Linkable): void {
    const roots = this.roots();
    for (const root of roots) root.set_upstream(other);
  }

  /** Called by BaseOperator's constructor for a task created with `task_group: this`. */
  addTask(task: BaseOperator): void {
    this.tasks.push(task);
  }

  /**
   * An empty group would link nothing and silently drop a dependency (Airflow does
   * that); here it is an error, since the group's tasks must exist before linking it.
   */
  private nonEmpty(): BaseOperator[] {
    const all = this.allTasks();
    if (all.length === 0) {
      throw new Error(`DAG "${this.dag.dag_id}": task group "${this.group_id}" has no tasks yet; create its tasks before linking the group`);
    }
    return all;
  }
}

export function isTaskGroup(value: unknown): value is TaskGroup {
  return !!value && typeof value === 'object' && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A DAG's task group by its Airflow group_id, or undefined. */
export function findTaskGroup(dag: DAG, groupId: string): TaskGroup | undefined {
  return groupsByDag.get(dag)?.get(groupId);
}

/** Is `id` a task group's id in this DAG? (A task may not take a group's id.) */
export function isTaskGroupId(dag: DAG, id: string): boolean {
  return groupsByDag.get(dag)?.has(id) ?? false;
}

/**
 * The callback form (Airflow's `with TaskGroup(...) as tg:` block): creates the group,
 * lets `build` create its tasks, then returns the group, ready to be linked.
 */
export function taskGroup(args: TaskGroupArgs, build: (tg: TaskGroup) => void): TaskGroup {
  const tg = new TaskGroup(args);
  const result: unknown = build(tg);
  // Tasks created after an await would miss the links made right after this call.
  if (result instanceof Promise) throw new Error(`task group "${tg.group_id}": the taskGroup() callback must not be async`);
  return tg;
}
