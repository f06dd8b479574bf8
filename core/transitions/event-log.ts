/**
 * The audit trail (Airflow's event log): one row per change made through the API, the
 * UI or the CLI, naming who did what to which DAG, run or task. Writing it never fails
 * the change it records: a lost audit row is logged by the caller, not raised.
 */
import type { Executor } from './sql.ts';

export interface AuditEvent {
  /** What happened, in Airflow's style: "trigger_dag_run", "patch_dag", "clear", "cli_dags_pause", ... */
  event: string;
  /** Who: a username, or "cli:<os user>" for the command line. */
  owner: string | null;
  dag_id?: string | null;
  task_id?: string | null;
  run_id?: string | null;
  map_index?: number | null;
  try_number?: number | null;
  logical_date?: Date | null;
  /** Details (the request's parameters, never secrets), as JSON text. */
  extra?: unknown;
}

export async function recordEvent(db: Executor, e: AuditEvent): Promise<void> {
  await db('event_log').insert({
    event: e.event, owner: e.owner, dag_id: e.dag_id ?? null, task_id: e.task_id ?? null, run_id: e.run_id ?? null,
    map_index: e.map_index ?? null, try_number: e.try_number ?? null, logical_date: e.logical_date ?? null,
    extra: e.extra === undefined ? null : typeof e.extra === 'string' ? e.extra : JSON.stringify(e.extra),
  });
}
