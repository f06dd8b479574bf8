/**
 * Fixed-interval schedules (Airflow's DeltaDataIntervalTimetable with a timedelta).
 *
 * Intervals are absolute elapsed time, not wall-clock: {days: 1} is always 24 h,
 * as in Airflow once runs are stored in UTC. The spec's timezone is kept for
 * display/consistency only. Calendar units (months, years) have no fixed length,
 * so they are rejected in favour of cron presets like @monthly.
 */
import { Duration } from 'luxon';
import { toMs, type DurationInput } from '../time/duration.ts';
import type { Ticker } from './ticker.ts';

/** Interval length in ms from seconds, an ISO-8601 duration, or a {days,hours,...} object. */
export function parseInterval(input: DurationInput, what: string): number {
  if (typeof input === 'string') {
    const iso = input.trim().toUpperCase();
    const d = Duration.fromISO(iso);
    if (!d.isValid) throw new Error(`${what}: not a valid ISO-8601 duration (e.g. "PT1H", "P1D")`);
    if (d.years !== 0 || d.quarters !== 0 || d.months !== 0) {
      throw new Error(`${what}: months and years have no fixed length; use a cron preset such as @monthly or @yearly`);
    }
    input = iso;
  }
  const ms = Math.round(toMs(input, what));
  if (!(ms > 0)) throw new Error(`${what}: an interval must be longer than zero`);
  return ms;
}

/**
 * Ticks every `ms` milliseconds. Airflow does not align timedelta schedules
 * (align = identity; runs chain from the previous interval's end). An `anchor`
 * makes ticks `anchor + k*ms`; backfill uses start_date as anchor so backfilled
 * runs coincide with the runs catchup would have created.
 */
export class IntervalTicker implements Ticker {
  constructor(
    private readonly ms: number,
    private readonly anchor: number | null = null,
  ) {}

  next(t: number): number {
    return this.anchor === null ? t + this.ms : this.alignPrev(t) + this.ms;
  }

  prev(t: number): number {
    return this.anchor === null ? t - this.ms : this.alignNext(t) - this.ms;
  }

  alignNext(t: number): number {
    if (this.anchor === null) return t;
    return this.anchor + Math.ceil((t - this.anchor) / this.ms) * this.ms;
  }

  alignPrev(t: number): number {
    if (this.anchor === null) return t;
    return this.anchor + Math.floor((t - this.anchor) / this.ms) * this.ms;
  }

  /**
   * Airflow 2 DeltaDataIntervalTimetable._skip_to_latest: round `now` down to a
   * multiple of the interval since the Unix epoch, then step back one interval.
   */
  latestCompleteStart(now: number): number {
    const base = this.anchor ?? 0;
    return base + Math.floor((now - base) / this.ms) * this.ms - this.ms;
  }
}
