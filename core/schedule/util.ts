/** Small shared helpers: Date <-> epoch ms at the API edge, and spec -> ticker. */
import { CronTicker } from './cron.ts';
import { IntervalTicker } from './interval.ts';
import type { Ticker } from './ticker.ts';
import type { RunInfo, ScheduleSpec } from './types.ts';

/** Epoch ms of a Date, rejecting Invalid Date early (NaN would silently poison comparisons). */
export function toEpoch(date: Date, name: string): number {
  const t = date instanceof Date ? date.getTime() : NaN;
  if (Number.isNaN(t)) throw new Error(`${name}: expected a valid Date, got ${String(date)}`);
  return t;
}

export function toEpochOrNull(date: Date | null, name: string): number | null {
  return date === null || date === undefined ? null : toEpoch(date, name);
}

/** A scheduled run: logical date = interval start, created once the interval has ended. */
export function intervalRun(start: number, end: number): RunInfo {
  return {
    logical_date: new Date(start),
    data_interval: { start: new Date(start), end: new Date(end) },
    run_after: new Date(end),
  };
}

/** Ticker for periodic specs, or null for none/once/continuous. */
export function tickerFor(spec: ScheduleSpec, anchor: number | null = null): Ticker | null {
  if (spec.kind === 'cron') return new CronTicker(spec.expression, spec.timezone);
  if (spec.kind === 'interval') return new IntervalTicker(spec.interval_ms, anchor);
  return null;
}
