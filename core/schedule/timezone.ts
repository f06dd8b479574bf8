/**
 * Time-zone arithmetic on epoch milliseconds.
 *
 * Cron fields describe *wall-clock* times, so cron ticks are computed on a
 * "wall" timeline (a local date-time encoded as if it were UTC, in ms) and then
 * mapped back to real instants. The mapping is where DST bites: a wall time
 * can exist twice (fall-back fold) or not at all (spring-forward gap).
 */
import { IANAZone } from 'luxon';

const HOUR = 3_600_000;

/** Throws unless `name` is an IANA time zone luxon knows (e.g. "UTC", "Europe/Amsterdam"). */
export function assertTimezone(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '' || !IANAZone.isValidZone(name)) {
    throw new Error(
      `invalid time zone ${JSON.stringify(name)}: not an IANA time zone name (e.g. "UTC", "Europe/Amsterdam")`,
    );
  }
}

/** A zone plus the few conversions the cron code needs. */
export class Zone {
  private readonly zone: IANAZone;

  constructor(name: string) {
    assertTimezone(name);
    this.zone = IANAZone.create(name);
  }

  /** UTC offset in ms at an instant. */
  offsetMs(instant: number): number {
    return this.zone.offset(instant) * 60_000;
  }

  /** Wall-clock reading (as fake-UTC ms) of an instant. */
  wall(instant: number): number {
    return instant + this.offsetMs(instant);
  }

  /**
   * Every instant whose wall clock reads `wall`: two in a fold, none in a gap.
   * Offsets are sampled a day either side, which covers any real zone (they
   * never change offset twice within two days).
   */
  instantsAt(wall: number): number[] {
    const before = this.offsetMs(wall - 26 * HOUR);
    const after = this.offsetMs(wall + 26 * HOUR);
    if (before === after) return [wall - before]; // common case: no transition within a day
    const offsets = new Set([before, this.offsetMs(wall), after]);
    const found: number[] = [];
    for (const off of offsets) {
      const instant = wall - off;
      if (this.offsetMs(instant) === off && !found.includes(instant)) found.push(instant);
    }
    return found.sort((a, b) => a - b);
  }

  /**
   * One instant for a wall time, with Airflow's policy (airflow.utils.timezone.make_aware
   * sets fold=1, pendulum then resolves): in a fold take the LATER occurrence; in a gap
   * shift forward by the gap length (02:30 in a 02:00->03:00 gap becomes 03:30).
   * Both cases are "the largest candidate instant" - in a gap, reading the wall time
   * with the pre-transition offset yields the shifted-forward instant.
   */
  resolveLater(wall: number): number {
    const exact = this.instantsAt(wall);
    const last = exact[exact.length - 1];
    if (last !== undefined) return last;
    const before = this.offsetMs(wall - 26 * HOUR);
    const after = this.offsetMs(wall + 26 * HOUR);
    return Math.max(wall - before, wall - after);
  }

  /** True when the offset is the same `slack` ms either side of the instant (no transition nearby). */
  steadyAround(instant: number, slack: number): boolean {
    return this.offsetMs(instant - slack) === this.offsetMs(instant + slack);
  }
}
