/**
 * XCom entries: GET .../taskInstances/{task_id}/xcomEntries (dag_id, dag_run_id and
 * task_id may each be `~`; filters by key, map index, patterns and date ranges) and
 * .../xcomEntries/{xcom_key} with its value. Updraft stores values as JSON (jsonb), so
 * the "native" value is that JSON whether or not `deserialize` is asked; `stringify`
 * gives it as a string (JSON text, or the string itself).
 */
import type { Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { readOrWrite } from '../auth/middleware.ts';
import { notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { likePattern, paging, param, query } from './params.ts';
import { iso } from './serialize/task-instance.ts';
import { dagExists, mapIndexOf } from './task-instance-get.ts';

const XCOM_PATH = '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries';

interface XcomRow { dag_id: string; run_id: string; task_id: string; map_index: number; key: string; value?: unknown; timestamp: Date; logical_date: Date | null; run_after: Date }

const COLUMNS = 'r.dag_id, r.run_id, x.task_id, x.map_index, x.key, x.timestamp, r.logical_date, r.run_after';

function serialize(x: XcomRow): Record<string, unknown> {
  return {
    key: x.key, timestamp: iso(x.timestamp), logical_date: iso(x.logical_date), run_after: iso(x.run_after),
    map_index: x.map_index, task_id: x.task_id, dag_id: x.dag_id, run_id: x.run_id,
    dag_display_name: x.dag_id, task_display_name: x.task_id,
  };
}

const date = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'Input should be a valid datetime').transform((s) => new Date(s));
const bool = z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1');

const ListQuery = z.object({
  xcom_key: z.string().optional(), map_index_filter: z.coerce.number().int().optional(),
  xcom_key_pattern: z.string().optional(), dag_display_name_pattern: z.string().optional(),
  run_id_pattern: z.string().optional(), task_id_pattern: z.string().optional(),
  logical_date_gte: date.optional(), logical_date_gt: date.optional(), logical_date_lte: date.optional(), logical_date_lt: date.optional(),
  run_after_gte: date.optional(), run_after_gt: date.optional(), run_after_lte: date.optional(), run_after_lt: date.optional(),
});
const PATTERN_COLUMNS = { xcom_key_pattern: 'x.key', dag_display_name_pattern: 'r.dag_id', run_id_pattern: 'r.run_id', task_id_pattern: 'x.task_id' } as const;
const OPS = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;

export function registerXcom(router: Router, r: WebResources): void {
  router.get(XCOM_PATH, readOrWrite(), async (req, res) => {
    const dagId = param(req, 'dag_id');
    const runId = param(req, 'dag_run_id');
    const taskId = param(req, 'task_id');
    const q = query(req, ListQuery);
    const mapIndex = mapIndexOf(req.query.map_index, 'query', null);
    const page = paging(req);
    if (dagId !== '~') await dagExists(r.db, dagId);
    const base = () => {
      const qb = r.db.from(r.db.raw('xcom x join dag_run r on r.id = x.dag_run_id'));
      if (dagId !== '~') void qb.where('r.dag_id', dagId);
      if (runId !== '~') void qb.where('r.run_id', runId);
      if (taskId !== '~') void qb.where('x.task_id', taskId);
      if (q.xcom_key !== undefined) void qb.where('x.key', q.xcom_key);
      if (mapIndex !== null) void qb.where('x.map_index', mapIndex);
      if (q.map_index_filter !== undefined) void qb.where('x.map_index', q.map_index_filter);
      for (const [name, col] of Object.entries(PATTERN_COLUMNS)) {
        const pattern = q[name as keyof typeof PATTERN_COLUMNS];
        if (pattern === undefined) continue;
        const alternatives = pattern.split('|').map((p) => p.trim()).filter(Boolean);
        void qb.where((w) => { for (const a of alternatives) void w.orWhere(col, 'ilike', likePattern(a)); });
      }
      for (const field of ['logical_date', 'run_after'] as const) {
        for (const [op, sql] of Object.entries(OPS)) {
          const v = q[`${field}_${op}` as keyof typeof q];
          if (v instanceof Date) void qb.where(`r.${field}`, sql, v as Knex.Value);
        }
      }
      return qb;
    };
    const [count] = await base().count<Array<{ count: string }>>('* as count');
    const items = await base().select(r.db.raw(COLUMNS))
      .orderByRaw('r.run_after, r.id, x.task_id, x.map_index, x.key').limit(page.limit).offset(page.offset) as XcomRow[];
    res.json({ xcom_entries: items.map(serialize), total_entries: Number(count?.count ?? 0) });
  });

  router.get(`${XCOM_PATH}/:xcom_key`, readOrWrite(), async (req, res) => {
    const key = param(req, 'xcom_key');
    const mapIndex = mapIndexOf(req.query.map_index, 'query')!;
    const q = query(req, z.object({ deserialize: bool, stringify: bool }));
    const [x] = await r.db.from(r.db.raw('xcom x join dag_run r on r.id = x.dag_run_id'))
      .where({ 'r.dag_id': param(req, 'dag_id'), 'r.run_id': param(req, 'dag_run_id'), 'x.task_id': param(req, 'task_id'), 'x.key': key, 'x.map_index': mapIndex })
      .select(r.db.raw(`${COLUMNS}, x.value`)) as XcomRow[];
    if (!x) throw notFound(`XCom entry with key: \`${key}\` not found`);
    const value = x.value === undefined ? null : x.value;
    res.json({ ...serialize(x), value: q.stringify ? (typeof value === 'string' ? value : JSON.stringify(value)) : value });
  });
}
