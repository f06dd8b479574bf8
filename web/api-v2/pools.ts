/**
 * /pools: Airflow's Pool resource on `slot_pool`, with the slot counts computed from
 * task_instance (sum of pool_slots by state). `default_pool` cannot be deleted or
 * renamed. Updraft's scheduler has no unlimited pool, so slots must be >= 0 (Airflow's
 * -1 is refused with a 422). Reading needs viewer, changes need op; every change is in
 * the event log and wakes the schedulers (more slots may let waiting tasks queue).
 */
import type { Router } from 'express';
import { z } from 'zod';
import { notifyScheduler } from '../../core/transitions/notify.ts';
import { rows, type Executor } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { audit } from '../audit.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { bulkBodySchema, runBulk, type BulkHandlers } from './bulk.ts';
import { body, orderBy, paging, param, query } from './params.ts';
import { patternFilter, updateMask } from './params-extra.ts';

export const DEFAULT_POOL = 'default_pool';

const slots = z.number().int().min(0, 'slots must be 0 or more: Updraft has no unlimited (-1) pools');
const PoolBody = z.strictObject({
  name: z.string().min(1).max(256),
  slots,
  description: z.string().nullable().optional(),
  include_deferred: z.boolean().default(false),
  team_name: z.string().max(50).nullable().optional(),
});
type PoolBody = z.infer<typeof PoolBody>;
const PoolPatchBody = z.strictObject({
  pool: z.string().min(1).max(256).nullable().optional(),
  slots: slots.nullable().optional(),
  description: z.string().nullable().optional(),
  include_deferred: z.boolean().nullable().optional(),
  team_name: z.string().max(50).nullable().optional(),
});
type PoolPatchBody = z.infer<typeof PoolPatchBody>;

// No id column: `id` orders by name (stable and unique).
const ORDER = { id: 'p.pool', pool: 'p.pool', name: 'p.pool' };

const notFoundMsg = (name: string) => `The Pool with name: \`${name}\` was not found`;

interface PoolRow {
  name: string; slots: number; description: string | null; include_deferred: boolean;
  running_slots: number; queued_slots: number; scheduled_slots: number; deferred_slots: number;
}

/** Pools with their slot counts; `tail` (where, order, paging) applies to slot_pool `p`. */
async function selectPools(db: Executor, tail: string, bind: unknown[]): Promise<PoolRow[]> {
  return rows<PoolRow>(db, `
    select p.pool as name, p.slots, p.description, p.include_deferred, s.*
    from slot_pool p cross join lateral (
      select coalesce(sum(t.pool_slots) filter (where t.state = 'running'), 0)::int as running_slots,
        coalesce(sum(t.pool_slots) filter (where t.state = 'queued'), 0)::int as queued_slots,
        coalesce(sum(t.pool_slots) filter (where t.state = 'scheduled'), 0)::int as scheduled_slots,
        coalesce(sum(t.pool_slots) filter (where t.state = 'deferred'), 0)::int as deferred_slots
      from task_instance t where t.pool = p.pool and t.state in ('running', 'queued', 'scheduled', 'deferred')
    ) s ${tail}`, bind);
}

/** Airflow's arithmetic: occupied = running + queued (+ deferred when the pool counts them). */
function serialize(p: PoolRow) {
  const occupied = p.running_slots + p.queued_slots + (p.include_deferred ? p.deferred_slots : 0);
  return { ...p, occupied_slots: occupied, open_slots: p.slots - occupied };
}

async function findPool(db: Executor, name: string) {
  const [p] = await selectPools(db, 'where p.pool = ?', [name]);
  return p;
}

/** Change a pool: the fields in the mask, or else those present in the body. */
async function update(db: Executor, name: string, b: PoolPatchBody, mask: string[] | null | undefined): Promise<string> {
  const fields = (mask ?? Object.keys(b)).map((f) => (f === 'name' ? 'pool' : f)).filter((f) => f !== 'team_name');
  if (name === DEFAULT_POOL && fields.some((f) => !['slots', 'include_deferred'].includes(f) && !(f === 'pool' && b.pool === name))) {
    throw badRequest('Only slots and included_deferred can be modified on Default Pool');
  }
  const [old] = await rows<{ pool: string }>(db, 'select pool from slot_pool where pool = ? for update', [name]);
  if (!old) throw notFound(notFoundMsg(name));
  const set: Record<string, unknown> = {};
  for (const f of fields) {
    const v = b[f as keyof PoolPatchBody];
    if ((f === 'pool' || f === 'slots' || f === 'include_deferred') && (v === null || v === undefined)) {
      throw badRequest(`${f === 'pool' ? 'name' : f} cannot be null`);
    }
    set[f] = v ?? null;
  }
  const newName = (set.pool as string | undefined) ?? name;
  if (newName !== name && (await rows(db, 'select 1 from slot_pool where pool = ?', [newName])).length > 0) {
    throw conflict(`The Pool with name: \`${newName}\` already exists`);
  }
  if (Object.keys(set).length > 0) await db('slot_pool').where({ pool: name }).update(set);
  return newName;
}

