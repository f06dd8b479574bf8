/**
 * Data interval of a manually triggered run (Airflow's infer_manual_data_interval,
 * with the run's logical date as run_after):
 * - cron: the last COMPLETE interval at the logical date: end = latest tick <= logical
 *   date, start = the tick before (Airflow: "a manual run at 1am 25th covers 0am 24th
 *   to 0am 25th"). A logical date exactly on a tick therefore gets the interval that
 *   ENDS there, not the one that starts there.
 * - interval: [logical_date - interval, logical_date].
 * - none/once/continuous: [logical_date, logical_date].
 * run_after = logical_date: a past or present logical date is due at once, a future
 * one waits for it. logical_date is kept as given (it need not equal the interval start).
 */
import type { RunInfo, ScheduleSpec } from './types.ts';
import { tickerFor, toEpoch } from './util.ts';

export function manualRunInfo(spec: ScheduleSpec, logical_date: Date): RunInfo {
  const at = toEpoch(logical_date, 'logical_date');
  const ticker = tickerFor(spec);
  let start = at;
  let end = at;
  if (ticker !== null) {
    end = ticker.alignPrev(at);
    start = ticker.prev(end);
  }
  return {
    logical_date: new Date(at),
    data_interval: { start: new Date(start), end: new Date(end) },
    run_after: new Date(at),
  };
}
