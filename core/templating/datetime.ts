/**
 * Date values as templates see them. Airflow hands templates pendulum DateTimes
 * (`logical_date`, `data_interval_start`, ...), and DAG authors call Python/pendulum
 * methods on them: `.strftime('%Y-%m-%d')`, `.add(days=1)`, `.isoformat()`, `.year`.
 * TemplateDateTime wraps a luxon DateTime and answers those names; TemplateTimedelta is
 * `macros.timedelta(...)`, so `logical_date - macros.timedelta(days=1)` works.
 *
 * Printing follows pendulum 3 (what Airflow 3 ships): `{{ logical_date }}` is
 * `2026-11-20 00:00:00+00:00` (isoformat with a space), `{{ ts }}` keeps the `T`.
 */
import { DateTime, type DateTimeUnit } from 'luxon';
import { TemplateError } from './errors.ts';
import { bindArgs } from './pyargs.ts';
import { formatOffset, pendulumFormat, strftime } from './pyformat.ts';
import { MISSING, PY_GETATTR, PY_JSON, PY_REPR, PY_STR, lookupTable, type PyObject } from './protocol.ts';

/** 'aware' = pendulum DateTime, 'naive' = datetime.datetime without tz (macros.datetime), 'date' = a date. */
export type DateKind = 'aware' | 'naive' | 'date';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const US_PER_DAY = 86_400_000_000;

function toInt(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new TemplateError(`${what} must be a number, got ${JSON.stringify(value)}`);
}

export class TemplateTimedelta implements PyObject {
  /** Whole microseconds, like Python's timedelta resolution. */
  readonly micros: number;

  constructor(micros: number) {
    this.micros = Math.round(micros);
  }

  /** `macros.timedelta(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0, hours=0, weeks=0)` */
  static fromArgs(args: readonly unknown[]): TemplateTimedelta {
    const a = bindArgs('timedelta', args, [
      ['days', 0], ['seconds', 0], ['microseconds', 0], ['milliseconds', 0], ['minutes', 0], ['hours', 0], ['weeks', 0],
    ]);
    const n = (k: string): number => toInt(a[k], `timedelta ${k}`);
    return new TemplateTimedelta(
      n('weeks') * 7 * US_PER_DAY + n('days') * US_PER_DAY + n('hours') * 3_600e6 + n('minutes') * 60e6 +
        n('seconds') * 1e6 + n('milliseconds') * 1e3 + n('microseconds'),
    );
  }

  /** Python's normalised (days, seconds, microseconds): only days may be negative. */
  parts(): { days: number; seconds: number; microseconds: number } {
    const days = Math.floor(this.micros / US_PER_DAY);
    const rest = this.micros - days * US_PER_DAY;
    const seconds = Math.floor(rest / 1e6);
    return { days, seconds, microseconds: rest - seconds * 1e6 };
  }

  [PY_GETATTR](name: string): unknown {
    const p = this.parts();
    return lookupTable(
      {
        days: p.days,
        seconds: p.seconds,
        microseconds: p.microseconds,
        total_seconds: () => this.micros / 1e6,
      },
      name,
    );
  }

  [PY_STR](): string {
    const { days, seconds, microseconds } = this.parts();
    const hms = `${Math.floor(seconds / 3600)}:${pad(Math.floor((seconds % 3600) / 60), 2)}:${pad(seconds % 60, 2)}`;
    const frac = microseconds ? `.${pad(microseconds, 6)}` : '';
    const dayPart = days ? `${days} day${Math.abs(days) === 1 ? '' : 's'}, ` : '';
    return `${dayPart}${hms}${frac}`;
  }

  [PY_REPR](): string {
    const { days, seconds, microseconds } = this.parts();
    const fields = [days && `days=${days}`, seconds && `seconds=${seconds}`, microseconds && `microseconds=${microseconds}`].filter(Boolean);
    return `datetime.timedelta(${fields.length ? fields.join(', ') : '0'})`;
  }

  [PY_JSON](): unknown {
    return this.micros / 1e6;
  }

  [Symbol.toPrimitive](hint: string): string | number {
    return hint === 'number' ? this.micros : this[PY_STR]();
  }

