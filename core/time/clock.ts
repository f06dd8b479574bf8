/**
 * Timestamps with microseconds. JavaScript Dates stop at milliseconds, and a task hop
 * here takes about one, so task start and end times are taken from the monotonic
 * high-resolution clock and written to PostgreSQL (which keeps microseconds) as text.
 */
import { performance } from 'node:perf_hooks';

export interface PreciseTime { date: Date; iso: string }

export function preciseNow(): PreciseTime {
  const t = performance.timeOrigin + performance.now();
  const whole = Math.floor(t);
  const micros = Math.floor((t - whole) * 1000);
  const date = new Date(whole);
  return { date, iso: date.toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`) };
}
