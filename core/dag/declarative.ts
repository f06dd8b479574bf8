/**
 * Declarative DAGs (JSON or YAML): the seed pipeline format. Keys use Airflow's names
 * (`dag_id` or `name`, `schedule`, `tasks[].id` or `task_id`, `type`, `depends_on`,
 * then the operator's own arguments). Unknown keys and types are errors that name
 * what is wrong and where, never silently ignored. `task_group: "etl.load"` puts a task
 * in a (nested) task group, so its id becomes "etl.load.<id>"; `depends_on` may name a
 * group, meaning all of the group's leaf tasks, as `group >> task` does in Airflow.
 */
import YAML from 'yaml';
import { DAG, type DagArgs } from '../authoring/dag.ts';
import type { BaseOperator, TaskArgs } from '../authoring/base-operator.ts';
import { TaskGroup } from '../authoring/task-group.ts';
import { checkExpandNames, constructExpanding, XComArg } from '../authoring/mapping.ts';
import { isStreamingPipeline, streamingPipelineToDag } from './streaming-pipeline.ts';

export type DeclarativeFactory = (args: TaskArgs & Record<string, unknown>) => BaseOperator;

const DAG_KEYS = new Set([
  'dag_id', 'name', 'schedule', 'start_date', 'end_date', 'timezone', 'catchup', 'default_args',
  'params', 'max_active_runs', 'max_active_tasks', 'dagrun_timeout', 'run_as_workflow', 'tags', 'description', 'owner', 'tasks',
]);

export function parseDeclarativeText(text: string, filename: string): unknown {
  try {
    return filename.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new Error(`${filename.endsWith('.json') ? 'JSON' : 'YAML'} syntax error: ${(err as Error).message}`);
  }
}

export function buildDeclarativeDag(doc: unknown, registry: ReadonlyMap<string, DeclarativeFactory>): DAG {
  // The seed's streaming format (sources/sinks/...) becomes this form first: streaming-pipeline.ts.
  if (isStreamingPipeline(doc)) return buildDeclarativeDag(streamingPipelineToDag(doc), registry);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('a declarative DAG must be an object');
  const d = doc as Record<string, unknown>;
  const unknownKeys = Object.keys(d).filter((k) => !DAG_KEYS.has(k));
  if (unknownKeys.length) throw new Error(`unknown DAG key(s): ${unknownKeys.map((k) => `"${k}"`).join(', ')}`);
  if (d.dag_id !== undefined && d.name !== undefined) throw new Error('give either "dag_id" or "name", not both');
  const dagId = d.dag_id ?? d.name;
  if (typeof dagId !== 'string') throw new Error('missing "dag_id" (or "name")');
  if (!Array.isArray(d.tasks) || d.tasks.length === 0) throw new Error(`DAG "${dagId}": "tasks" must be a non-empty list`);

  const tasks = d.tasks.map((raw, i) => normalizeTask(raw, i, dagId));
  const unknownTypes = tasks.filter((t) => !registry.has(t.type));
  if (unknownTypes.length) {
    const list = unknownTypes.map((t) => `"${t.type}" (task "${t.task_id}")`).join(', ');
    throw new Error(`DAG "${dagId}": unknown operator type(s) ${list}; known types: ${[...registry.keys()].sort().join(', ')}`);
  }

  const { name: _name, tasks: _tasks, ...dagArgs } = d;
  const dag = new DAG({ ...(dagArgs as Partial<DagArgs>), dag_id: dagId });
  const ops = new Map<string, BaseOperator>();
  const groups = new Map<string, TaskGroup>();
  for (const t of tasks) {
    const task_group = t.group === null ? undefined : groupAt(t.group, dag, groups);
    const build = () => registry.get(t.type)!({ ...t.args, task_id: t.local_id, dag, ...(task_group && { task_group }) });
    if (t.expand) checkExpandNames(`DAG "${dagId}": task "${t.task_id}"`, t.expand);
    ops.set(t.task_id, t.expand ? constructExpanding(Object.keys(t.expand), build) : build());
  }
  // Mapping after every task exists: an expanded XCom names an upstream task anywhere in the file.
  for (const t of tasks) if (t.expand) ops.get(t.task_id)!.expand(mapSources(dagId, t, ops));
  // Task-to-task edges first: a group's leaves are only known once its inner edges exist.
  const groupRefs: Array<{ group: TaskGroup; task: BaseOperator }> = [];
  for (const t of tasks) {
    const task = ops.get(t.task_id)!;
    for (const up of t.depends_on) {
      const upstream = ops.get(up);
      if (upstream) upstream.set_downstream(task);
      else if (groups.has(up)) groupRefs.push({ group: groups.get(up)!, task });
      else {
        const what = groups.size ? 'task or task group' : 'task';   // groups named only where there are any
        throw new Error(`DAG "${dagId}": task "${t.task_id}" depends on unknown ${what} "${up}"${hint(t, up, ops)}`);
      }
    }
  }
  // Deeper groups first: an edge out of "a.b" to a task in "a" changes the leaves of "a".
  groupRefs.sort((x, y) => depth(y.group) - depth(x.group));
  for (const { group, task } of groupRefs) {
    if (group.allTasks().includes(task)) {
      throw new Error(`DAG "${dagId}": task "${task.task_id}" depends on its own task group "${group.group_id}"`);
    }
    group.set_downstream(task);
  }
  return dag;
}

