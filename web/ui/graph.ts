/**
 * The graph of a DAG (of one run's DAG version when a run is named, with that run's
 * states): tasks placed in layers by their longest path from a root (topological depth),
 * which the browser draws as SVG. The layout is computed here, once, in plain numbers.
 */
import type { Router } from 'express';
import type { TaskSpec } from '../../core/dag/spec.ts';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { notFound } from '../errors.ts';
import { single } from '../api-v2/params.ts';
import type { WebResources } from '../resources.ts';
import { dominantState } from './grid.ts';

/** Layer of each task = 1 + the deepest layer of its upstream tasks (tasks come in topological order). */
export function layers(tasks: readonly Pick<TaskSpec, 'task_id' | 'upstream'>[]): Map<string, number> {
  const layer = new Map<string, number>();
  for (const t of tasks) layer.set(t.task_id, Math.max(-1, ...t.upstream.map((u) => layer.get(u) ?? -1)) + 1);
  return layer;
}

export function registerUiGraph(router: Router, r: WebResources): void {
  router.get('/graph/:dag_id', readOrWrite(), async (req, res) => {
    const dagId = String(req.params.dag_id);
    const runId = single(req.query.run_id);
    const [dag] = await rows<{ latest_version_id: number | null }>(r.db, 'select latest_version_id from dag where dag_id = ?', [dagId]);
    if (!dag || dag.latest_version_id === null) throw notFound(`The Dag with ID: \`${dagId}\` was not found`);
    let versionId = dag.latest_version_id;
    let run: { id: number; run_id: string; state: string; dag_version_id: number } | undefined;
    if (runId) {
      [run] = await rows(r.db, 'select id, run_id, state, dag_version_id from dag_run where dag_id = ? and run_id = ?', [dagId, runId]);
      if (!run) throw notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
      versionId = run.dag_version_id;
    }
    const spec = await loadSpec(r.db, versionId);
    const tis = run ? await rows<{ task_id: string; state: string | null; n: number }>(r.db, `
      select task_id, state, count(*)::int as n from task_instance where dag_run_id = ? group by task_id, state`, [run.id]) : [];
    const layer = layers(spec.tasks);
    const column = new Map<number, number>();
    const nodes = spec.tasks.map((t) => {
      const l = layer.get(t.task_id)!;
      const mine = tis.filter((x) => x.task_id === t.task_id);
      const pos = column.get(l) ?? 0;
      column.set(l, pos + 1);
      return {
        id: t.task_id, operator: t.operator, group: t.task_group, mapped: t.mapped !== null, layer: l, position: pos,
        state: mine.length ? dominantState(mine.map((x) => x.state)) : null,
        count: mine.reduce((a, x) => a + x.n, 0),
      };
    });
    const edges = spec.tasks.flatMap((t) => t.upstream.map((u) => ({ from: u, to: t.task_id })));
    res.json({ dag_id: dagId, run: run ? { run_id: run.run_id, state: run.state } : null, nodes, edges });
  });
}
