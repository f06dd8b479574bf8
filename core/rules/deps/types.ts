/**
 * Shared shapes for task-instance dependency rules (Airflow's ti_deps idea): every rule
 * is a pure function of a snapshot of what the scheduler knows, returning pass/fail
 * with a human reason, so "why is this task not running?" is answered by the same
 * code that decides scheduling. Gathering the snapshot (DB reads) is the caller's job.
 */
import type { DagRunState, TaskStateOrNone, TriggerRule } from '../../model/states.ts';
import type { UpstreamCounts } from '../trigger-rules.ts';

export interface TiDepContext {
  now: Date;
  ti: { state: TaskStateOrNone; try_number: number; max_tries: number; next_retry_at: Date | null; reschedule_at: Date | null };
  task: {
    trigger_rule: TriggerRule; depends_on_past: boolean; pool: string; pool_slots: number;
    wait_for_downstream?: boolean; downstream?: readonly string[];
  };
  run: { state: DagRunState };
  dag: { is_paused: boolean; active_tasks: number; max_active_tasks: number; active_tis_of_task?: number; max_active_tis_per_dag?: number | null };
  upstream: UpstreamCounts;
  /** state of this task in the previous run of the DAG (by logical date); 'no_previous_run' when there is none */
  previous: TaskStateOrNone | 'no_previous_run';
  /** wait_for_downstream: the states of the task's direct downstream tasks in that previous run */
  previous_downstream?: ReadonlyMap<string, TaskStateOrNone | 'no_previous_run'>;
  pool: { exists: boolean; open_slots: number };
}

/** `name` uses Airflow's dep NAME so the REST API's /dependencies answer reads the same. */
export interface DepStatus {
  name: string;
  passed: boolean;
  reason: string;
}

export type Dep = (ctx: TiDepContext) => DepStatus;

export function pass(name: string, reason: string): DepStatus {
  return { name, passed: true, reason };
}

export function fail(name: string, reason: string): DepStatus {
  return { name, passed: false, reason };
}

/** Prints a state the way Airflow's UI does: null is "none". */
export function stateName(s: TaskStateOrNone): string {
  return s ?? 'none';
}
