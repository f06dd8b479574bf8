/**
 * What ExternalTaskSensor reads: the states of another DAG's runs (or of some of their
 * task instances) at given logical dates, and the verdict on them. The query is one
 * statement on the metadata database; the verdict is a pure function.
 */
import type pg from 'pg';

export interface ExternalTarget {
  dagId: string;
  /** null: the whole run (dag_run states), otherwise these tasks' instances. */
  taskIds: string[] | null;
  logicalDates: Date[];
}

/** One run (task_id null) or one task instance (each map index is a row). */
export interface ExternalState { task_id: string | null; logical_date: Date; state: string | null }

/**
 * Runs are matched to the millisecond: a JavaScript Date holds no microseconds, while a
 * stored logical date may (the unique (dag_id, logical_date) index still narrows by dag_id).
 */
export async function readExternalStates(client: pg.Client, t: ExternalTarget): Promise<ExternalState[]> {
  const dates = t.logicalDates.map((d) => d.toISOString());
  if (t.taskIds === null) {
    const res = await client.query<ExternalState>(`select null as task_id, date_trunc('milliseconds', logical_date) as logical_date, state from dag_run
      where dag_id = $1 and date_trunc('milliseconds', logical_date) = any($2::timestamptz[])`, [t.dagId, dates]);
    return res.rows;
  }
  const res = await client.query<ExternalState>(`select ti.task_id, date_trunc('milliseconds', r.logical_date) as logical_date, ti.state
    from task_instance ti join dag_run r on r.id = ti.dag_run_id
    where r.dag_id = $1 and date_trunc('milliseconds', r.logical_date) = any($2::timestamptz[]) and ti.task_id = any($3::text[])`,
  [t.dagId, dates, t.taskIds]);
  return res.rows;
}

/** Whether the external DAG (and tasks, in its latest version) exist: Airflow's check_existence. */
export async function missingExternal(client: pg.Client, dagId: string, taskIds: string[] | null): Promise<string | null> {
  const res = await client.query<{ serialized: { tasks?: Array<{ task_id: string }> } | null }>(`select v.serialized
    from dag d left join dag_version v on v.id = d.latest_version_id where d.dag_id = $1`, [dagId]);
  const row = res.rows[0];
  if (!row) return `The external DAG "${dagId}" does not exist.`;
  const known = new Set((row.serialized?.tasks ?? []).map((x) => x.task_id));
  const missing = (taskIds ?? []).filter((id) => !known.has(id));
  return missing.length ? `The external task(s) ${missing.map((m) => `"${m}"`).join(', ')} in DAG "${dagId}" do not exist.` : null;
}

export type ExternalVerdict =
  | { kind: 'done' }
  | { kind: 'waiting'; reason: string }
  | { kind: 'failed' | 'skipped'; message: string };

export interface StateCriteria { allowed: string[]; failed: string[]; skipped: string[] }

/**
 * Any instance (or run) in a failed state fails the sensor, then any in a skipped state
 * skips it; it is done when every expected (task, logical date) pair exists and all its
 * instances (map indexes included) are in an allowed state.
 */
export function judgeExternal(t: ExternalTarget, found: ExternalState[], c: StateCriteria): ExternalVerdict {
  const what = t.taskIds === null ? `DAG "${t.dagId}"` : `task(s) ${t.taskIds.join(', ')} of DAG "${t.dagId}"`;
  const inState = (states: string[]) => found.filter((f) => f.state !== null && states.includes(f.state));
  const describe = (rows: ExternalState[]) => rows.map((r) => `${r.task_id ? `${r.task_id} ` : ''}at ${r.logical_date.toISOString()}: ${r.state}`).join('; ');
  const failed = inState(c.failed);
  if (failed.length) return { kind: 'failed', message: `external ${what} ended in a failed state (${describe(failed)})` };
  const skipped = inState(c.skipped);
  if (skipped.length) return { kind: 'skipped', message: `external ${what} ended in a skipped state (${describe(skipped)})` };
  const dates = t.logicalDates.map((d) => d.getTime());
  const keys = (t.taskIds ?? [null]).flatMap((id) => dates.map((d) => `${id}@${d}`));
  const keyOf = (r: ExternalState) => `${r.task_id}@${r.logical_date.getTime()}`;
  const notReady = keys.filter((k) => {
    const rows = found.filter((r) => keyOf(r) === k);
    return rows.length === 0 || rows.some((r) => r.state === null || !c.allowed.includes(r.state));
  });
  if (notReady.length === 0) return { kind: 'done' };
  return { kind: 'waiting', reason: `${notReady.length} of ${keys.length} not yet in ${c.allowed.join('/')}` };
}
