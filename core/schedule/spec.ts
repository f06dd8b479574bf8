/**
 * User schedule input -> ScheduleSpec, validated once at DAG parse time so a
 * bad schedule fails loudly with the offending value instead of at run time.
 */
import { CronExpressionParser } from 'cron-parser';
import { compileAssetSchedule } from './assets.ts';
import { CronSyntaxError, normalizeCron } from './cron-syntax.ts';
import { parseInterval } from './interval.ts';
import { assertTimezone } from './timezone.ts';
import type { ScheduleSpec } from './types.ts';

const NONE_STRINGS = new Set(['none', '@none']);

function show(input: unknown): string {
  if (input === undefined) return 'undefined';
  try {
    return JSON.stringify(input) ?? String(input);
  } catch {
    return String(input);
  }
}

function compileCron(text: string, timezone: string): ScheduleSpec {
  const what = `invalid schedule ${show(text)}`;
  let expression: string;
  try {
    expression = normalizeCron(text);
  } catch (err) {
    if (err instanceof CronSyntaxError) throw new Error(`${what}: ${err.message}`);
    throw err;
  }
  // Our grammar check passed; cron-parser still rejects impossible dates such as
  // Feb 30. Compute one tick so "never fires" is caught here too.
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(0) }).next();
  } catch (err) {
    throw new Error(`${what}: it never fires (${(err as Error).message})`);
  }
  return { kind: 'cron', expression, timezone };
}

/**
 * input: cron / preset / "@once" / "@continuous" / ISO-8601 duration ("PT1H") /
 * "None" string, a number of seconds, a {days,hours,minutes,seconds} object, a list
 * of assets (Asset objects or URI strings), or null/undefined (manual only). Throws an Error naming the bad value and why.
 */
export function compileSchedule(input: unknown, timezone: string): ScheduleSpec {
  assertTimezone(timezone);
  if (input === null || input === undefined) return { kind: 'none' };

  if (typeof input === 'string') {
    const text = input.trim();
    const lower = text.toLowerCase();
    if (text === '') throw new Error(`invalid schedule "": empty; use null or "None" for manual-only DAGs`);
    if (NONE_STRINGS.has(lower)) return { kind: 'none' };
    if (lower === '@once') return { kind: 'once' };
    if (lower === '@continuous') return { kind: 'continuous' };
    if (/^p/i.test(text)) {
      return { kind: 'interval', interval_ms: parseInterval(text, `invalid schedule ${show(input)}`), timezone };
    }
    return compileCron(text, timezone);
  }

  if (Array.isArray(input)) return compileAssetSchedule(input);
  // A single Asset, as Airflow allows: the same as a one-element list.
  if (typeof input === 'object' && 'uri' in input) return compileAssetSchedule([input]);

  if (typeof input === 'number' || (typeof input === 'object' && !Array.isArray(input))) {
    // toMs (via parseInterval) checks the number / object fields and names the value.
    return {
      kind: 'interval',
      interval_ms: parseInterval(input as Parameters<typeof parseInterval>[0], `invalid schedule ${show(input)}`),
      timezone,
    };
  }

  throw new Error(
    `invalid schedule ${show(input)}: expected a cron string or preset, "@once", "@continuous", ` +
      `an ISO-8601 duration, a number of seconds, a {days, hours, minutes, seconds} object, ` +
      `a list of assets, or null`,
  );
}

/** "every 1d 2h", "every 30m", "every 1500ms". */
function describeInterval(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [label, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${label}`);
    rest -= n * size;
  }
  return `every ${parts.join(' ')}`;
}

/** Short text for listings: "0 6 * * *", "@once", "every 1h", "None". */
export function describeSchedule(spec: ScheduleSpec): string {
  switch (spec.kind) {
    case 'none':
      return 'None';
    case 'once':
      return '@once';
    case 'continuous':
      return '@continuous';
    case 'cron':
      return spec.expression;
    case 'interval':
      return describeInterval(spec.interval_ms);
    case 'assets':
      return `Asset(${spec.uris.join(', ')})`;
  }
}
