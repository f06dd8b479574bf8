/**
 * Retry timing and eligibility, reproducing Airflow's TaskInstance.next_retry_datetime
 * and is_eligible_to_retry so a DAG migrated from Airflow retries at the same moments.
 *
 * Convention: `try_number` counts attempts from 1 (the first run is try 1), and
 * `max_tries` equals the task's `retries` (clearing a task instance raises it).
 * The delay returned here is added to the failed try's end date by the caller.
 */
import { createHash } from 'node:crypto';
import { pythonUtcDatetimeStr } from './python-datetime.ts';

/** Airflow's MAX_RETRY_DELAY: the backoff never exceeds 24 h, whatever max_retry_delay says. */
export const MAX_RETRY_DELAY_S = 86_400;

export interface RetryPolicy {
  retry_delay_ms: number;
  retry_exponential_backoff: boolean;
  /** Cap on the exponential delay; null (or 0, which Python treats as unset) means none. */
  max_retry_delay_ms: number | null;
}

export interface RetryKey {
  dag_id: string;
  task_id: string;
  logical_date: Date | null;
  try_number: number;
}

/** Delay before the next try after failed attempt `try_number` (1-based), Airflow's exact formula. */
export function retryDelayMs(p: RetryPolicy, key: RetryKey): number {
  if (!Number.isFinite(p.retry_delay_ms) || p.retry_delay_ms < 0) {
    throw new RangeError(`retry_delay_ms must be a non-negative number, got ${p.retry_delay_ms}`);
  }
  if (!Number.isInteger(key.try_number)) throw new RangeError(`try_number must be an integer, got ${key.try_number}`);

  // Without backoff Airflow uses retry_delay as is: neither the 24 h cap nor
  // max_retry_delay applies (both live inside Airflow's backoff branch).
  if (!p.retry_exponential_backoff) return p.retry_delay_ms;

  // min_backoff = ceil(retry_delay_s * 2^(n-1)), floored at 1 s so the modulo below never divides by 0.
  // Seconds are computed as ms/1000, the same double Python's timedelta.total_seconds() yields.
  const minBackoff = Math.max(1, Math.ceil((p.retry_delay_ms / 1000) * 2 ** (key.try_number - 1)));

  let delayS: number;
  if (minBackoff >= MAX_RETRY_DELAY_S) {
    // min_backoff + (H % min_backoff) >= min_backoff >= cap, so the result is the cap; short-cutting
    // also keeps huge/infinite powers out of BigInt (Airflow 3 maps its OverflowError to the cap too).
    delayS = MAX_RETRY_DELAY_S;
  } else {
    // Deterministic jitter in [min_backoff, 2*min_backoff): the same failed try always gets the same delay.
    const seed = `${key.dag_id}#${key.task_id}#${pythonUtcDatetimeStr(key.logical_date)}#${key.try_number}`;
    const hash = BigInt(`0x${createHash('sha1').update(seed, 'utf8').digest('hex')}`);
    const mb = BigInt(minBackoff);
    delayS = Math.min(Number(mb + (hash % mb)), MAX_RETRY_DELAY_S);
  }

  const delayMs = delayS * 1000;
  // Python's `if self.task.max_retry_delay:` - a zero timedelta is falsy, i.e. no cap.
  return p.max_retry_delay_ms ? Math.min(delayMs, p.max_retry_delay_ms) : delayMs;
}

/**
 * Whether failed attempt `try_number` (1-based) gets another try: `try_number <= max_tries`,
 * with max_tries = retries. E.g. retries=2: tries 1 and 2 are retried, try 3 fails for good.
 * (Airflow additionally requires task.retries > 0; callers keep max_tries = 0 when retries = 0.)
 */
export function canRetry(try_number: number, max_tries: number): boolean {
  return try_number <= max_tries;
}
