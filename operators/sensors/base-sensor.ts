/**
 * BaseSensorOperator: waits until `poke()` says a condition holds (Airflow's sensors).
 *
 * - `mode: 'poke'` (default) keeps the worker slot and sleeps `poke_interval` between
 *   pokes; the task's abort signal (execution_timeout, a stopping worker) interrupts
 *   the sleep at once.
 * - `mode: 'reschedule'` frees the slot after each false poke: it throws TaskReschedule
 *   with the next poke's time; the worker records `up_for_reschedule` and runs the task
 *   again then, in the same try.
 * - `timeout` (default 7 days) counts from the first start of the current try
 *   (`ctx.ti.try_started_at`, which spans reschedules). A sensor that times out fails
 *   without retrying (TaskFailNow), or is skipped with `soft_fail`. With `soft_fail`, a
 *   TaskFailNow thrown by poke() (a definite failure, e.g. a failed external task) also
 *   becomes a skip, as in Airflow.
 * - `exponential_backoff` and `max_wait`: see poke-interval.ts.
 * - poke() may return a PokeReturnValue: its `xcom_value` becomes the task's XCom.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { isTaskFailNow, TaskFailNow, TaskReschedule, TaskSkip } from '../../core/errors.ts';
import { optionalMs, toMs, type DurationInput } from '../../core/time/duration.ts';
import { decideAfterFalsePoke, estimatePokeCount, nextPokeIntervalMs } from './poke-interval.ts';

/** Airflow's PokeReturnValue: done or not, plus a value to push as the XCom. */
export class PokeReturnValue {
  constructor(readonly is_done: boolean, readonly xcom_value?: unknown) {}
}

export type PokeResult = boolean | PokeReturnValue;

/** A duration as users write it (seconds, "PT5M", {minutes: 5}), checked by toMs. */
export const durationArg = z.union([z.number(), z.string(), z.record(z.string(), z.number())])
  .superRefine((v, c) => {
    try { toMs(v as DurationInput, 'duration'); } catch (err) { c.addIssue({ code: 'custom', message: (err as Error).message.replace(/^duration: /, '') }); }
  });

/** The arguments every sensor takes; each sensor's schema spreads this shape into its own. */
export const SENSOR_ARGS = {
  mode: z.enum(['poke', 'reschedule']).optional(),
  poke_interval: durationArg.optional(),
  timeout: durationArg.optional(),
  soft_fail: z.boolean().optional(),
  exponential_backoff: z.boolean().optional(),
  max_wait: durationArg.nullable().optional(),
};
const BaseSensorSchema = z.object(SENSOR_ARGS);
export type SensorArgs = z.infer<typeof BaseSensorSchema>;

export const DEFAULT_POKE_INTERVAL_S = 60;
export const DEFAULT_TIMEOUT_S = 7 * 24 * 3600;

/** The sensor arguments compiled once (durations in ms), as Temporal's SDK does with options. */
export interface SensorSettings {
  mode: 'poke' | 'reschedule';
  pokeIntervalMs: number;
  timeoutMs: number;
  softFail: boolean;
  exponentialBackoff: boolean;
  maxWaitMs: number | null;
}

export function compileSensorArgs(a: SensorArgs, where: string): SensorSettings {
  return {
    mode: a.mode ?? 'poke',
    pokeIntervalMs: toMs((a.poke_interval ?? DEFAULT_POKE_INTERVAL_S) as DurationInput, `${where}: poke_interval`),
    timeoutMs: toMs((a.timeout ?? DEFAULT_TIMEOUT_S) as DurationInput, `${where}: timeout`),
    softFail: a.soft_fail ?? false,
    exponentialBackoff: a.exponential_backoff ?? false,
    maxWaitMs: optionalMs(a.max_wait as DurationInput | null | undefined, `${where}: max_wait`),
  };
}

export abstract class BaseSensorOperator<A extends SensorArgs & Record<string, unknown>> extends BaseOperator<A> {
  readonly sensor: SensorSettings;

  constructor(args: TaskArgs & A, schema: z.ZodType<A>) {
    super(args, schema);
    this.sensor = compileSensorArgs(this.args, `task "${this.task_id}"`);
  }

  /** One check of the condition: true (or a done PokeReturnValue) ends the wait. */
  abstract poke(args: A, ctx: TaskContext): Promise<PokeResult>;

  async execute(args: A, ctx: TaskContext): Promise<unknown> {
    const s = this.sensor;
    const startedAt = tryStartedAt(ctx);
    const jitterKey = `${ctx.dag_id}#${ctx.task_id}#${startedAt.toISOString()}`;
    for (let pokeCount = 1; ; pokeCount++) {
      const result = await this.pokeOnce(args, ctx);
      if (isDone(result)) {
        ctx.log.info('Success criteria met. Exiting.');
        return typeof result === 'object' ? result.xcom_value : undefined;
      }
      const elapsedMs = Date.now() - startedAt.getTime();
      const decision = decideAfterFalsePoke(elapsedMs, s.timeoutMs, s.softFail);
      if (decision.kind === 'fail') throw new TaskFailNow(decision.message);
      if (decision.kind === 'skip') throw new TaskSkip(decision.message);
      const count = s.mode === 'reschedule' && s.exponentialBackoff
        ? estimatePokeCount(s.pokeIntervalMs, elapsedMs, jitterKey) : pokeCount;
      const waitMs = nextPokeIntervalMs({ ...s, elapsedMs, pokeCount: count, jitterKey });
      if (s.mode === 'reschedule') {
        const at = new Date(Date.now() + waitMs);
        ctx.log.info(`condition not met; rescheduling to ${at.toISOString()}`);
        throw new TaskReschedule(at);
      }
      ctx.log.info(`condition not met; poking again in ${waitMs / 1000} s`);
      await abortableSleep(waitMs, ctx.signal);
    }
  }

  /** poke(), with soft_fail turning a definite failure into a skip. */
  private async pokeOnce(args: A, ctx: TaskContext): Promise<PokeResult> {
    try {
      return await this.poke(args, ctx);
    } catch (err) {
      if (this.sensor.softFail && isTaskFailNow(err)) throw new TaskSkip(`Skipping due to soft_fail: ${err.message}`);
      throw err;
    }
  }
}

/**
 * Done: true, or a PokeReturnValue with is_done. Checked by shape, not instanceof: a DAG
 * file compiled as CommonJS has its own copy of the class.
 */
export function isDone(result: unknown): boolean {
  if (result !== null && typeof result === 'object') return Boolean((result as { is_done?: unknown }).is_done);
  return Boolean(result);
}

/** When the try first started (spans reschedules); a context without it (an older worker) starts now. */
export function tryStartedAt(ctx: TaskContext): Date {
  return (ctx.ti.try_started_at as Date | undefined) ?? new Date();
}

/** Sleep that ends early, rejecting with the abort reason, when the task is aborted. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const reason = () => (signal.reason instanceof Error ? signal.reason : new Error('task aborted'));
    if (signal.aborted) { reject(reason()); return; }
    const onAbort = () => { clearTimeout(timer); reject(reason()); };
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