/** The group at a dotted path, creating it and its enclosing groups on first use. */
function groupAt(path: string, dag: DAG, groups: Map<string, TaskGroup>): TaskGroup {
  const existing = groups.get(path);
  if (existing) return existing;
  const dot = path.lastIndexOf('.');
  const parent_group = dot < 0 ? null : groupAt(path.slice(0, dot), dag, groups);
  const group = new TaskGroup({ group_id: path.slice(dot + 1), dag, parent_group });
  groups.set(path, group);
  return group;
}

const depth = (g: TaskGroup): number => g.path.split('.').length;

/** depends_on holds full ids; a sibling's short id is the likely mistake, so suggest it. */
function hint(t: NormalizedTask, up: string, ops: ReadonlyMap<string, BaseOperator>): string {
  const full = t.group === null ? null : `${t.group}.${up}`;
  return full && ops.has(full) ? ` (did you mean "${full}"? depends_on takes full task ids)` : '';
}

interface NormalizedTask {
  /** The full id: "<group path>.<id>" in a group. */
  task_id: string;
  /** The id as written in the file. */
  local_id: string;
  /** The dotted task group path, or null at the top level. */
  group: string | null;
  type: string;
  depends_on: string[];
  args: Record<string, unknown>;
  /** Dynamic task mapping: argument -> list, or {xcom: task_id[, key]} for an upstream's XCom. */
  expand: Record<string, unknown> | null;
}

/** Dotted group ids: each level is letters, digits, "_" or "-" (Airflow's group key rule). */
const GROUP_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function normalizeTask(raw: unknown, index: number, dagId: string): NormalizedTask {
  const where = `DAG "${dagId}": tasks[${index}]`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where} must be an object`);
  const { id, task_id, type, depends_on, task_group, expand, ...args } = raw as Record<string, unknown>;
  if (task_id !== undefined && id !== undefined) throw new Error(`${where}: give either "id" or "task_id", not both`);
  const taskId = task_id ?? id;
  if (typeof taskId !== 'string') throw new Error(`${where}: missing "id" (or "task_id")`);
  if (typeof type !== 'string') throw new Error(`${where} ("${taskId}"): missing "type"`);
  const deps = depends_on === undefined ? [] : typeof depends_on === 'string' ? [depends_on] : depends_on;
  if (!Array.isArray(deps) || !deps.every((x) => typeof x === 'string')) {
    throw new Error(`${where} ("${taskId}"): "depends_on" must be a list of task ids`);
  }
  if (task_group !== undefined && (typeof task_group !== 'string' || !GROUP_PATH.test(task_group))) {
    throw new Error(`${where} ("${taskId}"): "task_group" must be a group id such as "etl" or "etl.load" `
      + `(letters, digits, "_" and "-"; "." nests), got ${JSON.stringify(task_group)}`);
  }
  if (expand !== undefined && (!expand || typeof expand !== 'object' || Array.isArray(expand))) {
    throw new Error(`${where} ("${taskId}"): "expand" must map argument names to lists or to {xcom: task_id}`);
  }
  const group = typeof task_group === 'string' ? task_group : null;
  return {
    task_id: group ? `${group}.${taskId}` : taskId, local_id: taskId, group, type, depends_on: deps, args,
    expand: (expand as Record<string, unknown> | undefined) ?? null,
  };
}

/** `expand:` values as the authoring API takes them: lists as they are, `{xcom: id}` as an upstream's output. */
function mapSources(dagId: string, t: NormalizedTask, ops: ReadonlyMap<string, BaseOperator>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(t.expand ?? {})) {
    if (Array.isArray(value)) { out[name] = value; continue; }
    const ref = value as { xcom?: unknown; key?: unknown } | null;
    if (!ref || typeof ref.xcom !== 'string' || (ref.key !== undefined && typeof ref.key !== 'string')) {
      throw new Error(`DAG "${dagId}": task "${t.task_id}": expand.${name} must be a list or {xcom: task_id}`);
    }
    const upstream = ops.get(ref.xcom);
    if (!upstream) throw new Error(`DAG "${dagId}": task "${t.task_id}": expand.${name} refers to unknown task "${ref.xcom}"`);
    out[name] = new XComArg(upstream.task_id, ref.key ?? 'return_value');
  }
  return out;
}
