/**
 * Create asset-triggered runs (Airflow 3's `_create_dag_runs_asset_triggered`): a DAG
 * scheduled on assets gets a run once EVERY scheduled asset has a pending event in
 * `asset_dag_run_queue` (Airflow's AND). The run consumes all of the DAG's pending
 * events: several updates of one asset before the others catch up give one run.
 *
 * As in Airflow 3 the run has no logical date and no data interval; run_after is the
 * newest consumed event's time and the run id is `asset_triggered__<that time, to the
 * microsecond>+00:00`. Runs are created `queued`, so max_active_runs holds them back in
 * startQueuedRuns like any other run; paused DAGs get none (and, as in Airflow, get no
 * queue rows while paused, see core/transitions/asset-events.ts).
 *
 * Two schedulers: the DAG row is locked with SKIP LOCKED, so one of them handles a DAG;
 * readiness is checked again after the lock (the first query's snapshot may predate
 * another scheduler's commit), and the queue rows are deleted in the same transaction
 * that creates the run.
 */
import type { Knex } from 'knex';
import type { Db } from '../core/db/connect.ts';
import type { DagSpec } from '../core/dag/spec.ts';
import { createDagRun } from '../core/transitions/create-run.ts';
import { loadSpec } from '../core/transitions/spec-cache.ts';
import { rows } from '../core/transitions/sql.ts';

interface Consumed { event_id: string; uri: string; ts: Date; ts_text: string }

export async function createAssetRuns(db: Db): Promise<number> {
  return db.transaction(async (trx) => {
    // Driven by the queue table, which is empty when nothing is pending: an idle pass
    // costs one index probe, not a scan of every DAG's schedule.
    const ready = await rows<{ dag_id: string; latest_version_id: number }>(trx, `
      select d.dag_id, d.latest_version_id from dag d
      where d.dag_id in (select target_dag_id from asset_dag_run_queue)
        and d.timetable ->> 'kind' = 'assets'
        and d.is_active and not d.is_paused and d.latest_version_id is not null
        and ${ALL_PENDING}
      order by d.dag_id
      limit 20
      for no key update of d skip locked`);
    let created = 0;
    for (const d of ready) {
      const spec = await loadSpec(trx, d.latest_version_id);
      if (spec.schedule.kind !== 'assets') continue;
      if (await createOne(trx, spec, d.latest_version_id)) created += 1;
    }
    return created;
  });
}

/** SQL condition on `d`: every URI of its asset schedule has a pending event. */
const ALL_PENDING = `not exists (
  select 1 from jsonb_array_elements_text(d.timetable -> 'uris') as s(uri)
  where not exists (
    select 1 from asset_dag_run_queue q join asset a on a.id = q.asset_id
    where q.target_dag_id = d.dag_id and a.uri = s.uri))`;

async function createOne(trx: Knex.Transaction, spec: DagSpec, versionId: number): Promise<boolean> {
  // Re-checked under the lock, in a new snapshot: another scheduler may have consumed
  // the events after our first query looked. Producers only add rows, so it stays true.
  const [still] = await rows<{ ok: boolean }>(trx,
    `select ${ALL_PENDING} as ok from dag d where d.dag_id = ?`, [spec.dag_id]);
  if (!still?.ok) return false;

  const consumed = await rows<Consumed>(trx, `
    with q as (delete from asset_dag_run_queue where target_dag_id = ? returning event_id, asset_id)
    select e.id as event_id, a.uri, e.timestamp as ts,
      to_char(e.timestamp at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as ts_text
    from q join asset_event e on e.id = q.event_id join asset a on a.id = q.asset_id
    order by e.timestamp, e.id`, [spec.dag_id]);
  const uris = new Set(spec.schedule.kind === 'assets' ? spec.schedule.uris : []);
  // Events of assets the DAG is no longer scheduled on (its schedule changed) are dropped.
  const triggering = consumed.filter((c) => uris.has(c.uri));
  const last = triggering[triggering.length - 1];
  if (!last) return false;

  const base = `asset_triggered__${last.ts_text}+00:00`;
  const newRun = (run_id: string) => createDagRun(trx, spec, {
    dag_id: spec.dag_id, run_id, run_type: 'asset_triggered', logical_date: null,
    data_interval_start: null, data_interval_end: null, run_after: last.ts, conf: {},
    dag_version_id: versionId, triggered_by: 'asset',
  });
  // The newest event is consumed once, so its time names one run; should an unrelated
  // run (a manual one given this id) hold the name, the event id makes it unique.
  const run = (await newRun(base)) ?? (await newRun(`${base}_${last.event_id}`));
  if (!run) throw new Error(`could not create asset-triggered run ${spec.dag_id}/${base}: run id taken`);
  await trx.raw(`insert into dag_run_asset_event (dag_run_id, event_id)
    select ?, unnest(?::bigint[]) on conflict do nothing`, [run.id, triggering.map((c) => c.event_id)]);
  return true;
}
