/**
 * Create a DAG run and one task instance per task, in the caller's transaction.
 * A duplicate run id (or logical date) returns null instead of failing, so two
 * schedulers racing for the same interval create it once.
 */
import type { Knex } from 'knex';
import type { DagSpec } from '../dag/spec.ts';
import type { DagRunRow } from '../model/rows.ts';
import type { DagRunState, RunType } from '../model/states.ts';
import { rows } from './sql.ts';

export interface NewRun {
  dag_id: string;
  run_id: string;
  run_type: RunType;
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  run_after: Date;
  conf: Record<string, unknown>;
  dag_version_id: number;
  state?: DagRunState;
  backfill_id?: number | null;
  triggered_by?: string;
}

/** Airflow's run id form: `scheduled__2026-11-20T00:00:00+00:00`. */
export function generateRunId(runType: RunType, when: Date): string {
  const iso = when.toISOString();
  const ms = iso.slice(19, 23) === '.000' ? '' : iso.slice(19, 23);
  return `${runType}__${iso.slice(0, 19)}${ms}+00:00`;
}

export async function createDagRun(trx: Knex.Transaction, spec: DagSpec, run: NewRun): Promise<DagRunRow | null> {
  const [created] = await rows<DagRunRow>(trx, `
    insert into dag_run (dag_id, run_id, run_type, state, logical_date, data_interval_start,
      data_interval_end, run_after, queued_at, conf, dag_version_id, backfill_id, triggered_by)
    values (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?)
    on conflict do nothing
    returning *`, [
    run.dag_id, run.run_id, run.run_type, run.state ?? 'queued', run.logical_date, run.data_interval_start,
    run.data_interval_end, run.run_after, JSON.stringify(run.conf), run.dag_version_id, run.backfill_id ?? null,
    run.triggered_by ?? null,
  ]);
  if (!created) return null;
  if (spec.tasks.length > 0) {
    await trx('task_instance').insert(spec.tasks.map((t) => ({
      dag_run_id: created.id, dag_id: run.dag_id, run_id: run.run_id, task_id: t.task_id, map_index: -1,
      state: null, try_number: 0, max_tries: t.retries, operator: t.operator, pool: t.pool,
      pool_slots: t.pool_slots, queue: t.queue, priority_weight: t.priority_weight,
      run_logical_date: run.logical_date, max_active_tis_per_dag: t.max_active_tis_per_dag ?? null,
    })));
  }
  return created;
}
