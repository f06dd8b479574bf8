/**
 * `dagStats`: per DAG, how many runs are in each state (all four states listed, zeros
 * included, as Airflow). Only `dag_ids` filters; unknown ids are simply absent.
 */
import type { Router } from 'express';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import type { WebResources } from '../resources.ts';
import { list } from './params.ts';

const RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;

export function registerDagStats(router: Router, r: WebResources): void {
  router.get('/dagStats', readOrWrite(), async (req, res) => {
    // Repeated (?dag_ids=a&dag_ids=b) or comma-separated, both of which Airflow clients send.
    const dagIds = list(req, 'dag_ids').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    const counts = await rows<{ dag_id: string; state: string; n: number }>(r.db, `
      select d.dag_id, s.state, count(dr.id)::int as n
      from dag d cross join unnest(?::text[]) s(state)
      left join dag_run dr on dr.dag_id = d.dag_id and dr.state = s.state
      where ${dagIds.length ? 'd.dag_id = any(?)' : 'd.is_active'}
      group by d.dag_id, s.state order by d.dag_id`, dagIds.length ? [[...RUN_STATES], dagIds] : [[...RUN_STATES]]);
    const byDag = new Map<string, Map<string, number>>();
    for (const c of counts) {
      if (!byDag.has(c.dag_id)) byDag.set(c.dag_id, new Map());
      byDag.get(c.dag_id)!.set(c.state, c.n);
    }
    const dags = [...byDag].map(([dagId, m]) => ({
      dag_id: dagId, dag_display_name: dagId,
      stats: RUN_STATES.map((state) => ({ state, count: m.get(state) ?? 0 })),
    }));
    res.json({ dags, total_entries: dags.length });
  });
}
