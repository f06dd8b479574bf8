/**
 * /eventLogs: the audit trail (core/transitions/event-log.ts) as Airflow serves it:
 * exact filters (dag_id, task_id, run_id, map_index, try_number, owner, event),
 * `*_pattern` substring filters, included/excluded events, a before/after time window,
 * paging and order_by. Viewer role.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { notFound, validationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { list, orderBy, paging, query } from './params.ts';
import { patternFilter } from './params-extra.ts';

interface EventLogRow {
  id: string; dttm: Date; event: string; owner: string | null; dag_id: string | null; task_id: string | null;
  run_id: string | null; map_index: number | null; try_number: number | null; logical_date: Date | null; extra: string | null;
}

const ORDER = {
  id: 'id', event_log_id: 'id', dttm: 'dttm', when: 'dttm', dag_id: 'dag_id', task_id: 'task_id', run_id: 'run_id',
  event: 'event', logical_date: 'logical_date', owner: 'owner', extra: 'extra',
};

// Within PostgreSQL's range, so that no date reaches SQL as an error.
const isoDate = z.string().transform((s) => new Date(s))
  .refine((d) => !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, 'Input should be a valid datetime');
const int = z.coerce.number().int().min(-2147483648).max(2147483647);

const Filters = z.object({
  dag_id: z.string().optional(), task_id: z.string().optional(), run_id: z.string().optional(),
  owner: z.string().optional(), event: z.string().optional(),
  map_index: int.optional(), try_number: int.optional(),
  before: isoDate.optional(), after: isoDate.optional(),
  dag_id_pattern: z.string().optional(), task_id_pattern: z.string().optional(), run_id_pattern: z.string().optional(),
  owner_pattern: z.string().optional(), event_pattern: z.string().optional(),
});

const EXACT = ['dag_id', 'task_id', 'run_id', 'owner', 'event', 'map_index', 'try_number'] as const;
const PATTERNS = [['dag_id_pattern', 'dag_id'], ['task_id_pattern', 'task_id'], ['run_id_pattern', 'run_id'],
  ['owner_pattern', 'owner'], ['event_pattern', 'event']] as const;

function serialize(e: EventLogRow) {
  return {
    event_log_id: Number(e.id), when: e.dttm.toISOString(), event: e.event, owner: e.owner,
    dag_id: e.dag_id, dag_display_name: e.dag_id, task_id: e.task_id, task_display_name: e.task_id,
    run_id: e.run_id, map_index: e.map_index, try_number: e.try_number,
    logical_date: e.logical_date?.toISOString() ?? null, extra: e.extra,
  };
}

/** The list of repeated-or-comma-separated values of a query parameter. */
const values = (v: string[]) => v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);

export function registerEventLogs(router: Router, r: WebResources): void {
  const auth = readOrWrite();

  router.get('/eventLogs', auth, async (req, res) => {
    // Single values only: a repeated scalar filter is a validation error, as in FastAPI.
    const f = query(req, Filters);
    const page = paging(req);
    const order = orderBy(req, ORDER, 'id', 'id');
    const where: string[] = [];
    const bind: unknown[] = [];
    for (const k of EXACT) {
      if (f[k] !== undefined) { where.push(`${k} = ?`); bind.push(f[k]); }
    }
    for (const [p, col] of PATTERNS) {
      const filter = patternFilter(col, f[p]);
      if (filter) { where.push(filter.sql); bind.push(filter.binding); }
    }
    if (f.before) { where.push('dttm < ?'); bind.push(f.before); }
    if (f.after) { where.push('dttm > ?'); bind.push(f.after); }
    const included = values(list(req, 'included_events'));
    const excluded = values(list(req, 'excluded_events'));
    if (included.length > 0) { where.push('event = any(?::text[])'); bind.push(included); }
    if (excluded.length > 0) { where.push('not (event = any(?::text[]))'); bind.push(excluded); }
    const clause = where.length > 0 ? `where ${where.join(' and ')}` : '';
    const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n from event_log ${clause}`, bind);
    const page_rows = await rows<EventLogRow>(r.db, `select * from event_log ${clause} order by ${order} limit ? offset ?`, [...bind, page.limit, page.offset]);
    res.json({ event_logs: page_rows.map(serialize), total_entries: count!.n });
  });

  router.get('/eventLogs/:event_log_id', auth, async (req, res) => {
    const raw = { event_log_id: req.params.event_log_id };
    const parsed = z.object({ event_log_id: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).safeParse(raw);
    if (!parsed.success) throw validationError('path', parsed.error, raw);
    const id = parsed.data.event_log_id;
    const [row] = await rows<EventLogRow>(r.db, 'select * from event_log where id = ?', [id]);
    if (!row) throw notFound(`The Event Log with id: \`${id}\` not found`);
    res.json(serialize(row));
  });
}
