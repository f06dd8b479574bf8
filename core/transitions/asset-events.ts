/**
 * Record asset events for a task instance that succeeded with `outlets`, and queue them
 * for every DAG scheduled on those assets (Airflow's AssetManager.register_asset_change).
 *
 * This runs after the finish is committed, not inside it (the finish is one SQL function
 * call on the hot path, see finish-ti.ts): only tasks with outlets pay for it. If the
 * process dies between the two, the events of that one try are lost; the task's state
 * is not affected. Transient errors are retried, as the finish itself is.
 */
import type { Db } from '../db/connect.ts';
import { notifyScheduler } from './notify.ts';
import { rows, type Executor } from './sql.ts';

export interface AssetEventSource {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
}

export interface RecordedAssetEvents {
  /** Events written, one per distinct URI. */
  events: number;
  /** Queue rows written, one per (event, consumer DAG). */
  queued: number;
}

/**
 * One statement: create missing `asset` rows, write one event per URI, and queue each
 * event for the active, unpaused DAGs scheduled on its asset. Paused consumers are left
 * out, as in Airflow: unpausing does not replay what happened meanwhile.
 * URIs are sorted so concurrent producers lock `asset` rows in the same order.
 */
export async function recordAssetEvents(
  db: Executor, source: AssetEventSource, uris: readonly string[], extra: Record<string, unknown> = {},
): Promise<RecordedAssetEvents> {
  const sorted = [...new Set(uris)].sort();
  if (sorted.length === 0) return { events: 0, queued: 0 };
  const [counts] = await rows<RecordedAssetEvents>(db, `
    with a as (
      -- "do update" (a no-op) rather than "do nothing", so existing assets come back too.
      insert into asset (uri) select unnest(?::text[])
      on conflict (uri) do update set uri = excluded.uri
      returning id, uri
    ), e as (
      insert into asset_event (asset_id, source_dag_id, source_run_id, source_task_id, source_map_index, extra)
      select a.id, ?, ?, ?, ?, ?::jsonb from a order by a.id
      returning id, asset_id
    ), q as (
      insert into asset_dag_run_queue (target_dag_id, asset_id, event_id)
      select d.dag_id, e.asset_id, e.id
      from e join a on a.id = e.asset_id
      join dag d on d.timetable ->> 'kind' = 'assets' and d.timetable -> 'uris' @> jsonb_build_array(a.uri)
        and d.is_active and not d.is_paused
      on conflict do nothing
      returning 1
    )
    select (select count(*) from e)::int as events, (select count(*) from q)::int as queued`,
  [sorted, source.dag_id, source.run_id, source.task_id, source.map_index, JSON.stringify(extra)]);
  return counts ?? { events: 0, queued: 0 };
}

/**
 * The worker's entry point: record the events, retrying transient errors, and wake the
 * schedulers when a consumer DAG got a pending event. Never throws: the task already
 * succeeded, and a failure to record is reported through `onError`. (A retry after a
 * commit whose reply was lost writes the events twice; a consumer still runs once,
 * because a run consumes all of its pending events.)
 */
export async function recordTaskOutlets(
  db: Db, source: AssetEventSource, uris: readonly string[], onError: (err: unknown) => void,
): Promise<void> {
  const delays = [50, 200, 800];
  let queued = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      queued = (await recordAssetEvents(db, source, uris)).queued;
      break;
    } catch (err) {
      const delay = delays[attempt];
      if (delay === undefined) { onError(err); return; }
      await new Promise((res) => setTimeout(res, delay));
    }
  }
  // A lost wake-up only costs latency: idle schedulers still poll.
  if (queued > 0) await notifyScheduler(db).catch(onError);
}
