/** nextRunInfo: which run the scheduler should create next for a DAG. */
import { nextContinuousRun } from './continuous.ts';
import { nextOnceRun } from './once.ts';
import { nextDataInterval } from './ticker.ts';
import type { NextRunOptions, RunInfo, ScheduleSpec } from './types.ts';
import { intervalRun, tickerFor, toEpoch, toEpochOrNull } from './util.ts';

/**
 * The next run the scheduler should create, or null if none ever. It may lie in
 * the future: the caller creates it only when run_after <= now.
 * Cron/interval runs cover a data interval [start, end]; logical_date = start and
 * run_after = end. A DAG without start_date schedules from `now`: its first run is
 * the latest interval complete at `now` (see ticker.ts), "@once" runs at `now`.
 */
export function nextRunInfo(spec: ScheduleSpec, opts: NextRunOptions): RunInfo | null {
  const now = toEpoch(opts.now, 'now');
  const start = toEpochOrNull(opts.start_date, 'start_date');
  const end_date = toEpochOrNull(opts.end_date, 'end_date');
  const last = opts.last_automated
    ? {
        start: toEpoch(opts.last_automated.start, 'last_automated.start'),
        end: toEpoch(opts.last_automated.end, 'last_automated.end'),
      }
    : null;

  switch (spec.kind) {
    case 'none':
    case 'assets': // asset-triggered runs come from asset events (scheduler/create-asset-runs.ts)
      return null;
    case 'once':
      return nextOnceRun({ start, end_date, has_run: last !== null, now });
    case 'continuous':
      return nextContinuousRun({ start, end_date, last_end: last?.end ?? null, now });
    case 'cron':
    case 'interval': {
      const ticker = tickerFor(spec);
      if (ticker === null) return null;
      const interval = nextDataInterval(ticker, { earliest: start, latest: end_date, catchup: opts.catchup, last, now });
      return interval === null ? null : intervalRun(interval.start, interval.end);
    }
  }
}
