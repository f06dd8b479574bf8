/**
 * Lists of task instances: GET .../taskInstances (`~` for every DAG and/or run),
 * POST /dags/~/dagRuns/~/taskInstances/list (the same filters in a body), and GET
 * .../taskInstances/{task_id}/listMapped. Every filter is bound, never concatenated;
 * order_by goes through the whitelist in params.ts.
 */
import type { Request, Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { TASK_STATES } from '../../core/model/states.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { badRequest, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { body, likePattern, list, orderBy, paging, param, query, type Page } from './params.ts';
import { serializeTaskInstance, TI_COLUMNS, TI_FROM, type TiJoinedRow } from './serialize/task-instance.ts';
import { dagExists, loadSpecOfRun, registerTaskInstanceGet, runExists, TI_PATH } from './task-instance-get.ts';
import { registerTaskInstanceDeps } from './task-instance-deps.ts';
import { registerTaskInstancePatch } from './task-instance-patch.ts';
import { registerTaskInstanceTries } from './task-instance-tries.ts';
import { registerTaskLogs } from './task-logs.ts';
import { registerXcom } from './xcom.ts';

/** order_by fields Airflow allows (plus a few obvious ones), each a fixed SQL expression. */
const ORDER: Record<string, string> = {
  id: 'ti.id', state: 'ti.state', duration: 'ti.duration', start_date: 'ti.start_date', end_date: 'ti.end_date',
  map_index: 'ti.map_index', try_number: 'ti.try_number', logical_date: 'r.logical_date', run_after: 'r.run_after',
  data_interval_start: 'r.data_interval_start', data_interval_end: 'r.data_interval_end', rendered_map_index: 'ti.map_index',
  operator: 'ti.operator', task_id: 'ti.task_id', dag_id: 'ti.dag_id', run_id: 'ti.run_id', pool: 'ti.pool',
  queue: 'ti.queue', priority_weight: 'ti.priority_weight', updated_at: 'ti.updated_at',
};

const RANGED: Record<string, string> = {
  run_after: 'r.run_after', logical_date: 'r.logical_date', start_date: 'ti.start_date', end_date: 'ti.end_date',
  updated_at: 'ti.updated_at', duration: 'ti.duration',
};
const OPS = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;

const PATTERNS: Record<string, string> = {
  task_display_name_pattern: 'ti.task_id', dag_id_pattern: 'ti.dag_id', run_id_pattern: 'ti.run_id',
  pool_name_pattern: 'ti.pool', queue_name_pattern: 'ti.queue', operator_name_pattern: 'ti.operator',
};

const date = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'Input should be a valid datetime').transform((s) => new Date(s));
const many = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined || v === null ? undefined : [v].flat()), z.array(item).optional());
const rangeFields = (value: z.ZodType) => Object.fromEntries(Object.keys(RANGED).flatMap((f) =>
  Object.keys(OPS).map((op) => [`${f}_${op}`, (f === 'duration' ? z.coerce.number() : value).optional().nullable()])));

/** Everything a list can filter on, whichever way it arrived. */
export interface TiFilter {
  dag_ids?: string[]; run_ids?: string[]; task_ids?: string[]; states?: Array<string | null>;
  pools?: string[]; queues?: string[]; map_indexes?: number[]; try_numbers?: number[]; operators?: string[];
  version_numbers?: number[]; task_group_id?: string; mapped_only?: boolean; ranges: Record<string, unknown>; patterns: Record<string, string>;
}

const QuerySchema = z.object({
  task_id: z.string().optional(), task_group_id: z.string().optional(),
  map_index: many(z.coerce.number().int()), try_number: many(z.coerce.number().int()),
  version_number: many(z.coerce.number().int()), ...rangeFields(date),
});

/** "none" (or an empty value) is the null state, as in Airflow; anything unknown is a 400. */
function states(raw: ReadonlyArray<string | null>): Array<string | null> {
  return raw.map((s) => {
    if (s === null || s === 'none' || s === 'null' || s === '') return null;
    if (!(TASK_STATES as readonly string[]).includes(s)) {
      throw badRequest(`Invalid value for state. Valid values are ${['none', ...TASK_STATES].join(', ')}`);
    }
    return s;
  });
}

function fromQuery(req: Request): TiFilter {
  const q = query(req, QuerySchema) as Record<string, unknown> & z.infer<typeof QuerySchema>;
  const ranges = Object.fromEntries(Object.entries(q).filter(([k, v]) => /_(gte|gt|lte|lt)$/.test(k) && v !== undefined && v !== null));
  const patterns = Object.fromEntries(Object.keys(PATTERNS).flatMap((k) => (typeof req.query[k] === 'string' ? [[k, req.query[k]]] : [])));
  return {
    task_ids: q.task_id ? [q.task_id] : undefined, states: req.query.state === undefined ? undefined : states(list(req, 'state')),
    pools: list(req, 'pool'), queues: list(req, 'queue'), operators: list(req, 'operator'), map_indexes: q.map_index,
    try_numbers: q.try_number, version_numbers: q.version_number, task_group_id: q.task_group_id, ranges, patterns,
  };
}