  toString(): string {
    return this[PY_STR]();
  }
}

const START_OF_UNITS: readonly string[] = ['second', 'minute', 'hour', 'day', 'week', 'month', 'year'];

export class TemplateDateTime implements PyObject {
  readonly dt: DateTime;
  readonly kind: DateKind;

  constructor(dt: DateTime, kind: DateKind = 'aware') {
    this.dt = dt;
    this.kind = kind;
  }

  /** An instant from the database, as Airflow presents it: aware, in UTC. */
  static fromDate(date: Date): TemplateDateTime {
    return new TemplateDateTime(DateTime.fromJSDate(date, { zone: 'utc' }));
  }

  private with(dt: DateTime): TemplateDateTime {
    if (!dt.isValid) throw new TemplateError(`invalid date: ${dt.invalidExplanation ?? dt.invalidReason ?? 'out of range'}`);
    return new TemplateDateTime(dt, this.kind);
  }

  get naive(): boolean {
    return this.kind !== 'aware';
  }

  isoformat(sep = 'T'): string {
    const d = this.dt;
    const date = `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
    if (this.kind === 'date') return date;
    const frac = d.millisecond ? `.${pad(d.millisecond * 1000, 6)}` : '';
    return `${date}${sep}${pad(d.hour, 2)}:${pad(d.minute, 2)}:${pad(d.second, 2)}${frac}${formatOffset(d, this.naive, true)}`;
  }

  strftime(fmt: string): string {
    return strftime(this.dt, fmt, this.naive);
  }

  /** pendulum-style `add(years=, months=, weeks=, days=, hours=, minutes=, seconds=, microseconds=)`. */
  add(args: readonly unknown[], sign: 1 | -1, fnName: string): TemplateDateTime {
    const a = bindArgs(fnName, args, [
      ['years', 0], ['months', 0], ['weeks', 0], ['days', 0], ['hours', 0], ['minutes', 0], ['seconds', 0], ['microseconds', 0],
    ]);
    const n = (k: string): number => sign * toInt(a[k], `${fnName} ${k}`);
    return this.with(
      this.dt.plus({
        years: n('years'), months: n('months'), weeks: n('weeks'), days: n('days'),
        hours: n('hours'), minutes: n('minutes'), milliseconds: n('seconds') * 1000 + n('microseconds') / 1000,
      }),
    );
  }

  plusDelta(delta: TemplateTimedelta, sign: 1 | -1): TemplateDateTime {
    const { days, seconds, microseconds } = delta.parts();
    // Days move the calendar (wall clock kept), the rest is elapsed time, like pendulum.
    return this.with(this.dt.plus({ days: sign * days, milliseconds: sign * (seconds * 1000 + microseconds / 1000) }));
  }

  minus(other: TemplateDateTime): TemplateTimedelta {
    if (this.naive !== other.naive) throw new TemplateError("can't subtract offset-naive and offset-aware datetimes");
    return new TemplateTimedelta((this.dt.toMillis() - other.dt.toMillis()) * 1000);
  }

  private replace(args: readonly unknown[]): TemplateDateTime {
    const a = bindArgs('replace', args, [
      ['year', null], ['month', null], ['day', null], ['hour', null], ['minute', null], ['second', null], ['microsecond', null],
    ]);
    const set: Record<string, number> = {};
    for (const k of ['year', 'month', 'day', 'hour', 'minute', 'second'] as const) {
      if (a[k] !== null) set[k] = toInt(a[k], `replace ${k}`);
    }
    if (a.microsecond !== null) set.millisecond = Math.floor(toInt(a.microsecond, 'replace microsecond') / 1000);
    return this.with(this.dt.set(set));
  }

  private inTimezone(args: readonly unknown[]): TemplateDateTime {
    const { tz } = bindArgs('in_timezone', args, ['tz']);
    const zoned = this.dt.setZone(String(tz));
    if (!zoned.isValid) throw new TemplateError(`in_timezone(): unknown time zone '${String(tz)}'`);
    return new TemplateDateTime(zoned, 'aware');
  }

  private boundary(args: readonly unknown[], fnName: string, end: boolean): TemplateDateTime {
    const { unit } = bindArgs(fnName, args, ['unit']);
    if (typeof unit !== 'string' || !START_OF_UNITS.includes(unit)) {
      throw new TemplateError(`${fnName}(): unit must be one of ${START_OF_UNITS.join(', ')}`);
    }
    const u = unit as DateTimeUnit;
    return this.with(end ? this.dt.endOf(u) : this.dt.startOf(u));
  }

  private toDate(): TemplateDateTime {
    return new TemplateDateTime(DateTime.utc(this.dt.year, this.dt.month, this.dt.day), 'date');
  }

  [PY_GETATTR](name: string): unknown {
    const d = this.dt;
    const dateOnly = this.kind === 'date';
    const common: Record<string, unknown> = {
      year: d.year,
      month: d.month,
      day: d.day,
      day_of_year: d.ordinal,
      days_in_month: d.daysInMonth,
      isoformat: (...args: unknown[]) => this.isoformat(String(bindArgs('isoformat', args, [['sep', 'T']]).sep)),
      strftime: (...args: unknown[]) => this.strftime(String(bindArgs('strftime', args, ['format']).format)),
      format: (...args: unknown[]) => pendulumFormat(d, String(bindArgs('format', args, ['fmt', ['locale', null]]).fmt), this.naive),
      add: (...args: unknown[]) => this.add(args, 1, 'add'),
      subtract: (...args: unknown[]) => this.add(args, -1, 'subtract'),
      replace: (...args: unknown[]) => this.replace(args),
      weekday: () => d.weekday - 1,
      isoweekday: () => d.weekday,
      to_date_string: () => this.toDate().isoformat(),
      start_of: (...args: unknown[]) => this.boundary(args, 'start_of', false),
      end_of: (...args: unknown[]) => this.boundary(args, 'end_of', true),
    };
    if (dateOnly) return lookupTable(common, name);
    const timed: Record<string, unknown> = {
      hour: d.hour,
      minute: d.minute,
      second: d.second,
      microsecond: d.millisecond * 1000,
      int_timestamp: Math.floor(d.toSeconds()),
      float_timestamp: d.toSeconds(),
      timezone_name: this.naive ? null : d.zoneName,
      offset: this.naive ? null : d.offset * 60,
      timestamp: () => d.toSeconds(),
      date: () => this.toDate(),
      in_timezone: (...args: unknown[]) => this.inTimezone(args),
      in_tz: (...args: unknown[]) => this.inTimezone(args),
      to_datetime_string: () => pendulumFormat(d, 'YYYY-MM-DD HH:mm:ss'),
      to_time_string: () => pendulumFormat(d, 'HH:mm:ss'),
      to_iso8601_string: () => {
        const iso = this.isoformat();
        return d.zoneName === 'UTC' ? iso.replace(/\+00:00$/, 'Z') : iso;
      },
    };
    const found = lookupTable(common, name);
    return found === MISSING ? lookupTable(timed, name) : found;
  }

  [PY_STR](): string {
    return this.isoformat(' ');
  }

  [PY_REPR](): string {
    const d = this.dt;
    if (this.kind === 'date') return `Date(${d.year}, ${d.month}, ${d.day})`;
    const us = d.millisecond ? `, ${d.millisecond * 1000}` : '';
    if (this.kind === 'naive') return `datetime.datetime(${d.year}, ${d.month}, ${d.day}, ${d.hour}, ${d.minute}, ${d.second}${us})`;
    const tz = d.zoneName === 'UTC' ? "Timezone('UTC')" : d.zone.isUniversal ? `FixedTimezone(${d.offset * 60})` : `Timezone('${d.zoneName ?? ''}')`;
    return `DateTime(${d.year}, ${d.month}, ${d.day}, ${d.hour}, ${d.minute}, ${d.second}${us}, tzinfo=${tz})`;
  }

  /** `tojson` on a date: Python would refuse; an ISO string is the useful answer. */
  [PY_JSON](): unknown {
    return this.isoformat();
  }

  /** `<`/`>` compare instants; string contexts get the printed form. */
  [Symbol.toPrimitive](hint: string): string | number {
    return hint === 'number' ? this.dt.toMillis() : this[PY_STR]();
  }

  toString(): string {
    return this[PY_STR]();
  }
}
