/**
 * Time-zone aware cron ticks, with Airflow's DST semantics (airflow/timetables/_cron.py):
 *
 * - Schedules whose hour field is `*` (run at least hourly, e.g. "0 * * * *") tick
 *   on every real instant whose local wall clock matches: the repeated fall-back
 *   hour runs twice, the skipped spring-forward hour not at all. So consecutive
 *   hourly intervals are always 1 h long, none duplicated, none missing.
 * - Other schedules tick once per matching wall-clock time: a time in the fold takes
 *   the later occurrence, a time in the gap is shifted forward (02:30 -> 03:30).
 *
 * cron-parser's own `tz` option resolves folds to the *earlier* occurrence, so we run
 * cron-parser in UTC over a "wall-clock timeline" and map wall times to instants
 * ourselves (see timezone.ts). Unlike Airflow's delta trick, next()/prev() search the
 * tick set directly, so they stay strictly monotonic even around transitions.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import type { Ticker } from './ticker.ts';
import { Zone } from './timezone.ts';

/** Larger than any DST shift (usually 1 h, at most 2 h historically). */
const SLACK = 3 * 3_600_000;
/** Safety net against a runaway search; real searches take a handful of steps. */
const MAX_STEPS = 100_000;

export class CronTicker implements Ticker {
  private readonly cron: CronExpression;
  private readonly zone: Zone;
  private readonly everyHour: boolean;

  constructor(expression: string, timezone: string) {
    this.cron = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(0) });
    this.zone = new Zone(timezone);
    // Airflow's _covers_every_hour: croniter normalizes a full hour range to "*".
    this.everyHour = this.cron.fields.hour.values.length === 24;
  }

  /** Instants that a naive (wall-clock) tick stands for. */
  private instants(wall: number): number[] {
    return this.everyHour ? this.zone.instantsAt(wall) : [this.zone.resolveLater(wall)];
  }

  private steady(a: number, b: number): boolean {
    return this.zone.steadyAround(a, SLACK) && this.zone.steadyAround(b, SLACK);
  }

  next(t: number): number {
    // Fast path: no transition near t nor near the candidate, so wall order = instant order.
    this.cron.reset(new Date(this.zone.wall(t)));
    const first = this.instants(this.cron.next().getTime())[0];
    if (first !== undefined && first > t && this.steady(t, first)) return first;

    // Slow path: scan wall ticks from SLACK before t's wall time, keep the smallest
    // instant > t; stop once wall ticks are SLACK past the best one (nothing later can win).
    this.cron.reset(new Date(this.zone.wall(t) - SLACK - 1));
    let best: number | undefined;
    for (let i = 0; i < MAX_STEPS; i++) {
      const wall = this.cron.next().getTime();
      if (best !== undefined && wall > this.zone.wall(best) + SLACK) return best;
      for (const instant of this.instants(wall)) {
        if (instant > t && (best === undefined || instant < best)) best = instant;
      }
    }
    throw new Error(`cron search did not converge after ${new Date(t).toISOString()}`);
  }

  prev(t: number): number {
    this.cron.reset(new Date(this.zone.wall(t)));
    const cands = this.instants(this.cron.prev().getTime());
    const last = cands[cands.length - 1];
    if (last !== undefined && last < t && this.steady(t, last)) return last;

    this.cron.reset(new Date(this.zone.wall(t) + SLACK + 1));
    let best: number | undefined;
    for (let i = 0; i < MAX_STEPS; i++) {
      const wall = this.cron.prev().getTime();
      if (best !== undefined && wall < this.zone.wall(best) - SLACK) return best;
      for (const instant of this.instants(wall)) {
        if (instant < t && (best === undefined || instant > best)) best = instant;
      }
    }
    throw new Error(`cron search did not converge before ${new Date(t).toISOString()}`);
  }

  alignNext(t: number): number {
    const next = this.next(t);
    return this.prev(next) === t ? t : next;
  }

  alignPrev(t: number): number {
    const prev = this.prev(t);
    return this.next(prev) === t ? t : prev;
  }

  /** Airflow 2 CronDataIntervalTimetable._skip_to_latest (default branch). */
  latestCompleteStart(now: number): number {
    const lastStart = this.prev(now);
    // now exactly on a tick: [lastStart, now] has just completed.
    return this.next(lastStart) === now ? lastStart : this.prev(lastStart);
  }
}
