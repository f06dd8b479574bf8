/**
 * What a person does from the UI: pause, trigger (conf checked against the DAG's params),
 * clear, mark success or failed. Each needs the `user` role, goes through the core
 * function the CLI and REST API use, and is recorded in the event log.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { clearTaskInstances, findClearTargets } from '../../core/transitions/clear.ts';
import { finalizeRunIfDone } from '../../core/transitions/finalize-run.ts';
import { notifyScheduler } from '../../core/transitions/notify.ts';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import { rows } from '../../core/transitions/sql.ts';
import { latestVersionId, triggerDagRun } from '../../core/transitions/trigger-run.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { audit } from '../audit.ts';
import { notFound, ValidationError } from '../errors.ts';
import { body } from '../api-v2/params.ts';
import type { WebResources } from '../resources.ts';
import { checkConf } from './conf-check.ts';
import { findTi } from './ti.ts';

const Pause = z.object({ is_paused: z.boolean() }).strict();
const Trigger = z.object({
  dag_run_id: z.string().trim().min(1).max(250).regex(/^[\w.:+~-]+$/, 'letters, digits and _ . : + ~ - only').nullish(),
  logical_date: z.iso.datetime({ offset: true }).nullish(),
  conf: z.unknown().optional(),
  note: z.string().max(1000).nullish(),
}).strict();
const Clear = z.object({
  map_index: z.number().int().min(-1).optional(),
  include_upstream: z.boolean().default(false),
  include_downstream: z.boolean().default(false),
  only_failed: z.boolean().default(false),
}).strict();
const Mark = z.object({ state: z.enum(['success', 'failed']), map_index: z.number().int().min(-1).default(-1) }).strict();

export function registerUiActions(router: Router, r: WebResources): void {
  router.post('/dags/:dag_id/pause', readOrWrite(), async (req, res) => {
    const { is_paused } = body(req, Pause);
    const dagId = String(req.params.dag_id);
    const updated = await rows(r.db, 'update dag set is_paused = ? where dag_id = ? returning dag_id', [is_paused, dagId]);
    if (!updated.length) throw notFound(`The Dag with ID: \`${dagId}\` was not found`);
    if (!is_paused) await notifyScheduler(r.db);
    await audit(r, res, { event: 'patch_dag', dag_id: dagId, extra: { is_paused } });
    res.json({ dag_id: dagId, is_paused });
  });

  router.post('/dags/:dag_id/trigger', readOrWrite(), async (req, res) => {
    const dagId = String(req.params.dag_id);
    const b = body(req, Trigger);
    const spec = await loadSpec(r.db, await latestVersionId(r.db, dagId));
    const problems = checkConf(b.conf ?? {}, spec.params);
    if (problems.length) throw new ValidationError(problems);
    const run = await triggerDagRun(r.db, {
      dag_id: dagId, run_id: b.dag_run_id ?? undefined, conf: b.conf ?? {},
      logical_date: b.logical_date ? new Date(b.logical_date) : null, triggered_by: 'ui',
    });
    if (b.note) await r.db.raw('update dag_run set note = ? where id = ?', [b.note, run.id]);
    await audit(r, res, { event: 'trigger_dag_run', dag_id: dagId, run_id: run.run_id, logical_date: run.logical_date, extra: { conf: b.conf ?? {} } });
    res.status(201).json({ dag_id: dagId, run_id: run.run_id, state: run.state, logical_date: run.logical_date });
  });

  router.post('/ti/:dag_id/:run_id/:task_id/clear', readOrWrite(), async (req, res) => {
    const [dagId, runId, taskId] = [String(req.params.dag_id), String(req.params.run_id), String(req.params.task_id)];
    const b = body(req, Clear);
    const targets = (await findClearTargets(r.db, {
      dag_id: dagId, run_id: runId, task_ids: [taskId], include_upstream: b.include_upstream,
      include_downstream: b.include_downstream, only_failed: b.only_failed,
    })).filter((t) => b.map_index === undefined || t.task_id !== taskId || t.map_index === b.map_index);
    if (targets.length === 0 && !b.only_failed) await findTi(r.db, dagId, runId, taskId, b.map_index ?? -1); // 404 when it does not exist
    const cleared = await clearTaskInstances(r.db, targets.map((t) => t.id));
    await audit(r, res, { event: 'clear', dag_id: dagId, run_id: runId, task_id: taskId, map_index: b.map_index ?? null,
      extra: { ...b, cleared: targets.map((t) => `${t.task_id}[${t.map_index}]`) } });
    res.json({ cleared, task_instances: targets.map((t) => ({ task_id: t.task_id, map_index: t.map_index, previous_state: t.state })) });
  });

  router.post('/ti/:dag_id/:run_id/:task_id/mark', readOrWrite(), async (req, res) => {
    const [dagId, runId, taskId] = [String(req.params.dag_id), String(req.params.run_id), String(req.params.task_id)];
    const b = body(req, Mark);
    const ti = await findTi(r.db, dagId, runId, taskId, b.map_index);
    const spec = await loadSpec(r.db, ti.dag_version_id);
    const runState = await r.db.transaction(async (trx) => {
      await trx.raw(`update task_instance set state = ?, end_date = coalesce(end_date, now()), updated_at = now(),
        next_retry_at = null, reschedule_at = null where id = ?`, [b.state, ti.id]);
      // A finished run is decided again from its new states (as Airflow does after marking);
      // a running one is left to the scheduler, which the notify wakes.
      const [run] = await rows<{ state: string }>(trx, `update dag_run set state = 'running', updated_at = now()
        where id = ? and state in ('success', 'failed') returning state`, [ti.dag_run_id]);
      const decided = run ? await finalizeRunIfDone(trx, spec, ti.dag_run_id) : null;
      await notifyScheduler(trx);
      return decided;
    });
    await audit(r, res, { event: 'patch_task_instance', dag_id: dagId, run_id: runId, task_id: taskId, map_index: b.map_index,
      extra: { new_state: b.state, previous_state: ti.state } });
    res.json({ task_id: taskId, map_index: b.map_index, state: b.state, previous_state: ti.state, run_state: runState });
  });
}
