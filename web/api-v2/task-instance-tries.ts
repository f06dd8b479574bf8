/**
 * A task instance's tries (Airflow's task instance history): GET .../tries and
 * .../tries/{task_try_number}, for unmapped instances (map_index from the query,
 * default -1) and mapped ones (.../{map_index}/tries). Every try has its own
 * task_instance_try row, the current one included, with its own start, end and host.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { notFound, validationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { param } from './params.ts';
import { serializeTry, type TryRow } from './serialize/task-instance.ts';
import { findTaskInstance, mapIndexOf, TI_PATH, tiPath } from './task-instance-get.ts';

const TRY_COLUMNS = 'try_number, state, start_date, end_date, duration, hostname, pid';

function tryNumberOf(req: Request): number {
  const raw = param(req, 'task_try_number');
  const parsed = z.coerce.number().int().min(0).safeParse(raw);
  if (!parsed.success) throw validationError('path', new z.ZodError(parsed.error.issues.map((i) => ({ ...i, path: ['task_try_number'] }))), { task_try_number: raw });
  return parsed.data;
}

export function registerTaskInstanceTries(router: Router, r: WebResources): void {
  const listTries = (from: 'path' | 'query') => async (req: Request, res: Response) => {
    const { dagId, runId, taskId } = tiPath(req);
    const mapIndex = from === 'path' ? mapIndexOf(param(req, 'map_index'), 'path')! : mapIndexOf(req.query.map_index, 'query')!;
    const ti = await findTaskInstance(r.db, dagId, runId, taskId, mapIndex);
    const tries = await rows<TryRow>(r.db, `select ${TRY_COLUMNS} from task_instance_try where ti_id = ? order by try_number`, [ti.id]);
    res.json({ task_instances: tries.map((t) => serializeTry(ti, t)), total_entries: tries.length });
  };
  const oneTry = (from: 'path' | 'query') => async (req: Request, res: Response) => {
    const { dagId, runId, taskId } = tiPath(req);
    const mapIndex = from === 'path' ? mapIndexOf(param(req, 'map_index'), 'path')! : mapIndexOf(req.query.map_index, 'query')!;
    const tryNumber = tryNumberOf(req);
    const ti = await findTaskInstance(r.db, dagId, runId, taskId, mapIndex);
    const [t] = await rows<TryRow>(r.db, `select ${TRY_COLUMNS} from task_instance_try where ti_id = ? and try_number = ?`, [ti.id, tryNumber]);
    if (!t) {
      throw notFound(`The Task Instance History with dag_id: \`${dagId}\`, run_id: \`${runId}\`, task_id: \`${taskId}\`, map_index: \`${mapIndex}\` and try_number: \`${tryNumber}\` was not found`);
    }
    res.json(serializeTry(ti, t));
  };
  router.get(`${TI_PATH}/tries`, readOrWrite(), listTries('query'));
  router.get(`${TI_PATH}/tries/:task_try_number`, readOrWrite(), oneTry('query'));
  router.get(`${TI_PATH}/:map_index/tries`, readOrWrite(), listTries('path'));
  router.get(`${TI_PATH}/:map_index/tries/:task_try_number`, readOrWrite(), oneTry('path'));
}
