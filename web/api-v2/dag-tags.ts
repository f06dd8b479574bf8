/** `dagTags`: the distinct tags of all DAGs, sorted, paged, and filtered by `tag_name_pattern`. */
import type { Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import type { WebResources } from '../resources.ts';
import { addPattern, Where } from './dags.ts';
import { orderBy, paging, query } from './params.ts';

export function registerDagTags(router: Router, r: WebResources): void {
  router.get('/dagTags', readOrWrite(), async (req, res) => {
    const q = query(req, z.object({ tag_name_pattern: z.string().optional() }));
    const page = paging(req);
    const order = orderBy(req, { name: 'name' }, 'name', 'name');
    const where = new Where();
    if (q.tag_name_pattern !== undefined) addPattern(where, 'name', q.tag_name_pattern);
    const from = `from (select distinct jsonb_array_elements_text(tags) as name from dag) t ${where.toString()}`;
    const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n ${from}`, where.bindings);
    const tags = await rows<{ name: string }>(r.db, `select name ${from} order by ${order} limit ? offset ?`,
      [...where.bindings, page.limit, page.offset]);
    res.json({ tags: tags.map((t) => t.name), total_entries: count?.n ?? 0 });
  });
}
