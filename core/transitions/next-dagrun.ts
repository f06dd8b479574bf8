/**
 * Keep `dag.next_dagrun*` up to date: the next scheduled run the DAG should get, from
 * its schedule and its latest scheduled run. Called when a DAG is (re)parsed and after
 * the scheduler creates a run.
 */
import type { DagSpec } from '../dag/spec.ts';
import { nextRunInfo, type DataInterval } from '../schedule/index.ts';
import { rows, type Executor } from './sql.ts';

export async function latestAutomatedInterval(db: Executor, dagId: string): Promise<DataInterval | null> {
  const [last] = await rows<{ start: Date; end: Date }>(db, `
    select data_interval_start as start, data_interval_end as "end" from dag_run
    where dag_id = ? and run_type = 'scheduled' and data_interval_start is not null
    order by data_interval_end desc, id desc limit 1`, [dagId]);
  return last ? { start: last.start, end: last.end } : null;
}

export async function refreshNextDagrun(db: Executor, spec: DagSpec, now: Date, last?: DataInterval | null): Promise<void> {
  const lastAutomated = last === undefined ? await latestAutomatedInterval(db, spec.dag_id) : last;
  const next = nextRunInfo(spec.schedule, {
    start_date: spec.start_date ? new Date(spec.start_date) : null,
    end_date: spec.end_date ? new Date(spec.end_date) : null,
    catchup: spec.catchup,
    last_automated: lastAutomated,
    now,
  });
  await db.raw(`update dag set next_dagrun = ?, next_dagrun_data_interval_start = ?,
    next_dagrun_data_interval_end = ?, next_dagrun_create_after = ? where dag_id = ?`, [
    next?.logical_date ?? null, next?.data_interval.start ?? null, next?.data_interval.end ?? null,
    next?.run_after ?? null, spec.dag_id,
  ]);
}
