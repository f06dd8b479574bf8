/**
 * Create the scheduled runs that are due (run_after has passed). The DAG rows are
 * claimed with SKIP LOCKED, so two schedulers never create the same run; the unique
 * (dag_id, run_id) is the second line of defence. A DAG at max_active_runs gets no
 * new run until one finishes.
 */
import type { Db } from '../core/db/connect.ts';
import { createDagRun, generateRunId } from '../core/transitions/create-run.ts';
import { refreshNextDagrun } from '../core/transitions/next-dagrun.ts';
import { loadSpec } from '../core/transitions/spec-cache.ts';
import { rows } from '../core/transitions/sql.ts';

interface DueDag {
  dag_id: string;
  latest_version_id: number;
  next_dagrun: Date;
  next_dagrun_data_interval_start: Date;
  next_dagrun_data_interval_end: Date;
  next_dagrun_create_after: Date;
}

export async function createDueRuns(db: Db, now: Date): Promise<number> {
  return db.transaction(async (trx) => {
    const due = await rows<DueDag>(trx, `
      select d.dag_id, d.latest_version_id, d.next_dagrun,
        d.next_dagrun_data_interval_start, d.next_dagrun_data_interval_end, d.next_dagrun_create_after
      from dag d
      where d.is_active and not d.is_paused and d.latest_version_id is not null
        and d.next_dagrun_create_after <= ?
        -- DAGs at max_active_runs are left out here, not skipped after the limit: else
        -- enough of them would fill every batch and starve the others.
        and (select count(*) from dag_run r where r.dag_id = d.dag_id and r.backfill_id is null
          and r.state in ('queued', 'running')) < d.max_active_runs
      order by d.next_dagrun_create_after, d.dag_id
      limit 20
      for no key update of d skip locked`, [now]);
    let created = 0;
    for (const d of due) {
      const spec = await loadSpec(trx, d.latest_version_id);
      const run = await createDagRun(trx, spec, {
        dag_id: d.dag_id,
        run_id: generateRunId('scheduled', d.next_dagrun),
        run_type: 'scheduled',
        logical_date: d.next_dagrun,
        data_interval_start: d.next_dagrun_data_interval_start,
        data_interval_end: d.next_dagrun_data_interval_end,
        run_after: d.next_dagrun_create_after,
        conf: {},
        dag_version_id: d.latest_version_id,
        triggered_by: 'scheduler',
      });
      if (run) created += 1;
      await refreshNextDagrun(trx, spec, now, {
        start: d.next_dagrun_data_interval_start, end: d.next_dagrun_data_interval_end,
      });
    }
    return created;
  });
}
