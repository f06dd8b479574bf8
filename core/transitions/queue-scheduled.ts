/**
 * scheduled → queued, within the caps: pool slots, the DAG's max_active_tasks, paused
 * DAGs and non-running runs hold tasks back. The work is the SQL function
 * `updraft_queue_scheduled` (migrations/002): candidates claimed with SKIP LOCKED,
 * advisory locks on every DAG and pool involved taken in sorted order, caps counted in
 * a later statement, greedy choice by priority_weight, then logical date. Scheduler and
 * workers both call it, so caps have one implementation and are never over-committed.
 */
import type { Knex } from 'knex';
import type { TaskJobData } from '../queue/job-id.ts';
import { rows } from './sql.ts';

export interface QueueOptions {
  /** Only this DAG's tasks (the worker's fast path after a finish). */
  dagId?: string;
  /** The DAG's pools, known from its serialized tasks (saves a scan). */
  pools?: string[];
  limit?: number;
}

export async function queueScheduled(trx: Knex | Knex.Transaction, opts: QueueOptions = {}): Promise<TaskJobData[]> {
  // Blocking locks: the scheduler and explicit transitions must not skip their turn.
  return rows<TaskJobData>(trx, 'select * from updraft_queue_scheduled(?, ?, ?, true)',
    [opts.dagId ?? null, opts.pools ?? null, opts.limit ?? 256]);
}
