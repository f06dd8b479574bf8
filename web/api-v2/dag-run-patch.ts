/**
 * PATCH /dags/{dag_id}/dagRuns/{dag_run_id}: set a run's state (success, failed, queued)
 * and/or its note, limited to `update_mask` when given. Marking a run changes its task
 * instances the way Airflow's set_dag_run_state_to_* do:
 *  - success: every task instance not already successful becomes success (failed and
 *    skipped ones too);
 *  - failed: running ones (running, deferred, up_for_reschedule) become failed, every
 *    other unfinished one skipped;
 *  - queued: only the run changes; the scheduler starts it again.
 * Workers running an instance that changed notice at their next heartbeat and stop it.
 */
import type { Knex } from 'knex';
import type { Router } from 'express';
import { z } from 'zod';
import { notifyScheduler } from '../../core/transitions/notify.ts';
import { FINISHED_SQL } from '../../core/transitions/sql.ts';
import { audit } from '../audit.ts';
import { readOrWrite } from '../auth/middleware.ts';
import type { WebResources } from '../resources.ts';
import { body, list } from './params.ts';
import { findRun, runPath, serializeDagRun } from './serialize/dag-run.ts';

const PatchBody = z.object({
  state: z.enum(['queued', 'success', 'failed']).nullish(),
  note: z.string().max(1000).nullish(),
}).strict();

type MarkState = 'queued' | 'success' | 'failed';

const RUNNING_STATES_SQL = `('running', 'deferred', 'up_for_reschedule')`;

/** One transaction: the run row is locked first, so a concurrent scheduler pass waits for the whole change. */
async function markRun(trx: Knex.Transaction, runPk: number, state: MarkState): Promise<void> {
  await trx.raw('select id from dag_run where id = ? for no key update', [runPk]);
  const setDone = `end_date = now(), start_date = coalesce(start_date, now()),
    duration = extract(epoch from (now() - coalesce(start_date, now()))), updated_at = now()`;
  if (state === 'success') {
    await trx.raw(`update task_instance set state = 'success', ${setDone}
      where dag_run_id = ? and state is distinct from 'success'`, [runPk]);
    await trx.raw(`update dag_run set state = 'success', end_date = now(), updated_at = now() where id = ?`, [runPk]);
  } else if (state === 'failed') {
    await trx.raw(`update task_instance set state = 'failed', ${setDone}
      where dag_run_id = ? and state in ${RUNNING_STATES_SQL}`, [runPk]);
    await trx.raw(`update task_instance set state = 'skipped', ${setDone}
      where dag_run_id = ? and (state is null or state not in ${FINISHED_SQL})`, [runPk]);
    await trx.raw(`update dag_run set state = 'failed', end_date = now(), updated_at = now() where id = ?`, [runPk]);
  } else {
    await trx.raw(`update dag_run set state = 'queued', queued_at = now(), start_date = null, end_date = null,
      updated_at = now() where id = ?`, [runPk]);
    await notifyScheduler(trx);
  }
}

export function registerDagRunPatch(router: Router, r: WebResources): void {
  router.patch('/dags/:dag_id/dagRuns/:dag_run_id', readOrWrite(), async (req, res) => {
    const { dagId, runId } = runPath(req);
    const b = body(req, PatchBody);
    const run = await findRun(r.db, dagId, runId);
    // Fields sent, narrowed to update_mask when there is one (Airflow: model_fields_set ∩ update_mask).
    const mask = list(req, 'update_mask').flatMap((m) => m.split(',')).map((m) => m.trim()).filter(Boolean);
    const fields = Object.keys(b).filter((k) => mask.length === 0 || mask.includes(k));
    const state = fields.includes('state') ? b.state ?? null : null;
    const noteChanged = fields.includes('note');
    await r.db.transaction(async (trx) => {
      if (state) await markRun(trx, Number(run.id), state);
      if (noteChanged) await trx.raw('update dag_run set note = ?, updated_at = now() where id = ?', [b.note ?? null, run.id]);
    });
    if (state || noteChanged) {
      await audit(r, res, { event: 'patch_dag_run', dag_id: dagId, run_id: runId, logical_date: run.logical_date,
        extra: { ...(state ? { state } : {}), ...(noteChanged ? { note: b.note ?? null } : {}), update_mask: mask } });
    }
    res.json(serializeDagRun(await findRun(r.db, dagId, runId)));
  });
}
