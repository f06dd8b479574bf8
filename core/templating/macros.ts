/**
 * Airflow's `macros` namespace and date filters. Airflow 3's macros module offers
 * ds_add, ds_format, datetime, timedelta, random, json, time and uuid; the filters
 * (`{{ dag_run.logical_date | ds }}`) come from airflow.templates.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { TemplateDateTime, TemplateTimedelta } from './datetime.ts';
import { TemplateError } from './errors.ts';
import { bindArgs } from './pyargs.ts';
import { strftime, strptime } from './pyformat.ts';
import { jsonDumps } from './pyvalue.ts';

type Fn = (...args: unknown[]) => unknown;

/** `macros.ds_add('2026-11-20', 5)` -> '2026-11-25'; negative days go back. */
export function dsAdd(ds: unknown, days: unknown): string {
  const n = Number(days);
  if (!Number.isInteger(n)) throw new TemplateError(`ds_add(): days must be an integer, got ${JSON.stringify(days)}`);
  if (n === 0) return String(ds);
  const { dt } = strptime(String(ds), '%Y-%m-%d');
  return strftime(dt.plus({ days: n }), '%Y-%m-%d');
}

/** `macros.ds_format('2026-11-20', '%Y-%m-%d', '%d/%m/%Y')` -> '20/11/2026' (Python format codes). */
export function dsFormat(ds: unknown, inputFormat: unknown, outputFormat: unknown): string {
  const { dt, naive } = strptime(String(ds), String(inputFormat));
  return strftime(dt, String(outputFormat), naive);
}

function naiveFromArgs(args: readonly unknown[]): TemplateDateTime {
  const a = bindArgs('datetime', args, ['year', 'month', 'day', ['hour', 0], ['minute', 0], ['second', 0], ['microsecond', 0]]);
  const dt = DateTime.utc(
    Number(a.year), Number(a.month), Number(a.day), Number(a.hour), Number(a.minute), Number(a.second),
    Math.floor(Number(a.microsecond) / 1000),
  );
  if (!dt.isValid) throw new TemplateError(`datetime(): ${dt.invalidExplanation ?? 'invalid date'}`);
  return new TemplateDateTime(dt, 'naive');
}

function now(args: readonly unknown[], fnName: string): TemplateDateTime {
  const { tz } = bindArgs(fnName, args, [['tz', null]]);
  if (tz === null) return new TemplateDateTime(DateTime.utc(), 'naive');
  const dt = DateTime.utc().setZone(String(tz));
  if (!dt.isValid) throw new TemplateError(`${fnName}(): unknown time zone '${String(tz)}'`);
  return new TemplateDateTime(dt, 'aware');
}

/** `macros.datetime`: callable like Python's class, with its usual constructors attached. */
function datetimeNamespace(): Fn {
  const strptimeFn = (...args: unknown[]): TemplateDateTime => {
    const a = bindArgs('strptime', args, ['date_string', 'format']);
    const parsed = strptime(String(a.date_string), String(a.format));
    return new TemplateDateTime(parsed.dt, parsed.naive ? 'naive' : 'aware');
  };
  const fromisoformat = (...args: unknown[]): TemplateDateTime => {
    const text = String(bindArgs('fromisoformat', args, ['date_string']).date_string);
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(text) && /T|\s/.test(text);
    const dt = DateTime.fromISO(text.replace(' ', 'T'), { zone: 'utc', setZone: hasOffset });
    if (!dt.isValid) throw new TemplateError(`Invalid isoformat string: '${text}'`);
    return new TemplateDateTime(dt, hasOffset ? 'aware' : 'naive');
  };
  const fromtimestamp = (...args: unknown[]): TemplateDateTime => {
    const a = bindArgs('fromtimestamp', args, ['timestamp', ['tz', null]]);
    const dt = DateTime.fromSeconds(Number(a.timestamp), { zone: a.tz === null ? 'utc' : String(a.tz) });
    if (!dt.isValid) throw new TemplateError(`fromtimestamp(): ${dt.invalidExplanation ?? 'invalid'}`);
    return new TemplateDateTime(dt, a.tz === null ? 'naive' : 'aware');
  };
  return Object.assign((...args: unknown[]) => naiveFromArgs(args), {
    now: (...args: unknown[]) => now(args, 'now'),
    utcnow: () => new TemplateDateTime(DateTime.utc(), 'naive'),
    strptime: strptimeFn,
    fromisoformat,
    fromtimestamp,
  });
}

/** The `macros` object of the template context (stateless, shared by all renders). */
export const MACROS: Readonly<Record<string, unknown>> = Object.freeze({
  ds_add: (...args: unknown[]) => {
    const a = bindArgs('ds_add', args, ['ds', 'days']);
    return dsAdd(a.ds, a.days);
  },
  ds_format: (...args: unknown[]) => {
    const a = bindArgs('ds_format', args, ['ds', 'input_format', 'output_format']);
    return dsFormat(a.ds, a.input_format, a.output_format);
  },
  datetime: datetimeNamespace(),
  timedelta: (...args: unknown[]) => TemplateTimedelta.fromArgs(args),
  random: () => Math.random(),
  uuid: Object.freeze({ uuid4: () => randomUUID() }),
  time: Object.freeze({ time: () => Date.now() / 1000 }),
  json: Object.freeze({
    dumps: (...args: unknown[]) => {
      const a = bindArgs('dumps', args, ['obj', ['indent', null], ['sort_keys', false]]);
      return jsonDumps(a.obj, a.indent, a.sort_keys === true);
    },
    loads: (...args: unknown[]) => {
      const text = String(bindArgs('loads', args, ['s']).s);
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new TemplateError(`json.loads(): ${(err as Error).message}`);
      }
    },
  }),
});

function dateFilter(name: string, render: (d: TemplateDateTime) => string): Fn {
  return (value: unknown) => {
    if (value === null) return null; // Airflow's filters pass None through
    if (!(value instanceof TemplateDateTime)) throw new TemplateError(`the ${name} filter needs a date, got ${JSON.stringify(value)}`);
    return render(value);
  };
}

/** Airflow's Jinja filters: ds, ds_nodash, ts, ts_nodash, ts_nodash_with_tz (+ ds_add/ds_format for convenience). */
export function registerAirflowFilters(add: (name: string, fn: Fn) => void): void {
  add('ds', dateFilter('ds', (d) => d.strftime('%Y-%m-%d')));
  add('ds_nodash', dateFilter('ds_nodash', (d) => d.strftime('%Y%m%d')));
  add('ts', dateFilter('ts', (d) => d.isoformat()));
  add('ts_nodash', dateFilter('ts_nodash', (d) => d.strftime('%Y%m%dT%H%M%S')));
  add('ts_nodash_with_tz', dateFilter('ts_nodash_with_tz', (d) => d.isoformat().replace(/[-:]/g, '')));
  add('ds_add', (ds, ...args) => dsAdd(ds, bindArgs('ds_add', args, ['days']).days));
  add('ds_format', (ds, ...args) => {
    const a = bindArgs('ds_format', args, ['input_format', 'output_format']);
    return dsFormat(ds, a.input_format, a.output_format);
  });
}
