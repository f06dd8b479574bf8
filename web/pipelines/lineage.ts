/**
 * GET /pipelines/{id}/lineage: the datasets each task reads and writes, as a graph,
 * with the pipelines upstream (writing what this one reads) and downstream (reading
 * what it writes), all from the pipelines' latest definitions (core/pipelines/lineage.ts).
 */
import type { Router } from 'express';
import { lineageGraph, taskLineage } from '../../core/pipelines/lineage.ts';
import { allLatestPipelines } from '../../core/pipelines/store.ts';
import { readOrWrite } from '../auth/middleware.ts';
import type { WebResources } from '../resources.ts';
import { param } from '../api-v2/params.ts';
import { requirePipeline } from './pipelines.ts';

export function registerLineageRoute(router: Router, r: WebResources): void {
  router.get('/pipelines/:id/lineage', readOrWrite(), async (req, res) => {
    const p = await requirePipeline(r, param(req, 'id'));
    const others = await allLatestPipelines(r.db);
    const graph = lineageGraph(p.name, p.definition, others);
    const tasks = taskLineage(p.definition).map((t) => ({
      task_id: t.task_id, reads: t.reads.map((d) => d.id), writes: t.writes.map((d) => d.id),
    }));
    res.json({ ...graph, version: p.version, tasks });
  });
}
