/**
 * dagrun_timeout: a run still unfinished after its timeout is failed, and its
 * unfinished task instances are skipped, as Airflow does. Workers running one of them
 * notice the change at their next heartbeat and kill the task.
 */
import type { Db } from '../core/db/connect.ts';
import { FINISHED_SQL, rows } from '../core/transitions/sql.ts';

export async function failTimedOutRuns(db: Db): Promise<number> {
  return db.transaction(async (trx) => {
    const timedOut = await rows<{ id: number }>(trx, `
      select r.id from dag_run r join dag_version v on v.id = r.dag_version_id
      where r.state = 'running' and v.serialized->>'dagrun_timeout_ms' is not null
        and r.start_date + ((v.serialized->>'dagrun_timeout_ms')::bigint * interval '1 millisecond') < now()
      for no key update of r skip locked`);
    if (timedOut.length === 0) return 0;
    const ids = timedOut.map((r) => r.id);
    await trx.raw(`update task_instance set state = 'skipped', end_date = now(), updated_at = now()
      where dag_run_id = any(?) and (state is null or state not in ${FINISHED_SQL})`, [ids]);
    await trx.raw(`update dag_run r set state = 'failed', end_date = now(), updated_at = now(),
      note = coalesce(r.note, 'dagrun_timeout exceeded'),
      callbacks_pending = coalesce((v.serialized->>'has_dag_callbacks')::boolean, false)
      from dag_version v where v.id = r.dag_version_id and r.id = any(?)`, [ids]);
    return ids.length;
  });
}
