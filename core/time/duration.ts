/**
 * Durations as users write them (seconds as a number, ISO-8601 like "PT5M",
 * or an object like {minutes: 5}) compiled to milliseconds once, at parse time.
 */
import { Duration } from 'luxon';

export type DurationInput =
  | number
  | string
  | { days?: number; hours?: number; minutes?: number; seconds?: number; milliseconds?: number };

/** Parse a user duration to milliseconds; throws a message naming `what` when invalid. */
export function toMs(input: DurationInput, what: string): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`${what}: expected a non-negative number of seconds, got ${input}`);
    return Math.round(input * 1000);
  }
  if (typeof input === 'string') {
    const trimmed = input.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return toMs(Number(trimmed), what);
    const d = Duration.fromISO(trimmed);
    if (!d.isValid) throw new Error(`${what}: "${input}" is not a number of seconds nor an ISO-8601 duration (e.g. PT5M)`);
    return d.toMillis();
  }
  if (input && typeof input === 'object') {
    const allowed = ['days', 'hours', 'minutes', 'seconds', 'milliseconds'];
    for (const k of Object.keys(input)) {
      if (!allowed.includes(k)) throw new Error(`${what}: unknown duration field "${k}" (use ${allowed.join(', ')})`);
    }
    const d = Duration.fromObject(input);
    if (!d.isValid || d.toMillis() < 0) throw new Error(`${what}: invalid duration ${JSON.stringify(input)}`);
    return d.toMillis();
  }
  throw new Error(`${what}: expected a duration, got ${JSON.stringify(input)}`);
}

export function optionalMs(input: DurationInput | null | undefined, what: string): number | null {
  return input === null || input === undefined ? null : toMs(input, what);
}
