/**
 * The data-interval algorithm shared by cron and fixed-interval schedules,
 * following Airflow's _DataIntervalTimetable.next_dagrun_info (Airflow 2
 * default: with catchup off, skip to the latest *complete* interval).
 *
 * All times are epoch ms; Dates only appear at the public API edge.
 */

/** Tick arithmetic of a periodic schedule. Each data interval is [tick, next tick]. */
export interface Ticker {
  /** First tick strictly after t. */
  next(t: number): number;
  /** Last tick strictly before t. */
  prev(t: number): number;
  /** t itself if it is a tick, else the next tick. */
  alignNext(t: number): number;
  /** t itself if it is a tick, else the previous tick. */
  alignPrev(t: number): number;
  /** Start of the latest interval that has fully ended at `now` (catchup=false). */
  latestCompleteStart(now: number): number;
}

export interface IntervalRestriction {
  earliest: number | null; // start_date
  latest: number | null; // end_date
  catchup: boolean;
  last: { start: number; end: number } | null; // last automated data interval
  now: number;
}

/** Next data interval [start, end], or null once past end_date. */
export function nextDataInterval(ticker: Ticker, r: IntervalRestriction): { start: number; end: number } | null {
  let earliest: number | null;
  // No start_date: Airflow would return nothing (catchup) or the latest complete
  // interval. We always use the latest complete interval as of `now` for the first
  // run, i.e. "schedule from now" without back-filling history. (Starting at the next
  // tick after `now` instead would never become due: `now` moves with every call.)
  if (!r.catchup || (r.earliest === null && r.last === null)) {
    const skipped = ticker.latestCompleteStart(r.now);
    earliest = r.earliest === null ? skipped : Math.max(skipped, ticker.alignNext(r.earliest));
  } else {
    earliest = r.earliest === null ? null : ticker.alignNext(r.earliest);
  }

  let start: number;
  if (r.last === null) {
    if (earliest === null) return null; // unreachable given the branch above; kept for clarity
    start = earliest;
  } else {
    // Re-align: the schedule may have changed since the last run was created.
    const fromLast = ticker.alignPrev(r.last.end);
    start = earliest === null ? fromLast : Math.max(fromLast, earliest);
  }
  if (r.latest !== null && start > r.latest) return null;
  return { start, end: ticker.next(start) };
}
