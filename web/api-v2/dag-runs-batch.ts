/**
 * POST /dags/~/dagRuns/list: the run list with its filters in a JSON body
 * (DAGRunsBatchBody: dag_ids, states, date ranges, page_offset/page_limit, order_by).
 * Only `~` is accepted as dag_id, as in Airflow. Shares selectRuns with dag-runs.ts.
 */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { DAG_RUN_STATES } from '../../core/model/states.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { ValidationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { isoDate, RANGE_FIELDS, RUN_ORDER, selectRuns, type RunFilter } from './serialize/dag-run.ts';
import { body, MAX_LIMIT, orderBy } from './params.ts';

const RANGE_KEYS = Object.keys(RANGE_FIELDS).filter((f) => f !== 'updated_at')
  .flatMap((f) => ['gte', 'gt', 'lte', 'lt'].map((op) => `${f}_${op}`));
const DURATION_KEYS = ['gte', 'gt', 'lte', 'lt'].map((op) => `duration_${op}`);

const BatchBody = z.object({
  dag_ids: z.array(z.string()).nullish(),
  states: z.array(z.enum(DAG_RUN_STATES).nullable()).nullish(),
  order_by: z.string().nullish(),
  page_offset: z.number().int().min(0).default(0),
  page_limit: z.number().int().min(0).default(100),
  conf_contains: z.string().nullish(),
  ...Object.fromEntries(RANGE_KEYS.map((k) => [k, isoDate.nullish()])),
  ...Object.fromEntries(DURATION_KEYS.map((k) => [k, z.number().nullish()])),
}).strict();

const OPS: Record<string, string> = { gte: '>=', gt: '>', lte: '<=', lt: '<' };
const SQL_OF: Record<string, string> = { ...RANGE_FIELDS, duration: 'extract(epoch from (r.end_date - r.start_date))' };

export function registerDagRunsBatch(router: Router, r: WebResources): void {
  // A POST that only reads: viewers may use it, as in Airflow.
  router.post('/dags/:dag_id/dagRuns/list', readOrWrite('viewer'), async (req, res) => {
    if (req.params.dag_id !== '~') {
      throw new ValidationError([{ type: 'literal_error', loc: ['path', 'dag_id'], msg: "Input should be '~'", input: req.params.dag_id }]);
    }
    const b = body(req, BatchBody) as Record<string, unknown> & z.infer<typeof BatchBody>;
    const f: RunFilter = { ranges: [] };
    for (const key of [...RANGE_KEYS, ...DURATION_KEYS]) {
      const value = b[key];
      if (value === null || value === undefined) continue;
      const cut = key.lastIndexOf('_');
      f.ranges.push({ sql: SQL_OF[key.slice(0, cut)]!, op: OPS[key.slice(cut + 1)]!, value: value as Date | number });
    }
    if (b.dag_ids) f.dagIds = b.dag_ids;
    f.states = (b.states ?? []).filter((s): s is (typeof DAG_RUN_STATES)[number] => s !== null);
    f.confContains = b.conf_contains ?? undefined;
    // order_by comes in the body here; the same whitelist applies.
    const order = orderBy({ query: b.order_by ? { order_by: b.order_by } : {} } as unknown as Request, RUN_ORDER, 'id', 'r.id');
    res.json(await selectRuns(r, f, { limit: Math.min(b.page_limit, MAX_LIMIT), offset: b.page_offset }, order));
  });
}
