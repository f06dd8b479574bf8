/**
 * PATCH .../taskInstances/{task_id}[/{map_index}] (and their /dry_run twins): mark a
 * task instance success, failed or skipped, with its upstream/downstream relatives and
 * the same task in past/future runs, and/or set its note. As in Airflow, marking a task
 * success or skipped clears its failed and upstream_failed downstream tasks in the same
 * run so they run again; the scheduler then decides what follows (woken by a notify).
 * A dry run returns the instances that would change, changing nothing.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../core/db/connect.ts';
import { clearTaskInstances } from '../../core/transitions/clear.ts';
import { findClearTargets, type ClearTarget } from '../../core/transitions/clear-targets.ts';
import { notifyScheduler } from '../../core/transitions/notify.ts';
import { rows } from '../../core/transitions/sql.ts';
import { audit } from '../audit.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { body, list, param } from './params.ts';
import { serializeTaskInstance, type TiJoinedRow } from './serialize/task-instance.ts';
import { findTaskInstance, instancesOf, mapIndexOf, TI_PATH, tiPath, tisByIds } from './task-instance-get.ts';

const PatchBody = z.strictObject({
  new_state: z.enum(['success', 'failed', 'skipped']).nullish(),
  note: z.string().max(1000).nullish(),
  include_upstream: z.boolean().default(false),
  include_downstream: z.boolean().default(false),
  include_future: z.boolean().default(false),
  include_past: z.boolean().default(false),
});
type Patch = z.infer<typeof PatchBody>;

const MASKABLE = ['new_state', 'note'];

interface Plan { seeds: TiJoinedRow[]; targets: ClearTarget[]; patch: Patch; mask: Set<string> }

/** Which instances the patch is about (`map_index` null: every instance of the task in the run). */
async function seedsOf(db: Db, req: Request, mapIndex: number | null): Promise<TiJoinedRow[]> {
  const { dagId, runId, taskId } = tiPath(req);
  if (mapIndex !== null) return [await findTaskInstance(db, dagId, runId, taskId, mapIndex)];
  const all = await instancesOf(db, dagId, runId, taskId);
  if (all.length === 0) {
    throw notFound(`The Task Instance with dag_id: \`${dagId}\`, run_id: \`${runId}\` and task_id: \`${taskId}\` was not found`);
  }
  return all;
}

async function plan(r: WebResources, req: Request, mapIndex: number | null): Promise<Plan> {
  const patch = body(req, PatchBody);
  const maskRaw = list(req, 'update_mask').flatMap((m) => m.split(',')).map((m) => m.trim()).filter(Boolean);
  const bad = maskRaw.filter((m) => !MASKABLE.includes(m));
  if (bad.length) throw badRequest(`Invalid field(s) in update_mask: ${bad.join(', ')}; allowed: ${MASKABLE.join(', ')}`);
  const mask = new Set(maskRaw.length ? maskRaw : Object.keys(patch).filter((k) => MASKABLE.includes(k) && patch[k as keyof Patch] !== undefined));
  const seeds = await seedsOf(r.db, req, mapIndex);
  const newState = mask.has('new_state') ? patch.new_state : null;
  if (mask.has('new_state') && !newState) throw badRequest('new_state is required when update_mask names it');
  let targets: ClearTarget[] = [];
  if (newState) {
    const { dagId, runId, taskId } = tiPath(req);
    const [run] = await rows<{ logical_date: Date | null }>(r.db, 'select logical_date from dag_run where dag_id = ? and run_id = ?', [dagId, runId]);
    // Past/future runs are those before/after this one's logical date (a run without one has neither).
    const wide = run?.logical_date && (patch.include_past || patch.include_future);
    const found = await findClearTargets(r.db, {
      dag_id: dagId, task_ids: [taskId], include_upstream: patch.include_upstream, include_downstream: patch.include_downstream,
      ...(wide ? {
        start_date: patch.include_past ? undefined : run.logical_date!, end_date: patch.include_future ? undefined : run.logical_date!,
      } : { run_id: runId }),
    });
    targets = found.filter((t) => t.state !== newState && (t.task_id !== taskId || mapIndex === null || t.map_index === mapIndex));
  }
  return { seeds, targets, patch, mask };
}

