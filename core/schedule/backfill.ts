/**
 * Backfill: every scheduled run whose logical date (= interval start) lies in
 * [from, to], both inclusive, clipped to [start_date, end_date], oldest first.
 * Same walk as Airflow's iter_dagrun_infos_between (first aligned tick at/after
 * the lower bound, then interval by interval). Fixed intervals are aligned to
 * start_date when there is one, so backfilled runs coincide with the runs
 * catchup would have created; without start_date they start exactly at `from`.
 */
import type { RunInfo, ScheduleSpec } from './types.ts';
import { intervalRun, tickerFor, toEpoch, toEpochOrNull } from './util.ts';

export const BACKFILL_MAX_RUNS = 10_000;

export function backfillRunInfos(
  spec: ScheduleSpec,
  range: { from: Date; to: Date; start_date: Date | null; end_date: Date | null },
): RunInfo[] {
  const from = toEpoch(range.from, 'backfill from');
  const to = toEpoch(range.to, 'backfill to');
  const startDate = toEpochOrNull(range.start_date, 'start_date');
  const endDate = toEpochOrNull(range.end_date, 'end_date');
  if (from > to) {
    throw new Error(`backfill range is reversed: from ${range.from.toISOString()} is after to ${range.to.toISOString()}`);
  }
  const ticker = tickerFor(spec, startDate);
  if (ticker === null) throw new Error('backfill needs a cron or interval schedule');

  const lower = startDate === null ? from : Math.max(from, startDate);
  const upper = endDate === null ? to : Math.min(to, endDate);
  const runs: RunInfo[] = [];
  // Ticks are consistent (alignPrev(end) === end), so each interval starts where the last ended.
  for (let start = ticker.alignNext(lower); start <= upper; ) {
    if (runs.length === BACKFILL_MAX_RUNS) {
      throw new Error(
        `backfill would create more than ${BACKFILL_MAX_RUNS} runs (from ${range.from.toISOString()} ` +
          `to ${range.to.toISOString()}); split it into smaller date ranges`,
      );
    }
    const end = ticker.next(start);
    runs.push(intervalRun(start, end));
    start = end;
  }
  return runs;
}
