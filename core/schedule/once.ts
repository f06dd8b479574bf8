/**
 * "@once" (Airflow's OnceTimetable): a single run at start_date whatever catchup
 * says, with the zero-length interval [start_date, start_date].
 * Without a start_date Airflow never runs it; we run it at `now` instead, to
 * match the "no start_date schedules from now" rule used for all schedules.
 */
import type { RunInfo } from './types.ts';
import { intervalRun } from './util.ts';

export function nextOnceRun(opts: {
  start: number | null;
  end_date: number | null;
  has_run: boolean;
  now: number;
}): RunInfo | null {
  if (opts.has_run) return null;
  const at = opts.start ?? opts.now;
  if (opts.end_date !== null && at > opts.end_date) return null;
  return intervalRun(at, at);
}
