/**
 * queued → running for DAG runs, honouring max_active_runs (the DAG's for its own runs,
 * the backfill's for backfill runs). The DAG row is locked while counting, so two
 * schedulers cannot both start "the last" allowed run.
 */
import type { Db } from '../core/db/connect.ts';
import { rows } from '../core/transitions/sql.ts';

export async function startQueuedRuns(db: Db): Promise<number> {
  const dags = await rows<{ dag_id: string }>(db,
    `select distinct dag_id from dag_run where state = 'queued' limit 100`);
  let started = 0;
  for (const { dag_id } of dags) {
    started += await db.transaction(async (trx) => {
      const [dag] = await rows<{ max_active_runs: number; is_paused: boolean }>(trx,
        'select max_active_runs, is_paused from dag where dag_id = ? for no key update skip locked', [dag_id]);
      // A paused DAG's runs wait in queued, as in Airflow, until it is unpaused.
      if (!dag || dag.is_paused) return 0;
      const promoted = await rows<{ id: number }>(trx, `
        with active as (
          select coalesce(backfill_id, 0) as grp, count(*)::int as n from dag_run
          where dag_id = ? and state = 'running' group by 1
        ), candidates as (
          select r.id, coalesce(r.backfill_id, 0) as grp,
            row_number() over (partition by coalesce(r.backfill_id, 0)
              order by r.logical_date nulls last, r.run_after, r.id) as pos,
            coalesce(b.max_active_runs, ?) as cap, coalesce(b.is_paused, false) as paused
          from dag_run r left join backfill b on b.id = r.backfill_id
          where r.dag_id = ? and r.state = 'queued'
        )
        update dag_run set state = 'running', start_date = now(), updated_at = now()
        where id in (
          select c.id from candidates c left join active a on a.grp = c.grp
          where not c.paused and c.pos <= c.cap - coalesce(a.n, 0)
        )
        returning id`, [dag_id, dag.max_active_runs, dag_id]);
      return promoted.length;
    });
  }
  return started;
}
