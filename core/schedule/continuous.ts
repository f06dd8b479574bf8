/**
 * "@continuous" (Airflow's ContinuousTimetable): a new run as soon as the previous
 * one is created; each run covers the time since the previous one ended.
 *
 * First run: [start_date, max(start_date, now)] as in Airflow (so a past start_date
 * yields one run covering everything since it; a future one waits until it).
 * Later runs: [last.end, max(last.end, now)]. Airflow has an odd branch for
 * last.end > now (clock skew); max() covers it by waiting until last.end.
 * Like Airflow, stop once the interval would end after end_date.
 */
import type { RunInfo } from './types.ts';
import { intervalRun } from './util.ts';

export function nextContinuousRun(opts: {
  start: number | null;
  end_date: number | null;
  last_end: number | null;
  now: number;
}): RunInfo | null {
  const start = opts.last_end ?? opts.start ?? opts.now;
  const end = Math.max(start, opts.now);
  if (opts.end_date !== null && end > opts.end_date) return null;
  return intervalRun(start, end);
}
