/**
 * Which task instances a clear touches, as Airflow selects them (`airflow tasks clear`,
 * REST `clearTaskInstances`): tasks are matched by id or regex, widened to their
 * upstream and/or downstream relatives (DAG.partial_subset), and only then filtered by
 * state (only_failed / only_running), so `-d --only-failed` also picks up failed tasks
 * below the matched ones. Read-only: a dry run is this function alone.
 *
 * The task graph comes from each run's own dag_version, not the latest DAG: the task
 * instances of an old run are those of the version it was created with.
 */
import type { Knex } from 'knex';
import type { Db } from '../db/connect.ts';
import type { TaskSpec } from '../dag/spec.ts';
import { UserInputError } from '../errors.ts';
import { loadSpec } from './spec-cache.ts';
import { rows } from './sql.ts';

export interface ClearFilter {
  dag_id: string;
  /** Tasks whose id matches (searched anywhere in the id, like Python's re.findall). */
  task_regex?: string;
  /** Tasks with exactly these ids (the REST API's task_ids). */
  task_ids?: readonly string[];
  /** Runs with a logical date at or after / at or before these. */
  start_date?: Date;
  end_date?: Date;
  /** Only these runs (dag_run.id). */
  run_ids?: readonly number[];
  /** Only this run (dag_run.run_id). */
  run_id?: string;
  include_upstream?: boolean;
  include_downstream?: boolean;
  /** Only failed and upstream_failed instances. */
  only_failed?: boolean;
  /** Only running instances (with only_failed too, nothing matches: both must hold, as in Airflow). */
  only_running?: boolean;
}

export interface ClearTarget {
  id: number;
  dag_run_id: number;
  run_id: string;
  task_id: string;
  map_index: number;
  state: string | null;
  logical_date: Date | null;
}

type GraphTask = Pick<TaskSpec, 'task_id' | 'upstream' | 'downstream'>;

/**
 * The ids of `seeds` plus, transitively, their upstream and/or downstream tasks. Upstream
 * of a downstream task is not added (Airflow's partial_subset works the same way).
 */
export function withRelatives(tasks: readonly GraphTask[], seeds: Iterable<string>, upstream: boolean, downstream: boolean): Set<string> {
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  const result = new Set(seeds);
  const walk = (dir: 'upstream' | 'downstream') => {
    const frontier = [...result].filter((id) => byId.has(id));
    const seen = new Set<string>(frontier);
    while (frontier.length) {
      for (const next of byId.get(frontier.pop()!)?.[dir] ?? []) {
        if (!seen.has(next)) { seen.add(next); frontier.push(next); }
      }
    }
    return seen;
  };
  // Both walks start from the seeds only, so compute them before merging either.
  const up = upstream ? walk('upstream') : new Set<string>();
  const down = downstream ? walk('downstream') : new Set<string>();
  for (const id of [...up, ...down]) result.add(id);
  return result;
}

/** The task ids of one DAG version that a filter selects (before state filters). */
export function selectTaskIds(tasks: readonly GraphTask[], f: Pick<ClearFilter, 'task_regex' | 'task_ids' | 'include_upstream' | 'include_downstream'>): Set<string> {
  const re = compileTaskRegex(f.task_regex);
  const wanted = f.task_ids ? new Set(f.task_ids) : null;
  const seeds = tasks.filter((t) => (!re || re.test(t.task_id)) && (!wanted || wanted.has(t.task_id))).map((t) => t.task_id);
  return withRelatives(tasks, seeds, f.include_upstream ?? false, f.include_downstream ?? false);
}

function compileTaskRegex(source: string | undefined): RegExp | null {
  if (source === undefined || source === '') return null;
  try { return new RegExp(source); } catch { throw new UserInputError(`task regex is not a valid regular expression: ${source}`); }
}

/**
 * Every task instance the filter selects, in run (logical date) then task order. All
 * map indexes of a selected mapped task are included (each still subject to the state
 * filters), so a mapped task is cleared as a whole.
 */
export async function findClearTargets(db: Db | Knex.Transaction, f: ClearFilter): Promise<ClearTarget[]> {
  compileTaskRegex(f.task_regex); // fail on a bad regex even when no run matches
  const runs = await rows<{ id: number; dag_version_id: number }>(db, `
    select r.id, r.dag_version_id from dag_run r
    where r.dag_id = ?
      and (?::timestamptz is null or r.logical_date >= ?::timestamptz)
      and (?::timestamptz is null or r.logical_date <= ?::timestamptz)
      and (?::bigint[] is null or r.id = any(?::bigint[]))
      and (?::text is null or r.run_id = ?::text)`,
  [f.dag_id, f.start_date ?? null, f.start_date ?? null, f.end_date ?? null, f.end_date ?? null,
    f.run_ids ?? null, f.run_ids ?? null, f.run_id ?? null, f.run_id ?? null]);
  if (runs.length === 0) return [];

  const selectedByVersion = new Map<number, Set<string>>();
  for (const v of new Set(runs.map((r) => r.dag_version_id))) {
    selectedByVersion.set(v, selectTaskIds((await loadSpec(db, v)).tasks, f));
  }
  const allSelected = [...new Set([...selectedByVersion.values()].flatMap((s) => [...s]))];
  if (allSelected.length === 0) return [];

  const tis = await rows<ClearTarget & { dag_version_id: number }>(db, `
    select ti.id, ti.dag_run_id, ti.run_id, ti.task_id, ti.map_index, ti.state, r.logical_date, r.dag_version_id
    from task_instance ti join dag_run r on r.id = ti.dag_run_id
    where r.id = any(?::bigint[]) and ti.task_id = any(?::text[])
      and (not ?::boolean or ti.state in ('failed', 'upstream_failed'))
      and (not ?::boolean or ti.state = 'running')
    order by r.logical_date nulls last, r.id, ti.task_id, ti.map_index`,
  [runs.map((r) => r.id), allSelected, f.only_failed ?? false, f.only_running ?? false]);
  // A task selected in one version must not be cleared in a run of another version where it is not.
  return tis.filter((t) => selectedByVersion.get(t.dag_version_id)!.has(t.task_id))
    .map(({ dag_version_id: _v, ...t }) => t);
}
