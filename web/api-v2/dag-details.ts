/**
 * `dags/{dag_id}/details`: the DAG row with what its latest serialized version knows
 * (catchup, start and end dates, params, timeout, timezone), its latest version and
 * how many runs are queued or running.
 */
import type { Router } from 'express';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import type { WebResources } from '../resources.ts';
import { requireDag } from './dags.ts';
import { param } from './params.ts';
import { dagDetailsJson, type DagVersionRow } from './serialize/dag.ts';

export function registerDagDetails(router: Router, r: WebResources): void {
  router.get('/dags/:dag_id/details', readOrWrite(), async (req, res) => {
    const dag = await requireDag(r.db, param(req, 'dag_id'));
    const spec = dag.latest_version_id === null ? null : await loadSpec(r.db, dag.latest_version_id);
    const [version] = await rows<DagVersionRow>(r.db,
      'select id, dag_id, version_number, created_at from dag_version where id = ?', [dag.latest_version_id]);
    const [active] = await rows<{ n: number }>(r.db,
      `select count(*)::int as n from dag_run where dag_id = ? and state in ('queued', 'running')`, [dag.dag_id]);
    res.json(dagDetailsJson(dag, spec, {
      dagsFolder: r.config.dagsFolder,
      latestVersion: version ?? null,
      activeRuns: active?.n ?? 0,
      pausedAtCreation: r.config.dagsArePausedAtCreation,
    }));
  });
}
