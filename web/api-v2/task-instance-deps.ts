/**
 * "Why is this task not running?": GET .../taskInstances/{task_id}/dependencies (map_index
 * from the query) and .../{map_index}/dependencies. The same rules the scheduler applies
 * (core/transitions/explain.ts); only the failing ones are listed, sorted by name, as in
 * Airflow. Like Airflow, a task that is running or finished has none; unlike Airflow,
 * a task waiting for its retry or reschedule says so too (the question is the same).
 */
import type { Request, Response, Router } from 'express';
import { explainTaskInstance } from '../../core/transitions/explain.ts';
import { readOrWrite } from '../auth/middleware.ts';
import type { WebResources } from '../resources.ts';
import { param } from './params.ts';
import { findTaskInstance, mapIndexOf, TI_PATH, tiPath } from './task-instance-get.ts';

const WAITING_STATES = new Set<string | null>([null, 'scheduled', 'up_for_retry', 'up_for_reschedule']);

export function registerTaskInstanceDeps(router: Router, r: WebResources): void {
  const handler = (from: 'path' | 'query') => async (req: Request, res: Response) => {
    const { dagId, runId, taskId } = tiPath(req);
    const mapIndex = from === 'path' ? mapIndexOf(param(req, 'map_index'), 'path')! : mapIndexOf(req.query.map_index, 'query')!;
    const ti = await findTaskInstance(r.db, dagId, runId, taskId, mapIndex);
    if (!WAITING_STATES.has(ti.state)) { res.json({ dependencies: [] }); return; }
    const { deps } = await explainTaskInstance(r.db, dagId, runId, taskId, mapIndex);
    const failing = deps.filter((d) => !d.passed).map((d) => ({ name: d.name, reason: d.reason }))
      .sort((a, b) => a.name.localeCompare(b.name));
    res.json({ dependencies: failing });
  };
  router.get(`${TI_PATH}/dependencies`, readOrWrite(), handler('query'));
  router.get(`${TI_PATH}/:map_index/dependencies`, readOrWrite(), handler('path'));
}
