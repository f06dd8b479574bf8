/**
 * Manual trigger (CLI, REST API, UI): a `manual` run with conf, an optional logical
 * date and run id. A duplicate run id or logical date is a conflict error.
 */
import type { Db } from '../db/connect.ts';
import { UserInputError } from '../errors.ts';
import type { DagRunRow } from '../model/rows.ts';
import { manualRunInfo } from '../schedule/index.ts';
import { createDagRun, generateRunId } from './create-run.ts';
import { notifyScheduler } from './notify.ts';
import { loadSpec } from './spec-cache.ts';
import { preciseNow } from '../time/clock.ts';
import { rows } from './sql.ts';

export class ConflictError extends UserInputError {
  override name = 'ConflictError';
}

export class NotFoundError extends UserInputError {
  override name = 'NotFoundError';
}

export interface TriggerRequest {
  dag_id: string;
  run_id?: string | null;
  conf?: unknown;
  logical_date?: Date | null;
  triggered_by?: string;
  /** An explicit data interval (REST API); otherwise the one the logical date falls in. */
  data_interval?: { start: Date; end: Date } | null;
  /** When the run may start (REST API); default now. */
  run_after?: Date | null;
  /** The run's note (REST API). */
  note?: string | null;
}

export async function latestVersionId(db: Db, dagId: string): Promise<number> {
  const [dag] = await rows<{ latest_version_id: number | null; is_active: boolean }>(db,
    'select latest_version_id, is_active from dag where dag_id = ?', [dagId]);
  if (!dag || dag.latest_version_id === null) throw new NotFoundError(`DAG "${dagId}" not found`);
  if (!dag.is_active) throw new NotFoundError(`DAG "${dagId}" is no longer in the DAGs folder (inactive)`);
  return dag.latest_version_id;
}

export async function triggerDagRun(db: Db, req: TriggerRequest, now = new Date()): Promise<DagRunRow> {
  const conf = req.conf ?? {};
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) {
    throw new UserInputError('conf must be a JSON object, e.g. {"key": "value"}');
  }
  const versionId = await latestVersionId(db, req.dag_id);
  const spec = await loadSpec(db, versionId);
  const logical = req.logical_date === undefined ? now : req.logical_date;
  const info = logical ? manualRunInfo(spec.schedule, logical) : null;
  // A run without a logical date is named after the trigger time, to the microsecond, so
  // runs triggered in the same millisecond (by tasks running side by side) differ.
  const runId = req.run_id ?? (logical ? generateRunId('manual', logical) : `manual__${preciseNow().iso.replace('Z', '+00:00')}`);
  const run = await db.transaction(async (trx) => {
    const created = await createDagRun(trx, spec, {
      dag_id: req.dag_id, run_id: runId, run_type: 'manual', logical_date: logical,
      data_interval_start: req.data_interval?.start ?? info?.data_interval.start ?? null,
      data_interval_end: req.data_interval?.end ?? info?.data_interval.end ?? null,
      run_after: req.run_after ?? now, conf: conf as Record<string, unknown>, dag_version_id: versionId,
      triggered_by: req.triggered_by ?? 'cli',
    });
    if (created && req.note) {
      await trx.raw('update dag_run set note = ? where id = ?', [req.note, created.id]);
    }
    if (created) await notifyScheduler(trx);
    return created;
  });
  if (!run) {
    throw new ConflictError(`a run of DAG "${req.dag_id}" with run id "${runId}"${logical ? ` or logical date ${logical.toISOString()}` : ''} already exists`);
  }
  return run;
}
