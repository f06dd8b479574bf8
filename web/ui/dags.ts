/**
 * The DAG list page's data in three queries: the DAGs (search, tags, paused filters),
 * each one's ten most recent runs (a lateral join, not a query per DAG), and the import
 * errors shown above the list.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { list, query } from '../api-v2/params.ts';
import type { WebResources } from '../resources.ts';

const ListQuery = z.object({
  search: z.string().max(250).optional(),
  paused: z.enum(['true', 'false', 'all']).optional(),
}).loose();

interface DagListRow {
  dag_id: string; description: string | null; tags: string[]; owners: string | null; is_paused: boolean;
  fileloc: string; schedule: string | null; next_dagrun: Date | null; next_dagrun_create_after: Date | null;
  max_active_runs: number;
}

interface RecentRun { dag_id: string; run_id: string; state: string; run_type: string; logical_date: Date | null; run_after: Date }

/** LIKE metacharacters typed into the search box are matched literally: searching "a_b" finds "a_b", not "axb". */
export function literalLike(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function registerUiDags(router: Router, r: WebResources): void {
  router.get('/dags', readOrWrite(), async (req, res) => {
    const q = query(req, ListQuery);
    const tags = list(req, 'tags').filter(Boolean);
    const where = ['d.is_active'];
    const bind: unknown[] = [];
    if (q.search) { where.push(`(d.dag_id ilike ? or coalesce(d.description, '') ilike ?)`); bind.push(literalLike(q.search), literalLike(q.search)); }
    // Any of the tags, as Airflow's `tags` filter (knex reads `?|` as a placeholder, hence the long form).
    if (tags.length) { where.push('exists (select 1 from jsonb_array_elements_text(d.tags) t where t = any(?::text[]))'); bind.push(tags); }
    if (q.paused === 'true') where.push('d.is_paused');
    if (q.paused === 'false') where.push('not d.is_paused');
    const dags = await rows<DagListRow>(r.db, `
      select d.dag_id, d.description, d.tags, d.owners, d.is_paused, d.fileloc, d.timetable_description as schedule,
        d.next_dagrun, d.next_dagrun_create_after, d.max_active_runs
      from dag d where ${where.join(' and ')} order by d.dag_id limit 1000`, bind);
    const recent = dags.length === 0 ? [] : await rows<RecentRun>(r.db, `
      select x.* from unnest(?::text[]) as d(dag_id) cross join lateral (
        select dag_id, run_id, state, run_type, logical_date, run_after from dag_run
        where dag_run.dag_id = d.dag_id order by run_after desc, id desc limit 10) x`, [dags.map((d) => d.dag_id)]);
    const allTags = await rows<{ tag: string }>(r.db,
      `select distinct jsonb_array_elements_text(tags) as tag from dag where is_active order by 1`);
    const importErrors = await rows<{ filename: string; error: string; timestamp: Date }>(r.db,
      'select filename, error, timestamp from import_error order by filename');
    res.json({
      dags: dags.map((d) => ({ ...d, recent_runs: recent.filter((x) => x.dag_id === d.dag_id).reverse() })),
      tags: allTags.map((t) => t.tag),
      import_errors: importErrors,
    });
  });

  router.get('/code/:dag_id', readOrWrite(), async (req, res) => {
    const [v] = await rows<{ fileloc: string; source_code: string | null; version_number: number }>(r.db, `
      select v.fileloc, v.source_code, v.version_number from dag d join dag_version v on v.id = d.latest_version_id
      where d.dag_id = ?`, [req.params.dag_id]);
    if (!v) { res.status(404).json({ detail: `The Dag with ID: \`${String(req.params.dag_id)}\` was not found` }); return; }
    res.json(v);
  });
}
