/**
 * POST /dags/{dag_id}/clearTaskInstances (ClearTaskInstancesBody). Selection is core's
 * findClearTargets (task ids widened to upstream/downstream, then only_failed /
 * only_running), clearing is core's clearTaskInstances. As in Airflow: `dry_run` and
 * `only_failed` default to true; a `dag_run_id` limits the clear to that run and cannot
 * be combined with include_past/include_future (400); without one, include_past drops
 * the start_date bound and include_future the end_date bound; `task_ids` items are a
 * task id or a `[task_id, map_index]` pair; `prevent_running_task` turns a selection
 * that holds a running instance into a 409.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { clearTaskInstances, findClearTargets, type ClearFilter } from '../../core/transitions/clear.ts';
import { rows } from '../../core/transitions/sql.ts';
import { audit } from '../audit.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { isoDate, taskInstancesById } from './serialize/dag-run.ts';
import { body } from './params.ts';

const ClearBody = z.object({
  dry_run: z.boolean().default(true),
  start_date: isoDate.nullish(),
  end_date: isoDate.nullish(),
  only_failed: z.boolean().default(true),
  only_running: z.boolean().default(false),
  reset_dag_runs: z.boolean().default(true),
  task_ids: z.array(z.union([z.string(), z.tuple([z.string(), z.number().int()])])).nullish(),
  dag_run_id: z.string().nullish(),
  include_upstream: z.boolean().default(false),
  include_downstream: z.boolean().default(false),
  include_future: z.boolean().default(false),
  include_past: z.boolean().default(false),
  run_on_latest_version: z.boolean().default(false),
  prevent_running_task: z.boolean().default(false),
}).strict();

export function registerClearTaskInstances(router: Router, r: WebResources): void {
  router.post('/dags/:dag_id/clearTaskInstances', readOrWrite(), async (req, res) => {
    const dagId = String(req.params.dag_id);
    const b = body(req, ClearBody);
    const [dag] = await rows(r.db, 'select 1 from dag where dag_id = ?', [dagId]);
    if (!dag) throw notFound(`DAG ${dagId} not found`);

    const filter: ClearFilter = {
      dag_id: dagId, include_upstream: b.include_upstream, include_downstream: b.include_downstream,
      only_failed: b.only_failed, only_running: b.only_running,
    };
    if (b.dag_run_id != null) {
      const [run] = await rows(r.db, 'select 1 from dag_run where dag_id = ? and run_id = ?', [dagId, b.dag_run_id]);
      if (!run) throw notFound(`Dag Run id ${b.dag_run_id} not found in dag ${dagId}`);
      if (b.include_past || b.include_future) {
        throw badRequest('Cannot use include_past or include_future when dag_run_id is provided because logical_date is not applicable.');
      }
      filter.run_id = b.dag_run_id;
    } else {
      if (b.start_date && !b.include_past) filter.start_date = b.start_date;
      if (b.end_date && !b.include_future) filter.end_date = b.end_date;
    }

    // `[task_id, map_index]` pairs narrow that task to the listed indexes; a plain id means all of them.
    const pairs = new Map<string, Set<number>>();
    const plain = new Set<string>();
    for (const item of b.task_ids ?? []) {
      if (typeof item === 'string') plain.add(item);
      else pairs.set(item[0], (pairs.get(item[0]) ?? new Set()).add(item[1]));
    }
    if (b.task_ids) filter.task_ids = [...plain, ...pairs.keys()];
    const targets = (await findClearTargets(r.db, filter)).filter((t) => {
      const only = plain.has(t.task_id) ? undefined : pairs.get(t.task_id);
      return !only || only.has(t.map_index);
    });

    if (b.prevent_running_task) {
      const running = targets.filter((t) => t.state === 'running');
      if (running.length) {
        throw conflict(`Cannot clear running task instances: ${running.map((t) => `${t.run_id}/${t.task_id}${t.map_index >= 0 ? `[${t.map_index}]` : ''}`).join(', ')}`);
      }
    }
    const ids = targets.map((t) => t.id);
    if (!b.dry_run && ids.length) {
      await clearTaskInstances(r.db, ids, { resetDagRuns: b.reset_dag_runs });
      await audit(r, res, { event: 'post_clear_task_instances', dag_id: dagId, run_id: b.dag_run_id ?? null,
        extra: { ...req.body as object, cleared: ids.length } });
    }
    const tis = await taskInstancesById(r, ids);
    res.json({ task_instances: tis, total_entries: tis.length });
  });
}