/** Filters onto a knex query over TI_FROM. */
function applyFilter(qb: Knex.QueryBuilder, f: TiFilter): Knex.QueryBuilder {
  const inList = (col: string, vals: readonly unknown[] | undefined) => { if (vals?.length) void qb.whereIn(col, vals as string[]); };
  inList('ti.dag_id', f.dag_ids); inList('ti.run_id', f.run_ids); inList('ti.task_id', f.task_ids);
  inList('ti.pool', f.pools); inList('ti.queue', f.queues); inList('ti.map_index', f.map_indexes);
  inList('ti.try_number', f.try_numbers); inList('ti.operator', f.operators); inList('v.version_number', f.version_numbers);
  if (f.states?.length) {
    const named = f.states.filter((s): s is string => s !== null);
    const withNull = f.states.includes(null);
    void qb.where((w) => { void w.whereIn('ti.state', named); if (withNull) void w.orWhereNull('ti.state'); });
  }
  if (f.mapped_only) void qb.where('ti.map_index', '>=', 0);
  if (f.task_group_id) void qb.where('ti.task_id', 'like', `${f.task_group_id.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`);
  for (const [key, value] of Object.entries(f.ranges)) {
    const m = /^(.*)_(gte|gt|lte|lt)$/.exec(key);
    const col = m && RANGED[m[1]!];
    if (col) void qb.where(col, OPS[m[2] as keyof typeof OPS], value as Knex.Value);
  }
  // Airflow's patterns: SQL LIKE (case-insensitive), `|` separating alternatives.
  for (const [key, pattern] of Object.entries(f.patterns)) {
    const alternatives = pattern.split('|').map((p) => p.trim()).filter(Boolean);
    void qb.where((w) => { for (const a of alternatives) void w.orWhere(PATTERNS[key]!, 'ilike', likePattern(a)); });
  }
  return qb;
}

async function listPage(r: WebResources, f: TiFilter, page: Page, order: string) {
  const base = () => applyFilter(r.db.from(r.db.raw(TI_FROM)), f);
  const [count] = await base().count<Array<{ count: string }>>('* as count');
  const items = await base().select(r.db.raw(TI_COLUMNS)).orderByRaw(order).limit(page.limit).offset(page.offset) as TiJoinedRow[];
  return { task_instances: items.map(serializeTaskInstance), total_entries: Number(count?.count ?? 0) };
}

const BatchSchema = z.strictObject({
  dag_ids: z.array(z.string()).nullish(), dag_run_ids: z.array(z.string()).nullish(), task_ids: z.array(z.string()).nullish(),
  state: z.array(z.enum(TASK_STATES).nullable()).nullish(), pool: z.array(z.string()).nullish(),
  queue: z.array(z.string()).nullish(), executor: z.array(z.string()).nullish(), order_by: z.string().nullish(),
  page_limit: z.number().int().min(0).default(100), page_offset: z.number().int().min(0).default(0),
  ...rangeFields(date),
});

/**
 * Everything under .../taskInstances, registered from one call in router.ts. Named
 * sub-resources (listMapped, tries, logs, ...) come before `{task_id}/{map_index}`.
 */
export function registerTaskInstanceApi(router: Router, r: WebResources): void {
  registerTaskInstances(router, r);
  registerTaskInstanceTries(router, r);
  registerTaskInstanceDeps(router, r);
  registerTaskLogs(router, r);
  registerXcom(router, r);
  registerTaskInstancePatch(router, r);
  registerTaskInstanceGet(router, r);
}

function registerTaskInstances(router: Router, r: WebResources): void {
  router.get('/dags/:dag_id/dagRuns/:dag_run_id/taskInstances', readOrWrite(), async (req, res) => {
    const dagId = param(req, 'dag_id');
    const runId = param(req, 'dag_run_id');
    if (dagId !== '~') await dagExists(r.db, dagId);
    if (runId !== '~' && dagId !== '~') await runExists(r.db, dagId, runId);
    const f = fromQuery(req);
    if (dagId !== '~') f.dag_ids = [dagId];
    if (runId !== '~') f.run_ids = [runId];
    res.json(await listPage(r, f, paging(req), orderBy(req, ORDER, 'map_index', 'ti.id')));
  });

  router.post('/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/list', readOrWrite('viewer'), async (req, res) => {
    if (param(req, 'dag_id') !== '~' || param(req, 'dag_run_id') !== '~') {
      throw badRequest('The batch endpoint takes `~` for both dag_id and dag_run_id; filter with dag_ids and dag_run_ids in the body');
    }
    const b = body(req, BatchSchema) as z.infer<typeof BatchSchema> & Record<string, unknown>;
    const ranges = Object.fromEntries(Object.entries(b).filter(([k, v]) => /_(gte|gt|lte|lt)$/.test(k) && v !== undefined && v !== null));
    const f: TiFilter = {
      dag_ids: b.dag_ids ?? undefined, run_ids: b.dag_run_ids ?? undefined, task_ids: b.task_ids ?? undefined,
      states: b.state ?? undefined, pools: b.pool ?? undefined, queues: b.queue ?? undefined, ranges, patterns: {},
    };
    const order = orderBy({ query: { order_by: b.order_by ?? undefined } } as unknown as Request, ORDER, 'map_index', 'ti.id');
    res.json(await listPage(r, f, { limit: Math.min(b.page_limit, 100), offset: b.page_offset }, order));
  });

  router.get(`${TI_PATH}/listMapped`, readOrWrite(), async (req, res) => {
    const dagId = param(req, 'dag_id');
    const runId = param(req, 'dag_run_id');
    const taskId = param(req, 'task_id');
    await dagExists(r.db, dagId);
    const task = (await loadSpecOfRun(r.db, dagId, runId)).tasks.find((t) => t.task_id === taskId);
    if (!task) throw notFound(`Task id ${taskId} not found`);
    // Before expansion a mapped task has only its placeholder (-1): an empty list, not a 404.
    if (!task.mapped) throw notFound(`Task id ${taskId} is not mapped`);
    const f = fromQuery(req);
    Object.assign(f, { dag_ids: [dagId], run_ids: [runId], task_ids: [taskId], mapped_only: true });
    res.json(await listPage(r, f, paging(req), orderBy(req, ORDER, 'map_index', 'ti.id')));
  });
}
