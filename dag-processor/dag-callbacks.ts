/**
 * Run the DAG-level callbacks of finished runs (marked `callbacks_pending` when they
 * ended). Each runs in a child process with the parse time limit; a callback that fails
 * is logged and never changes the run's state. Runs are claimed with SKIP LOCKED, so
 * several dag-processors share the work and each callback runs once.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/connect.ts';
import type { Logger } from '../core/logging.ts';
import { rows } from '../core/transitions/sql.ts';
import type { CallbackMessage } from './callback-child.ts';
import { runChild } from './run-child.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'callback-child.ts');

interface PendingRun { id: number; dag_id: string; run_id: string; state: string; note: string | null; fileloc: string }

export async function runPendingDagCallbacks(db: Db, config: Config, log: Logger): Promise<number> {
  return db.transaction(async (trx) => {
    const pending = await rows<PendingRun>(trx, `
      select r.id, r.dag_id, r.run_id, r.state, r.note, v.fileloc
      from dag_run r join dag_version v on v.id = r.dag_version_id
      where r.callbacks_pending
      -- One run per transaction: a callback may take seconds, and the row stays locked meanwhile.
      order by r.id limit 1
      for no key update of r skip locked`);
    for (const run of pending) {
      const req = { file: run.fileloc, dag_id: run.dag_id, run_id: run.run_id, state: run.state, reason: run.note ?? undefined };
      const r = await runChild<CallbackMessage>(CHILD, [JSON.stringify(req)], config.parseTimeoutMs,
        `the ${run.state === 'success' ? 'on_success_callback' : 'on_failure_callback'} of DAG "${run.dag_id}"`,
        'UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT');
      const error = !r.ok ? r.error : !r.message.ok ? r.message.error : null;
      if (error) log.warn({ dag_id: run.dag_id, run_id: run.run_id, error }, 'DAG callback failed (the run keeps its state)');
      else log.info({ dag_id: run.dag_id, run_id: run.run_id, state: run.state }, 'DAG callback ran');
      await trx.raw('update dag_run set callbacks_pending = false where id = ?', [run.id]);
    }
    return pending.length;
  });
}
