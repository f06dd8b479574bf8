/**
 * Write one file's parse result to the database in one transaction: the DAG rows, a
 * new version when the serialized DAG changed, next-run info, and the file's import
 * error (set or cleared). On an import error the DAGs keep their last good version, so
 * runs in flight continue; a DAG the file no longer defines becomes inactive, history kept.
 */
import fs from 'node:fs';
import type { Db } from '../core/db/connect.ts';
import { hashDagSpec } from '../core/dag/serialize.ts';
import type { DagSpec } from '../core/dag/spec.ts';
import { describeSchedule } from '../core/schedule/index.ts';
import { refreshNextDagrun } from '../core/transitions/next-dagrun.ts';
import { rows } from '../core/transitions/sql.ts';
import { SCHEDULER_CHANNEL } from '../core/transitions/notify.ts';
import type { ParseMessage } from './parse-child.ts';

export interface SyncOptions { pausedAtCreation: boolean; now: Date }

export async function syncFile(db: Db, file: string, result: ParseMessage, opts: SyncOptions): Promise<string | null> {
  return db.transaction(async (trx) => {
    let error = result.ok ? null : result.error;
    if (result.ok) {
      // Two files defining the same dag_id may be parsed at once: take the DAG ids'
      // locks (sorted) so the second file's check sees the first file's commit.
      await trx.raw(`select pg_advisory_xact_lock(k) from (select distinct hashtextextended('updraft.dag-owner:' || x, 0) as k
        from unnest(?::text[]) x) s order by k`, [result.dags.map((d) => d.dag_id)]);
      const clash = await rows<{ dag_id: string; fileloc: string }>(trx,
        'select dag_id, fileloc from dag where dag_id = any(?) and fileloc <> ? and is_active',
        [result.dags.map((d) => d.dag_id), file]);
      if (clash[0]) error = `DAG "${clash[0].dag_id}" is already defined in ${clash[0].fileloc}`;
    }
    if (error !== null || !result.ok) {
      await trx.raw(`insert into import_error (filename, error, timestamp) values (?, ?, ?)
        on conflict (filename) do update set error = excluded.error, timestamp = excluded.timestamp`,
      [file, error, opts.now]);
      return error;
    }
    await trx.raw('delete from import_error where filename = ?', [file]);
    const source = readSource(file);
    for (const spec of result.dags) await upsertDag(trx, spec, source, opts);
    await trx.raw(`update dag set is_active = false where fileloc = ? and is_active and not (dag_id = any(?))`,
      [file, result.dags.map((d) => d.dag_id)]);
    await trx.raw(`notify ${SCHEDULER_CHANNEL}`);
    return null;
  });
}

async function upsertDag(trx: Db, spec: DagSpec, source: string | null, opts: SyncOptions): Promise<void> {
  await trx.raw(`
    insert into dag (dag_id, fileloc, is_paused, is_active, description, tags, owners, timetable,
      timetable_description, max_active_runs, max_active_tasks, last_parsed_at)
    values (?, ?, ?, true, ?, ?, ?, ?, ?, ?, ?, ?)
    on conflict (dag_id) do update set fileloc = excluded.fileloc, is_active = true,
      description = excluded.description, tags = excluded.tags, owners = excluded.owners,
      timetable = excluded.timetable, timetable_description = excluded.timetable_description,
      max_active_runs = excluded.max_active_runs, max_active_tasks = excluded.max_active_tasks,
      last_parsed_at = excluded.last_parsed_at`,
  [spec.dag_id, spec.fileloc, opts.pausedAtCreation, spec.description, JSON.stringify(spec.tags), spec.owners,
    JSON.stringify(spec.schedule), describeSchedule(spec.schedule), spec.max_active_runs, spec.max_active_tasks, opts.now]);
  const hash = hashDagSpec(spec, source);
  const [existing] = await rows<{ id: number }>(trx, 'select id from dag_version where dag_id = ? and hash = ?', [spec.dag_id, hash]);
  const versionId = existing?.id ?? (await rows<{ id: number }>(trx, `
    insert into dag_version (dag_id, version_number, hash, serialized, fileloc, source_code)
    select ?, coalesce(max(version_number), 0) + 1, ?, ?, ?, ? from dag_version where dag_id = ?
    returning id`, [spec.dag_id, hash, JSON.stringify(spec), spec.fileloc, source, spec.dag_id]))[0]!.id;
  await trx.raw('update dag set latest_version_id = ? where dag_id = ?', [versionId, spec.dag_id]);
  await refreshNextDagrun(trx, spec, opts.now);
}

/** A file removed from the folder: its DAGs become inactive, their history stays. */
export async function forgetFile(db: Db, file: string): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('update dag set is_active = false where fileloc = ?', [file]);
    await trx.raw('delete from import_error where filename = ?', [file]);
  });
}

function readSource(file: string): string | null {
  try { return fs.readFileSync(file, 'utf8'); } catch { return null; }
}
