/** `dags/{dag_id}/dagVersions[/{version_number}]`: the stored versions of a DAG. `~` lists every DAG's. */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { notFound, ValidationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { requireDag, Where } from './dags.ts';
import { orderBy, paging, param, query } from './params.ts';
import { BUNDLE_NAME, dagVersionJson, type DagVersionRow } from './serialize/dag.ts';

/** An integer column's range: larger numbers would make PostgreSQL fail, so they are a 422 here. */
export const int32 = z.string().trim().regex(/^[-+]?\d+$/, 'Input should be a valid integer')
  .transform(Number).pipe(z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1));

/** An integer path parameter, or a 422 in FastAPI's shape. */
export function intParam(req: Request, name: string): number {
  const raw = param(req, name);
  const n = int32.safeParse(raw);
  if (!n.success) throw new ValidationError([{ type: 'int_parsing', loc: ['path', name], msg: 'Input should be a valid integer', input: raw }]);
  return n.data;
}

const VersionsQuery = z.object({
  version_number: int32.optional(),
  bundle_name: z.string().optional(),
  bundle_version: z.string().optional(),
});

const VERSION_ORDER = { id: 'v.id', version_number: 'v.version_number', bundle_name: 'v.id', bundle_version: 'v.id' };
const COLUMNS = 'v.id, v.dag_id, v.version_number, v.created_at';

export function registerDagVersions(router: Router, r: WebResources): void {
  router.get('/dags/:dag_id/dagVersions', readOrWrite(), async (req, res) => {
    const dagId = param(req, 'dag_id');
    const q = query(req, VersionsQuery);
    const page = paging(req);
    const order = orderBy(req, VERSION_ORDER, 'id', 'v.id');
    const where = new Where();
    if (dagId !== '~') {
      await requireDag(r.db, dagId);
      where.add('v.dag_id = ?', dagId);
    }
    if (q.version_number !== undefined) where.add('v.version_number = ?', q.version_number);
    // One bundle, unversioned: another bundle name or any bundle version matches nothing.
    if (q.bundle_name !== undefined && q.bundle_name !== BUNDLE_NAME) where.add('false');
    if (q.bundle_version !== undefined) where.add('false');
    const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n from dag_version v ${where.toString()}`, where.bindings);
    const versions = await rows<DagVersionRow>(r.db, `select ${COLUMNS} from dag_version v ${where.toString()}
      order by ${order} limit ? offset ?`, [...where.bindings, page.limit, page.offset]);
    res.json({ dag_versions: versions.map(dagVersionJson), total_entries: count?.n ?? 0 });
  });

  router.get('/dags/:dag_id/dagVersions/:version_number', readOrWrite(), async (req, res) => {
    const dagId = param(req, 'dag_id');
    const n = intParam(req, 'version_number');
    const [v] = await rows<DagVersionRow>(r.db, `select ${COLUMNS} from dag_version v where v.dag_id = ? and v.version_number = ?`, [dagId, n]);
    if (!v) throw notFound(`The DagVersion with dag_id: \`${dagId}\` and version_number: \`${n}\` was not found`);
    res.json(dagVersionJson(v));
  });
}
