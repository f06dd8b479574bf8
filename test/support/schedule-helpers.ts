/** Shared helpers for the schedule unit tests (pure). */
import { nextRunInfo, type DataInterval, type NextRunOptions, type RunInfo, type ScheduleSpec } from '../../core/schedule/index.ts';

export const d = (iso: string): Date => new Date(iso);
export const H = 3_600_000;

export const opts = (o: Partial<NextRunOptions> & { now: Date }): NextRunOptions => ({
  start_date: null,
  end_date: null,
  catchup: false,
  last_automated: null,
  ...o,
});

/** Compact view of a run for deep-equal assertions. */
export const view = (r: RunInfo | null) =>
  r && {
    logical: r.logical_date.toISOString(),
    start: r.data_interval.start.toISOString(),
    end: r.data_interval.end.toISOString(),
    after: r.run_after.toISOString(),
  };

/** Scheduled run (logical = start, run_after = end) as `view` prints it. */
export const run = (start: string, end: string) => ({
  logical: d(start).toISOString(),
  start: d(start).toISOString(),
  end: d(end).toISOString(),
  after: d(end).toISOString(),
});

/** Follow the scheduler: create `count` runs in a row, each one as last_automated for the next. */
export function chain(spec: ScheduleSpec, base: NextRunOptions, count: number): RunInfo[] {
  const runs: RunInfo[] = [];
  let last: DataInterval | null = base.last_automated;
  for (let i = 0; i < count; i++) {
    const next = nextRunInfo(spec, { ...base, last_automated: last });
    if (!next) break;
    runs.push(next);
    last = next.data_interval;
  }
  return runs;
}

export const lengthsH = (runs: RunInfo[]) =>
  runs.map((r) => (r.data_interval.end.getTime() - r.data_interval.start.getTime()) / H);

/** Local wall-clock "HH:mm" of an instant in Amsterdam. */
export const amsTime = (t: Date) =>
  t.toLocaleTimeString('en-GB', { timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit', hour12: false });

