/**
 * PATCH `dags/{dag_id}` and PATCH `dags` (bulk): pause and unpause, the only field
 * Airflow lets the API change. Unpausing recomputes the next scheduled run at once (as
 * Airflow 3 does), so the answer and the scheduler see a fresh `next_dagrun`, and the
 * scheduler is woken.
 */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { refreshNextDagrun } from '../../core/transitions/next-dagrun.ts';
import { notifyScheduler } from '../../core/transitions/notify.ts';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import { rows, type Executor } from '../../core/transitions/sql.ts';
import { audit } from '../audit.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { badRequest, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { dagFilters, findDag } from './dags.ts';
import { body, list, paging, param } from './params.ts';
import { DAG_SELECT, dagJson, type DagApiRow } from './serialize/dag.ts';

const DagPatchBody = z.object({ is_paused: z.boolean() });

/** `update_mask`, when given, may only name is_paused (Airflow's rule and message). */
function checkUpdateMask(req: Request): void {
  const mask = list(req, 'update_mask').flatMap((m) => m.split(',')).map((m) => m.trim()).filter(Boolean);
  if (mask.length && (mask.length !== 1 || mask[0] !== 'is_paused')) {
    throw badRequest('Only `is_paused` field can be updated through the REST API');
  }
}

async function setPaused(db: Executor, dagIds: string[], paused: boolean): Promise<void> {
  if (!dagIds.length) return;
  // Only DAGs whose state changes: unpausing an unpaused DAG must not move its next run.
  const changed = await rows<{ dag_id: string; latest_version_id: number | null }>(db, `update dag set is_paused = ?
    where dag_id = any(?) and is_paused <> ? returning dag_id, latest_version_id`, [paused, dagIds, paused]);
  if (!paused) {
    const now = new Date();
    for (const d of changed) {
      if (d.latest_version_id !== null) await refreshNextDagrun(db, await loadSpec(db, d.latest_version_id), now);
    }
  }
}

export function registerDagPatch(router: Router, r: WebResources): void {
  router.patch('/dags/:dag_id', readOrWrite(), async (req, res) => {
    const dagId = param(req, 'dag_id');
    checkUpdateMask(req);
    const patch = body(req, DagPatchBody);
    const dag = await r.db.transaction(async (trx) => {
      const [row] = await rows(trx, 'select dag_id from dag where dag_id = ? for update', [dagId]);
      if (!row) throw notFound(`Dag with id: ${dagId} was not found`);
      await setPaused(trx, [dagId], patch.is_paused);
      return (await findDag(trx, dagId))!;
    });
    await notifyScheduler(r.db);
    await audit(r, res, { event: 'patch_dag', dag_id: dagId, extra: { is_paused: patch.is_paused } });
    res.json(dagJson(dag, r.config.dagsFolder));
  });

  router.patch('/dags', readOrWrite(), async (req, res) => {
    checkUpdateMask(req);
    const patch = body(req, DagPatchBody);
    const page = paging(req);
    const where = dagFilters(req, { requirePattern: true, withLatestRun: false });
    const result = await r.db.transaction(async (trx) => {
      // Every matching DAG changes; the answer shows one page of them, as in Airflow.
      const matched = await rows<{ dag_id: string }>(trx, `select d.dag_id from dag d ${where.toString()}
        order by d.dag_id for update`, where.bindings);
      const ids = matched.map((m) => m.dag_id);
      await setPaused(trx, ids, patch.is_paused);
      const pageIds = ids.slice(page.offset, page.offset + page.limit);
      const dags = await rows<DagApiRow>(trx, `select ${DAG_SELECT} from dag d where d.dag_id = any(?) order by d.dag_id`, [pageIds]);
      return { ids, dags };
    });
    await notifyScheduler(r.db);
    // One row per DAG, so each DAG's audit trail shows the change.
    for (const dagId of result.ids) await audit(r, res, { event: 'patch_dags', dag_id: dagId, extra: { is_paused: patch.is_paused } });
    res.json({ dags: result.dags.map((d) => dagJson(d, r.config.dagsFolder)), total_entries: result.ids.length });
  });
}
