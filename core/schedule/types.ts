/**
 * Public schedule types. A ScheduleSpec is what a DAG's `schedule` compiles to;
 * it is plain JSON so it can live in the serialized DAG and be re-read by any
 * scheduler without re-parsing the user's text.
 */

/** Compiled, JSON-serializable schedule (stored in the serialized DAG). */
export type ScheduleSpec =
  | { kind: 'none' } // null / undefined / "None": manual only
  | { kind: 'once' } // "@once"
  | { kind: 'continuous' } // "@continuous"
  | { kind: 'cron'; expression: string; timezone: string } // 5-field cron (presets resolved)
  | { kind: 'interval'; interval_ms: number; timezone: string } // fixed interval
  | { kind: 'assets'; uris: string[] }; // [Asset, ...]: when all were updated (no time-based runs)

export interface DataInterval {
  start: Date;
  end: Date;
}

export interface RunInfo {
  logical_date: Date;
  data_interval: DataInterval;
  run_after: Date;
}

export interface NextRunOptions {
  /** DAG start_date */
  start_date: Date | null;
  /** DAG end_date (no interval starting after it) */
  end_date: Date | null;
  catchup: boolean;
  /** data interval of the latest run created by the schedule (not manual), or null if none yet */
  last_automated: DataInterval | null;
  now: Date;
}
