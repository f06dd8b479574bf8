/**
 * Decide the pending task instances of running runs (the backstop to the worker's
 * fast path: retries whose delay passed, the first tasks of a new run, races), and end
 * runs that have nothing unfinished. Runs are claimed with SKIP LOCKED so two
 * schedulers split the work.
 */
import type { Db } from '../core/db/connect.ts';
import { decideWholeRun } from '../core/transitions/apply-decisions.ts';
import { finalizeRunIfDone } from '../core/transitions/finalize-run.ts';
import { loadSpec } from '../core/transitions/spec-cache.ts';
import { FINISHED_SQL, rows } from '../core/transitions/sql.ts';
import type { DagRunState } from '../core/model/states.ts';

interface RunToDecide { id: number; dag_id: string; run_id: string; logical_date: Date | null; dag_version_id: number; has_pending: boolean }

export interface RunOutcome { dag_id: string; run_id: string; state: DagRunState }

export async function scheduleRunningRuns(db: Db, now: Date): Promise<{ decided: number; finished: RunOutcome[] }> {
  return db.transaction(async (trx) => {
    // "pending" is what the scheduler can move: undecided, or retry/reschedule time reached.
    const runs = await rows<RunToDecide>(trx, `
      select r.id, r.dag_id, r.run_id, r.logical_date, r.dag_version_id,
        exists (select 1 from task_instance t where t.dag_run_id = r.id and (t.state is null
          or (t.state = 'up_for_retry' and (t.next_retry_at is null or t.next_retry_at <= ?))
          or (t.state = 'up_for_reschedule' and (t.reschedule_at is null or t.reschedule_at <= ?)))) as has_pending
      from dag_run r
      where r.state = 'running' and (
        exists (select 1 from task_instance t where t.dag_run_id = r.id and (t.state is null
          or (t.state = 'up_for_retry' and (t.next_retry_at is null or t.next_retry_at <= ?))
          or (t.state = 'up_for_reschedule' and (t.reschedule_at is null or t.reschedule_at <= ?))))
        or not exists (select 1 from task_instance t where t.dag_run_id = r.id
          and (t.state is null or t.state not in ${FINISHED_SQL})))
      order by r.last_scheduling_decision nulls first, r.id
      limit 50
      for no key update of r skip locked`, [now, now, now, now]);
    if (runs.length) {
      await trx.raw('update dag_run set last_scheduling_decision = ? where id = any(?)', [now, runs.map((r) => r.id)]);
    }
    let decided = 0;
    const finished: RunOutcome[] = [];
    for (const run of runs) {
      const spec = await loadSpec(trx, run.dag_version_id);
      if (run.has_pending) decided += (await decideWholeRun(trx, spec, run, now)).length;
      const state = await finalizeRunIfDone(trx, spec, run.id);
      if (state) finished.push({ dag_id: run.dag_id, run_id: run.run_id, state });
    }
    return { decided, finished };
  });
}
