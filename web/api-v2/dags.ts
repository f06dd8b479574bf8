/**
 * `dags`: list (Airflow's filters, paging and order_by), get, delete. The filter
 * builder is shared with the bulk PATCH in dag-patch.ts. User text only ever travels as
 * bound parameters; column names and operators come from this file.
 */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { rows, type Executor } from '../../core/transitions/sql.ts';
import { audit } from '../audit.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { conflict, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { list, orderBy, paging, param, query } from './params.ts';
import { DAG_SELECT, dagJson, type DagApiRow } from './serialize/dag.ts';

/** FastAPI's accepted spellings of a boolean query parameter. */
export const queryBool = z.string().trim().toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 't', 'f', 'y', 'n']))
  .transform((v) => ['true', '1', 'yes', 'on', 't', 'y'].includes(v));

const DAG_STATES = ['queued', 'running', 'success', 'failed'] as const;

const DagFilterQuery = z.object({
  dag_id_pattern: z.string().optional(),
  tags_match_mode: z.enum(['any', 'all']).optional(),
  paused: queryBool.optional(),
  exclude_stale: queryBool.default(true),
  has_import_errors: queryBool.optional(),
  last_dag_run_state: z.enum(DAG_STATES).optional(),
});

/** WHERE conditions (fixed SQL) with their bound values. */
export class Where {
  readonly sql: string[] = [];
  readonly bindings: unknown[] = [];
  add(condition: string, ...values: unknown[]): this { this.sql.push(condition); this.bindings.push(...values); return this; }
  toString(): string { return this.sql.length ? `where ${this.sql.join(' and ')}` : ''; }
}

/**
 * Airflow's `*_pattern`: case-insensitive LIKE on `%value%`, `~` alone meaning all, and
 * `a | b` meaning either. `%` and `_` stay wildcards, as in Airflow.
 */
export function addPattern(where: Where, column: string, pattern: string): void {
  const value = pattern === '~' ? '%' : pattern;
  const terms = value.includes('|') ? value.split('|').map((t) => t.trim()).filter(Boolean) : [value];
  if (terms.length > 1) where.add(`(${terms.map(() => `${column} ilike ?`).join(' or ')})`, ...terms.map((t) => `%${t}%`));
  else where.add(`${column} ilike ?`, `%${value}%`);
}

/**
 * The filters GET and PATCH /dags share, on `dag d` (and `lr`, its latest run, when
 * `withLatestRun`). PATCH requires a pattern: without one it matches nothing, as Airflow.
 */
export function dagFilters(req: Request, opts: { requirePattern: boolean; withLatestRun: boolean }): Where {
  const q = query(req, DagFilterQuery);
  const where = new Where();
  if (q.dag_id_pattern !== undefined) addPattern(where, 'd.dag_id', q.dag_id_pattern);
  else if (opts.requirePattern) where.add('false');
  const tags = list(req, 'tags');
  if (tags.length) {
    if (q.tags_match_mode === 'all') where.add('d.tags @> ?::jsonb', JSON.stringify(tags));
    else where.add('jsonb_exists_any(d.tags, ?::text[])', tags);
  }
  const owners = list(req, 'owners');
  if (owners.length) where.add(`(${owners.map(() => `coalesce(d.owners, 'airflow') ilike ?`).join(' or ')})`, ...owners.map((o) => `%${o}%`));
  if (q.paused !== undefined) where.add('d.is_paused = ?', q.paused);
  if (q.exclude_stale) where.add('d.is_active');
  if (q.has_import_errors !== undefined) {
    where.add(`${q.has_import_errors ? '' : 'not '}exists(select 1 from import_error ie where ie.filename = d.fileloc)`);
  }
  if (opts.withLatestRun) {
    if (q.last_dag_run_state) where.add('lr.state = ?', q.last_dag_run_state);
    const runStates = list(req, 'dag_run_state');
    if (runStates.length) where.add('lr.state = any(?)', runStates);
  }
  return where;
}

/** The latest run of each DAG, for ordering and filtering by it. */
const LATEST_RUN = `left join lateral (select r.state, r.start_date from dag_run r where r.dag_id = d.dag_id
  order by r.run_after desc, r.id desc limit 1) lr on true`;

const DAG_ORDER: Readonly<Record<string, string>> = {
  dag_id: 'd.dag_id',
  dag_display_name: 'd.dag_id',
  next_dagrun: 'd.next_dagrun',
  last_run_state: 'lr.state',
  last_run_start_date: 'lr.start_date',
};

export async function findDag(db: Executor, dagId: string): Promise<DagApiRow | undefined> {
  const [d] = await rows<DagApiRow>(db, `select ${DAG_SELECT} from dag d where d.dag_id = ?`, [dagId]);
  return d;
}

/** Airflow's wording when a DAG is unknown. */
export const dagNotFound = (dagId: string) => notFound(`The Dag with ID: \`${dagId}\` was not found`);

export async function requireDag(db: Executor, dagId: string): Promise<DagApiRow> {
  const d = await findDag(db, dagId);
  if (!d) throw dagNotFound(dagId);
  return d;
}

export function registerDags(router: Router, r: WebResources): void {
  router.get('/dags', readOrWrite(), async (req, res) => {
    const page = paging(req);
    const where = dagFilters(req, { requirePattern: false, withLatestRun: true });
    const order = orderBy(req, DAG_ORDER, 'dag_id', 'd.dag_id');
    const from = `from dag d ${LATEST_RUN} ${where.toString()}`;
    const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n ${from}`, where.bindings);
    const dags = await rows<DagApiRow>(r.db, `select ${DAG_SELECT} ${from} order by ${order} limit ? offset ?`,
      [...where.bindings, page.limit, page.offset]);
    res.json({ dags: dags.map((d) => dagJson(d, r.config.dagsFolder)), total_entries: count?.n ?? 0 });
  });

  router.get('/dags/:dag_id', readOrWrite(), async (req, res) => {
    res.json(dagJson(await requireDag(r.db, param(req, 'dag_id')), r.config.dagsFolder));
  });

  router.delete('/dags/:dag_id', readOrWrite(), async (req, res) => {
    const dagId = param(req, 'dag_id');
    await r.db.transaction(async (trx) => {
      const [dag] = await rows<{ dag_id: string }>(trx, 'select dag_id from dag where dag_id = ? for update', [dagId]);
      if (!dag) throw notFound(`Dag with id: ${dagId} was not found`);
      const [busy] = await rows(trx, `select 1 from task_instance where dag_id = ? and state = 'running' limit 1`, [dagId]);
      if (busy) throw conflict(`Task instances of dag with id: '${dagId}' are still running`);
      // Runs first: their task instances, tries, XComs and logs go with them (cascades);
      // then the DAG with its versions, backfills and queued asset events. The event log stays, as in Airflow.
      await trx.raw('delete from dag_run where dag_id = ?', [dagId]);
      await trx.raw('delete from dag where dag_id = ?', [dagId]);
    });
    await audit(r, res, { event: 'delete_dag', dag_id: dagId });
    // Airflow answers 204 here, although its OpenAPI document declares 200.
    res.status(204).end();
  });
}
