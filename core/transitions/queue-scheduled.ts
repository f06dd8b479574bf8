/**
 * scheduled → queued, within the caps: pool slots, the DAG's max_active_tasks, paused
 * DAGs and non-running runs hold tasks back. Candidates are claimed with SKIP LOCKED;
 * then the DAG and pool rows are locked (always DAGs before pools, each in name order,
 * so two queuers never deadlock) and the caps are counted in a later statement, which
 * in READ COMMITTED sees everything committed before the locks were granted. Caps are
 * therefore never over-committed, even with several schedulers and workers queuing.
 */
import type { Knex } from 'knex';
import type { TaskJobData } from '../queue/job-id.ts';
import { rows } from './sql.ts';

interface Candidate { id: number; dag_id: string; pool: string; pool_slots: number }
interface Cap { kind: 'dag' | 'pool'; name: string; cap: number; used: number }

export interface QueueOptions {
  /** Only this DAG's tasks (the worker's fast path after a finish). */
  dagId?: string;
  limit?: number;
}

export async function queueScheduled(trx: Knex.Transaction, opts: QueueOptions = {}): Promise<TaskJobData[]> {
  const candidates = await rows<Candidate>(trx, `
    select ti.id, ti.dag_id, ti.pool, ti.pool_slots
    from task_instance ti
    join dag_run r on r.id = ti.dag_run_id and r.state = 'running'
    where ti.state = 'scheduled' ${opts.dagId ? 'and ti.dag_id = ?' : ''}
    order by ti.priority_weight desc, r.logical_date nulls last, ti.id
    limit ?
    for update of ti skip locked`, [...(opts.dagId ? [opts.dagId] : []), opts.limit ?? 256]);
  if (candidates.length === 0) return [];

  const dags = [...new Set(candidates.map((c) => c.dag_id))].sort();
  const pools = [...new Set(candidates.map((c) => c.pool))].sort();
  const lockedDags = await rows<{ dag_id: string; max_active_tasks: number; is_paused: boolean }>(trx,
    'select dag_id, max_active_tasks, is_paused from dag where dag_id = any(?) order by dag_id for no key update',
    [dags]);
  const lockedPools = await rows<{ pool: string; slots: number }>(trx,
    'select pool, slots from slot_pool where pool = any(?) order by pool for no key update', [pools]);
  const used = await rows<{ kind: 'dag' | 'pool'; name: string; used: number }>(trx, `
    select 'dag' as kind, dag_id as name, count(*)::int as used from task_instance
      where state in ('queued', 'running') and dag_id = any(?) group by dag_id
    union all
    select 'pool', pool, coalesce(sum(pool_slots), 0)::int from task_instance
      where state in ('queued', 'running') and pool = any(?) group by pool`, [dags, pools]);

  const caps = new Map<string, Cap>();
  const usedOf = (kind: string, name: string) => used.find((u) => u.kind === kind && u.name === name)?.used ?? 0;
  for (const d of lockedDags) {
    if (!d.is_paused) caps.set(`dag:${d.dag_id}`, { kind: 'dag', name: d.dag_id, cap: d.max_active_tasks, used: usedOf('dag', d.dag_id) });
  }
  for (const p of lockedPools) caps.set(`pool:${p.pool}`, { kind: 'pool', name: p.pool, cap: p.slots, used: usedOf('pool', p.pool) });

  const chosen: number[] = [];
  for (const c of candidates) {
    const dagCap = caps.get(`dag:${c.dag_id}`);
    const poolCap = caps.get(`pool:${c.pool}`);
    // A paused DAG or a missing pool holds its tasks in `scheduled`; the dependency
    // rules explain why to whoever asks.
    if (!dagCap || !poolCap) continue;
    if (dagCap.used + 1 > dagCap.cap || poolCap.used + c.pool_slots > poolCap.cap) continue;
    dagCap.used += 1;
    poolCap.used += c.pool_slots;
    chosen.push(c.id);
  }
  if (chosen.length === 0) return [];

  return rows<TaskJobData>(trx, `
    update task_instance set state = 'queued', try_number = try_number + 1, queued_dttm = now(),
      updated_at = now(), next_retry_at = null, reschedule_at = null
    where id = any(?) and state = 'scheduled'
    returning id as ti_id, try_number, dag_id, run_id, task_id, map_index, queue`, [chosen]);
}
