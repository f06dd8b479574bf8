/**
 * Backfills: create (core's createBackfill), dry_run (the logical dates it would run),
 * list (by dag_id, required), get, pause, unpause and cancel. As in Airflow: a DAG with
 * a backfill still running gets a 409 for a new one; an impossible backfill (no
 * schedule, reversed range, too many runs) is a 422; pausing, unpausing or cancelling
 * a completed backfill is a 409; cancel pauses, fails the backfill's queued runs and
 * stamps completed_at (runs already running finish).
 */
import type { Router } from 'express';
import { z } from 'zod';
import { UserInputError } from '../../core/errors.ts';
import { createBackfill, dryRunBackfill, REPROCESS_BEHAVIORS } from '../../core/transitions/backfill.ts';
import { rows } from '../../core/transitions/sql.ts';
import { NotFoundError } from '../../core/transitions/trigger-run.ts';
import { audit } from '../audit.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { conflict, notFound, ValidationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { isoDate } from './serialize/dag-run.ts';
import { body, orderBy, paging, single } from './params.ts';
import { BACKFILL_COLUMNS, serializeBackfill, type BackfillRow } from './serialize/dag-run.ts';

const PostBody = z.object({
  dag_id: z.string().min(1),
  from_date: isoDate,
  to_date: isoDate,
  run_backwards: z.boolean().default(false),
  dag_run_conf: z.record(z.string(), z.unknown()).default({}),
  reprocess_behavior: z.enum(REPROCESS_BEHAVIORS).default('none'),
  max_active_runs: z.number().int().min(1).default(10),
  run_on_latest_version: z.boolean().default(true),
}).strict();
type PostBody = z.infer<typeof PostBody>;

/** Airflow answers an impossible backfill with a 422 (RequestValidationError); Updraft's core says why. */
async function orUnprocessable<T>(dagId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound(`Could not find dag ${dagId}`);
    if (err instanceof UserInputError) throw new ValidationError([{ type: 'value_error', loc: ['body'], msg: err.message }]);
    throw err;
  }
}

/** What can be refused from the body alone, before looking for a running backfill. */
function checkDirection(b: PostBody): void {
  if (b.from_date > b.to_date) {
    throw new ValidationError([{ type: 'value_error', loc: ['body', 'to_date'], msg: 'from_date must not be after to_date', input: b.to_date.toISOString() }]);
  }
  // Updraft's scheduler starts backfill runs oldest first; it cannot honour the reverse order.
  if (b.run_backwards) {
    throw new ValidationError([{ type: 'value_error', loc: ['body', 'run_backwards'], msg: 'run_backwards is not supported: Updraft runs backfills oldest first', input: true }]);
  }
}

async function getBackfill(r: WebResources, rawId: unknown): Promise<BackfillRow> {
  const raw = single(rawId) ?? '';
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ValidationError([{ type: 'int_parsing', loc: ['path', 'backfill_id'], msg: 'Input should be a valid integer', input: raw }]);
  }
  const [b] = await rows<BackfillRow>(r.db, `select ${BACKFILL_COLUMNS} from backfill b where b.id = ?`, [Number(raw)]);
  if (!b) throw notFound(`Could not find backfill with id ${raw}`);
  return b;
}

export function registerBackfills(router: Router, r: WebResources): void {
  router.get('/backfills', readOrWrite(), async (req, res) => {
    const dagId = single(req.query.dag_id);
    if (!dagId) throw new ValidationError([{ type: 'missing', loc: ['query', 'dag_id'], msg: 'Field required' }]);
    const page = paging(req);
    const order = orderBy(req, { id: 'b.id' }, 'id', 'b.id');
    const [count] = await rows<{ n: number }>(r.db, 'select count(*)::int as n from backfill b where b.dag_id = ?', [dagId]);
    const found = await rows<BackfillRow>(r.db, `select ${BACKFILL_COLUMNS} from backfill b where b.dag_id = ?
      order by ${order} limit ? offset ?`, [dagId, page.limit, page.offset]);
    res.json({ backfills: found.map(serializeBackfill), total_entries: count?.n ?? 0 });
  });

  router.post('/backfills', readOrWrite(), async (req, res) => {
    const b = body(req, PostBody);
    checkDirection(b);
    const [running] = await rows(r.db, `select 1 from backfill b join dag_run x on x.backfill_id = b.id
      where b.dag_id = ? and b.completed_at is null and x.state in ('queued', 'running') limit 1`, [b.dag_id]);
    if (running) throw conflict(`There is already a running backfill for dag ${b.dag_id}`);
    const created = await orUnprocessable(b.dag_id, () => createBackfill(r.db, {
      dag_id: b.dag_id, from_date: b.from_date, to_date: b.to_date, reprocess_behavior: b.reprocess_behavior,
      max_active_runs: b.max_active_runs, conf: b.dag_run_conf,
    }));
    await audit(r, res, { event: 'create_backfill', dag_id: b.dag_id, extra: { ...req.body as object, ...created } });
    res.json(serializeBackfill(await getBackfill(r, String(created.backfill_id))));
  });

  router.post('/backfills/dry_run', readOrWrite(), async (req, res) => {
    const b = body(req, PostBody);
    checkDirection(b);
    const dates = await orUnprocessable(b.dag_id, () => dryRunBackfill(r.db, {
      dag_id: b.dag_id, from_date: b.from_date, to_date: b.to_date, reprocess_behavior: b.reprocess_behavior,
    }));
    res.json({ backfills: dates.map((d) => ({ logical_date: d.toISOString() })), total_entries: dates.length });
  });

  router.get('/backfills/:backfill_id', readOrWrite(), async (req, res) => {
    res.json(serializeBackfill(await getBackfill(r, req.params.backfill_id)));
  });

  for (const action of ['pause', 'unpause', 'cancel'] as const) {
    router.put(`/backfills/:backfill_id/${action}`, readOrWrite(), async (req, res) => {
      const b = await getBackfill(r, req.params.backfill_id);
      if (b.completed_at) throw conflict('Backfill is already completed.');
      await r.db.transaction(async (trx) => {
        await trx.raw('update backfill set is_paused = ? where id = ?', [action !== 'unpause', b.id]);
        if (action === 'cancel') {
          await trx.raw(`update dag_run set state = 'failed', end_date = now(), updated_at = now()
            where backfill_id = ? and state = 'queued'`, [b.id]);
          await trx.raw('update backfill set completed_at = now() where id = ?', [b.id]);
        }
      });
      await audit(r, res, { event: `${action}_backfill`, dag_id: b.dag_id, extra: { backfill_id: b.id } });
      res.json(serializeBackfill(await getBackfill(r, String(b.id))));
    });
  }
}
