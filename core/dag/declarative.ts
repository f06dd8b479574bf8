/**
 * Declarative DAGs (JSON or YAML): the seed pipeline format. Keys use Airflow's names
 * (`dag_id` or `name`, `schedule`, `tasks[].id` or `task_id`, `type`, `depends_on`,
 * then the operator's own arguments). Unknown keys and types are errors that name
 * what is wrong and where, never silently ignored.
 */
import YAML from 'yaml';
import { DAG, type DagArgs } from '../authoring/dag.ts';
import type { BaseOperator, TaskArgs } from '../authoring/base-operator.ts';

export type DeclarativeFactory = (args: TaskArgs & Record<string, unknown>) => BaseOperator;

const DAG_KEYS = new Set([
  'dag_id', 'name', 'schedule', 'start_date', 'end_date', 'timezone', 'catchup', 'default_args',
  'params', 'max_active_runs', 'max_active_tasks', 'dagrun_timeout', 'tags', 'description', 'owner', 'tasks',
]);

export function parseDeclarativeText(text: string, filename: string): unknown {
  try {
    return filename.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new Error(`${filename.endsWith('.json') ? 'JSON' : 'YAML'} syntax error: ${(err as Error).message}`);
  }
}

export function buildDeclarativeDag(doc: unknown, registry: ReadonlyMap<string, DeclarativeFactory>): DAG {
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
  for (const t of tasks) ops.set(t.task_id, registry.get(t.type)!({ ...t.args, task_id: t.task_id, dag }));
  for (const t of tasks) {
    for (const up of t.depends_on) {
      const upstream = ops.get(up);
      if (!upstream) throw new Error(`DAG "${dagId}": task "${t.task_id}" depends on unknown task "${up}"`);
      upstream.set_downstream(ops.get(t.task_id)!);
    }
  }
  return dag;
}

interface NormalizedTask { task_id: string; type: string; depends_on: string[]; args: Record<string, unknown> }

function normalizeTask(raw: unknown, index: number, dagId: string): NormalizedTask {
  const where = `DAG "${dagId}": tasks[${index}]`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where} must be an object`);
  const { id, task_id, type, depends_on, ...args } = raw as Record<string, unknown>;
  if (task_id !== undefined && id !== undefined) throw new Error(`${where}: give either "id" or "task_id", not both`);
  const taskId = task_id ?? id;
  if (typeof taskId !== 'string') throw new Error(`${where}: missing "id" (or "task_id")`);
  if (typeof type !== 'string') throw new Error(`${where} ("${taskId}"): missing "type"`);
  const deps = depends_on === undefined ? [] : typeof depends_on === 'string' ? [depends_on] : depends_on;
  if (!Array.isArray(deps) || !deps.every((x) => typeof x === 'string')) {
    throw new Error(`${where} ("${taskId}"): "depends_on" must be a list of task ids`);
  }
  return { task_id: taskId, type, depends_on: deps, args };
}