export function registerPools(router: Router, r: WebResources): void {
  const auth = readOrWrite('op');

  router.get('/pools', auth, async (req, res) => {
    const { pool_name_pattern } = query(req, z.object({ pool_name_pattern: z.string().optional() }));
    const page = paging(req);
    const order = orderBy(req, ORDER, 'id', 'p.pool');
    const filter = patternFilter('p.pool', pool_name_pattern);
    const where = filter ? `where ${filter.sql}` : '';
    const bind = filter ? [filter.binding] : [];
    const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n from slot_pool p ${where}`, bind);
    const list = await selectPools(r.db, `${where} order by ${order} limit ? offset ?`, [...bind, page.limit, page.offset]);
    res.json({ pools: list.map(serialize), total_entries: count!.n });
  });

  const create = async (db: Executor, b: PoolBody) => {
    await db('slot_pool').insert({ pool: b.name, slots: b.slots, description: b.description ?? null, include_deferred: b.include_deferred });
  };

  router.post('/pools', auth, async (req, res) => {
    const b = body(req, PoolBody);
    if (await findPool(r.db, b.name)) throw conflict(`The Pool with name: \`${b.name}\` already exists`);
    await create(r.db, b);
    await audit(r, res, { event: 'post_pool', extra: { name: b.name, slots: b.slots } });
    await notifyScheduler(r.db);
    res.status(201).json(serialize((await findPool(r.db, b.name))!));
  });

  router.patch('/pools', auth, async (req, res) => {
    const b = body(req, bulkBodySchema(PoolBody));
    const handlers: BulkHandlers<PoolBody> = {
      noun: 'pools', keyName: 'names', keyOf: (e) => e.name,
      existing: async (db, names) => new Set((await rows<{ pool: string }>(db, 'select pool from slot_pool where pool = any(?)', [names])).map((x) => x.pool)),
      create,
      update: async (db, e, mask) => {
        await update(db, e.name, { slots: e.slots, description: e.description, include_deferred: e.include_deferred }, mask);
      },
      remove: async (db, name) => {
        if (name === DEFAULT_POOL) throw badRequest('Default Pool can\'t be deleted');
        await db('slot_pool').where({ pool: name }).delete();
      },
    };
    const result = await runBulk(r.db, b, handlers);
    await audit(r, res, { event: 'bulk_pools', extra: Object.fromEntries(Object.entries(result).map(([a, x]) => [a, x.success])) });
    await notifyScheduler(r.db);
    res.json(result);
  });

  router.get('/pools/:pool_name', auth, async (req, res) => {
    const name = param(req, 'pool_name');
    const p = await findPool(r.db, name);
    if (!p) throw notFound(notFoundMsg(name));
    res.json(serialize(p));
  });

  router.patch('/pools/:pool_name', auth, async (req, res) => {
    const name = param(req, 'pool_name');
    const mask = updateMask(req, ['name', 'pool', 'slots', 'description', 'include_deferred']);
    const b = body(req, PoolPatchBody);
    const newName = await r.db.transaction((trx) => update(trx, name, b, mask));
    await audit(r, res, { event: 'patch_pool', extra: { name, ...b, update_mask: mask } });
    await notifyScheduler(r.db);
    res.json(serialize((await findPool(r.db, newName))!));
  });

  router.delete('/pools/:pool_name', auth, async (req, res) => {
    const name = param(req, 'pool_name');
    if (name === DEFAULT_POOL) throw badRequest('Default Pool can\'t be deleted');
    const n = await r.db('slot_pool').where({ pool: name }).delete();
    if (n === 0) throw notFound(notFoundMsg(name));
    await audit(r, res, { event: 'delete_pool', extra: { name } });
    res.status(204).end();
  });
}
