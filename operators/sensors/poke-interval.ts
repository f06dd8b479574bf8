/**
 * When a sensor pokes next, and whether it has run out of time: pure functions, so the
 * numbers can be tested without a clock.
 *
 * Exponential backoff follows Airflow's BaseSensorOperator formula (in whole seconds,
 * like Airflow): for poke number n (1-based), `base = max(floor(poke_interval * 2^(n-2)), 1)`
 * and the wait is `base + hash % base`, where `hash` is SHA-1 of
 * "dag_id#task_id#started_at#n" read as an integer. The hash spreads sensors that start
 * together (jitter) but is deterministic, so a rescheduled sensor recomputes the same
 * sequence. The wait never goes past the timeout, and max_wait caps it.
 */
import { createHash } from 'node:crypto';

export interface IntervalInput {
  pokeIntervalMs: number;
  timeoutMs: number;
  exponentialBackoff: boolean;
  maxWaitMs: number | null;
  /** Time since the try first started. */
  elapsedMs: number;
  /** 1 for the wait after the first poke. */
  pokeCount: number;
  /** "dag_id#task_id#started_at": the jitter's seed, stable across reschedules. */
  jitterKey: string;
}

/** Airflow's jittered exponential wait (ms) for poke number n, before the timeout/max_wait caps. */
export function backoffMs(pokeIntervalMs: number, pokeCount: number, jitterKey: string): number {
  const base = Math.max(Math.floor((pokeIntervalMs / 1000) * 2 ** (pokeCount - 2)), 1);
  const digest = createHash('sha1').update(`${jitterKey}#${pokeCount}`).digest('hex');
  const jitter = Number(BigInt(`0x${digest}`) % BigInt(base));
  return (base + jitter) * 1000;
}

/**
 * Reschedule mode keeps no poke counter between runs, so (as Airflow does) the count is
 * estimated by replaying the backoff sequence until it covers the elapsed time.
 */
export function estimatePokeCount(pokeIntervalMs: number, elapsedMs: number, jitterKey: string): number {
  let cumulative = 0;
  let n = 0;
  // Each wait is at least one second, so this ends after at most elapsed/1000 + 1 steps.
  while (cumulative <= elapsedMs) {
    n += 1;
    cumulative += backoffMs(pokeIntervalMs, n, jitterKey);
  }
  return n;
}

/** The wait (ms) before the next poke. */
export function nextPokeIntervalMs(i: IntervalInput): number {
  const remaining = Math.max(i.timeoutMs - i.elapsedMs, 0);
  if (!i.exponentialBackoff) {
    // Airflow would sleep the full interval even past the timeout; poking once more at
    // the deadline instead ends the sensor on time.
    return Math.min(i.pokeIntervalMs, remaining);
  }
  let wait = backoffMs(i.pokeIntervalMs, i.pokeCount, i.jitterKey);
  // Airflow subtracts whole seconds of the elapsed time here.
  wait = Math.min(wait, Math.max(i.timeoutMs - Math.floor(i.elapsedMs / 1000) * 1000, 0));
  if (i.maxWaitMs !== null) wait = Math.min(wait, i.maxWaitMs);
  return wait;
}

export type TimeoutDecision = { kind: 'wait' } | { kind: 'fail' | 'skip'; message: string };

/** After a poke that found nothing: keep waiting, or time out (fail, or skip with soft_fail). */
export function decideAfterFalsePoke(elapsedMs: number, timeoutMs: number, softFail: boolean): TimeoutDecision {
  if (elapsedMs < timeoutMs) return { kind: 'wait' };
  const message = `Sensor has timed out; run duration of ${(elapsedMs / 1000).toFixed(3)} seconds exceeds the specified timeout of ${timeoutMs / 1000}.`;
  return { kind: softFail ? 'skip' : 'fail', message };
}