/** Write the plan: states (each guarded by the state read), then notes; returns the changed ids. */
async function apply(r: WebResources, p: Plan): Promise<Array<number | string>> {
  const newState = p.patch.new_state!;
  const changed: Array<number | string> = [];
  await r.db.transaction(async (trx) => {
    for (const t of p.targets) {
      const done = await rows<{ id: number }>(trx, `update task_instance set state = ?,
          start_date = coalesce(start_date, now()), end_date = now(),
          duration = extract(epoch from now() - coalesce(start_date, now())), next_retry_at = null, reschedule_at = null,
          updated_at = now()
        where id = ? and state is not distinct from ? returning id`, [newState, t.id, t.state]);
      if (done.length) changed.push(t.id);
    }
    if (p.mask.has('note')) {
      await trx.raw('update task_instance set note = ?, updated_at = now() where id = any(?::bigint[])',
        [p.patch.note ?? null, p.seeds.map((s) => String(s.id))]);
    }
  });
  if (changed.length && (newState === 'success' || newState === 'skipped')) {
    // Airflow's set_task_instance_state: failed/upstream_failed tasks below the marked ones run again.
    const byRun = new Map<number, Set<string>>();
    for (const t of p.targets) (byRun.get(t.dag_run_id) ?? byRun.set(t.dag_run_id, new Set()).get(t.dag_run_id)!).add(t.task_id);
    const dagId = p.seeds[0]!.dag_id;
    const below: number[] = [];
    for (const [runId, taskIds] of byRun) {
      const found = await findClearTargets(r.db, { dag_id: dagId, run_ids: [runId], task_ids: [...taskIds], include_downstream: true, only_failed: true });
      below.push(...found.filter((t) => !changed.map(String).includes(String(t.id))).map((t) => t.id));
    }
    await clearTaskInstances(r.db, below);
  }
  if (changed.length) await notifyScheduler(r.db);
  return changed;
}

function handler(r: WebResources, dryRun: boolean, mapIndexFrom: 'path' | 'query') {
  return async (req: Request, res: Response) => {
    const mapIndex = mapIndexFrom === 'path' ? mapIndexOf(param(req, 'map_index'), 'path') : mapIndexOf(req.query.map_index, 'query', null);
    const p = await plan(r, req, mapIndex);
    const newState = p.mask.has('new_state') ? p.patch.new_state : null;
    if (dryRun) {
      const ids = newState ? p.targets.map((t) => t.id) : p.seeds.map((s) => s.id);
      const tis = await tisByIds(r.db, ids);
      res.json({ task_instances: tis.map(serializeTaskInstance), total_entries: tis.length });
      return;
    }
    if (newState && p.targets.length === 0) throw conflict(`Task id ${param(req, 'task_id')} is already in ${newState} state`);
    const changed = newState ? await apply(r, p) : (await apply(r, { ...p, targets: [] }), []);
    const { dagId, runId, taskId } = tiPath(req);
    await audit(r, res, {
      event: 'patch_task_instance', dag_id: dagId, run_id: runId, task_id: taskId, map_index: mapIndex,
      extra: { ...p.patch, update_mask: [...p.mask], changed: changed.length },
    });
    const tis = await tisByIds(r.db, newState ? changed : p.seeds.map((s) => s.id));
    res.json({ task_instances: tis.map(serializeTaskInstance), total_entries: tis.length });
  };
}

export function registerTaskInstancePatch(router: Router, r: WebResources): void {
  router.patch(`${TI_PATH}/dry_run`, readOrWrite(), handler(r, true, 'query'));
  router.patch(`${TI_PATH}/:map_index/dry_run`, readOrWrite(), handler(r, true, 'path'));
  router.patch(TI_PATH, readOrWrite(), handler(r, false, 'query'));
  router.patch(`${TI_PATH}/:map_index`, readOrWrite(), handler(r, false, 'path'));
}
