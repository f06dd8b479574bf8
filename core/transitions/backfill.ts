/**
 * Backfill: a run for every scheduled interval in a date range, with its own
 * max_active_runs. Existing runs are left alone (reprocess "none"), or cleared and
 * re-run when they failed ("failed") or finished at all ("completed").
 */
import type { Db } from '../db/connect.ts';
import { UserInputError } from '../errors.ts';
import { backfillRunInfos } from '../schedule/index.ts';
import { findClearTargets, clearTaskInstances } from './clear.ts';
import { createDagRun, generateRunId } from './create-run.ts';
import { notifyScheduler } from './notify.ts';
import { loadSpec } from './spec-cache.ts';
import { rows } from './sql.ts';
import { latestVersionId } from './trigger-run.ts';

export const REPROCESS_BEHAVIORS = ['none', 'completed', 'failed'] as const;
export type ReprocessBehavior = (typeof REPROCESS_BEHAVIORS)[number];

export interface BackfillRequest {
  dag_id: string;
  from_date: Date;
  to_date: Date;
  reprocess_behavior: ReprocessBehavior;
  max_active_runs: number;
  conf?: Record<string, unknown>;
}

export interface BackfillResult { backfill_id: number; created: number; reprocessed: number; skipped: number }

/** The runs a backfill covers, from the DAG's latest version (shared by create and dry run). */
async function planBackfill(db: Db, req: Omit<BackfillRequest, 'max_active_runs'>) {
  if (req.from_date > req.to_date) throw new UserInputError('--from-date must not be after --to-date');
  const versionId = await latestVersionId(db, req.dag_id);
  const spec = await loadSpec(db, versionId);
  try {
    const infos = backfillRunInfos(spec.schedule, {
      from: req.from_date, to: req.to_date,
      start_date: spec.start_date ? new Date(spec.start_date) : null,
      end_date: spec.end_date ? new Date(spec.end_date) : null,
    });
    return { versionId, spec, infos };
  } catch (err) {
    throw new UserInputError(`DAG "${req.dag_id}": ${(err as Error).message}`);
  }
}

/** Whether an existing run in `state` is run again under `behavior`. */
function reprocessAgain(behavior: ReprocessBehavior, state: string): boolean {
  return (behavior === 'failed' && state === 'failed')
    || (behavior === 'completed' && (state === 'failed' || state === 'success'));
}

/** The logical dates a backfill would create or run again, changing nothing (REST `backfills/dry_run`). */
export async function dryRunBackfill(db: Db, req: Omit<BackfillRequest, 'max_active_runs'>): Promise<Date[]> {
  const { infos } = await planBackfill(db, req);
  const existing = await rows<{ logical_date: Date; state: string }>(db,
    'select logical_date, state from dag_run where dag_id = ? and logical_date = any(?::timestamptz[])',
    [req.dag_id, infos.map((i) => i.logical_date)]);
  const stateAt = new Map(existing.map((e) => [new Date(e.logical_date).getTime(), e.state]));
  return infos.map((i) => i.logical_date).filter((d) => {
    const state = stateAt.get(d.getTime());
    return state === undefined || reprocessAgain(req.reprocess_behavior, state);
  });
}

export async function createBackfill(db: Db, req: BackfillRequest): Promise<BackfillResult> {
  if (!Number.isInteger(req.max_active_runs) || req.max_active_runs < 1) throw new UserInputError('--max-active-runs must be a positive integer');
  const { versionId, spec, infos } = await planBackfill(db, req);
  const toReprocess: number[] = [];
  const result = await db.transaction(async (trx) => {
    const [bf] = await rows<{ id: number }>(trx, `insert into backfill (dag_id, from_date, to_date, reprocess_behavior,
      max_active_runs, dag_run_conf) values (?, ?, ?, ?, ?, ?) returning id`,
    [req.dag_id, req.from_date, req.to_date, req.reprocess_behavior, req.max_active_runs, JSON.stringify(req.conf ?? {})]);
    const out: BackfillResult = { backfill_id: bf!.id, created: 0, reprocessed: 0, skipped: 0 };
    for (const info of infos) {
      const [existing] = await rows<{ id: number; state: string }>(trx,
        'select id, state from dag_run where dag_id = ? and logical_date = ?', [req.dag_id, info.logical_date]);
      if (existing) {
        if (reprocessAgain(req.reprocess_behavior, existing.state)) {
          await trx.raw('update dag_run set backfill_id = ? where id = ?', [out.backfill_id, existing.id]);
          toReprocess.push(existing.id);
          out.reprocessed += 1;
        } else out.skipped += 1;
        continue;
      }
      const run = await createDagRun(trx, spec, {
        dag_id: req.dag_id, run_id: generateRunId('backfill', info.logical_date), run_type: 'backfill',
        logical_date: info.logical_date, data_interval_start: info.data_interval.start,
        data_interval_end: info.data_interval.end, run_after: info.run_after, conf: req.conf ?? {},
        dag_version_id: versionId, backfill_id: out.backfill_id, triggered_by: 'backfill',
      });
      if (run) out.created += 1; else out.skipped += 1;
    }
    await notifyScheduler(trx);
    return out;
  });
  if (toReprocess.length) {
    const targets = await findClearTargets(db, { dag_id: req.dag_id, run_ids: toReprocess });
    await clearTaskInstances(db, targets.map((t) => t.id));
  }
  return result;
}
