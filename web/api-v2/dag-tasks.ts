/**
 * `dags/{dag_id}/tasks[/{task_id}]`: the tasks of the DAG's latest serialized version,
 * in Airflow's TaskResponse shape. Airflow sorts them in memory by one attribute
 * (`order_by`, `-` for descending); so does this, from a fixed list of attributes.
 */
import type { Router } from 'express';
import type { DagSpec } from '../../core/dag/spec.ts';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { badRequest, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { dagNotFound, requireDag } from './dags.ts';
import { param, single } from './params.ts';
import { taskJson } from './serialize/task.ts';

const SORTABLE = ['task_id', 'task_display_name', 'operator_name', 'owner', 'trigger_rule', 'weight_rule',
  'priority_weight', 'retries', 'pool', 'pool_slots', 'queue', 'start_date', 'end_date', 'is_mapped'];

async function latestSpec(r: WebResources, dagId: string): Promise<DagSpec> {
  const dag = await requireDag(r.db, dagId);
  if (dag.latest_version_id === null) throw dagNotFound(dagId);
  return loadSpec(r.db, dag.latest_version_id);
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

export function registerDagTasks(router: Router, r: WebResources): void {
  router.get('/dags/:dag_id/tasks', readOrWrite(), async (req, res) => {
    const raw = single(req.query.order_by) ?? 'task_id';
    const desc = raw.startsWith('-');
    const key = desc ? raw.slice(1) : raw;
    if (!SORTABLE.includes(key)) {
      throw badRequest(`Ordering with '${key}' is disallowed or the attribute does not exist on the model; allowed: ${SORTABLE.join(', ')}`);
    }
    const spec = await latestSpec(r, param(req, 'dag_id'));
    const tasks = spec.tasks.map((t) => taskJson(t, spec));
    tasks.sort((a, b) => (desc ? -1 : 1) * compare(a[key], b[key]) || compare(a.task_id, b.task_id));
    res.json({ tasks, total_entries: tasks.length });
  });

  router.get('/dags/:dag_id/tasks/:task_id', readOrWrite(), async (req, res) => {
    const spec = await latestSpec(r, param(req, 'dag_id'));
    const taskId = param(req, 'task_id');
    const task = spec.tasks.find((t) => t.task_id === taskId);
    if (!task) throw notFound(`Task with id ${taskId} not found`);
    res.json(taskJson(task, spec));
  });
}
