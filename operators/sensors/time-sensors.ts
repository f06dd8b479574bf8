/**
 * Sensors that wait for a moment in time (Airflow's TimeDeltaSensor and DateTimeSensor).
 *
 * - TimeDeltaSensor (`type: time_delta_sensor`): until the run's data_interval_end plus
 *   `delta` (a duration). A run without a data interval (a manual run without a logical
 *   date) counts from its logical date, else from the try's first start.
 * - DateTimeSensor (`type: date_time_sensor`): until templated `target_time`, an
 *   ISO-8601 date-time (e.g. "{{ data_interval_end }}" or "2026-05-01T08:00:00");
 *   without an offset it is read in the DAG's timezone.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { toMs, type DurationInput } from '../../core/time/duration.ts';
import { BaseSensorOperator, durationArg, SENSOR_ARGS, tryStartedAt, type PokeResult } from './base-sensor.ts';

const TimeDeltaArgsSchema = z.object({ ...SENSOR_ARGS, delta: durationArg }).strict();
export type TimeDeltaSensorArgs = z.infer<typeof TimeDeltaArgsSchema>;

export class TimeDeltaSensor extends BaseSensorOperator<TimeDeltaSensorArgs> {
  readonly operatorType = 'time_delta_sensor';

  constructor(args: TaskArgs & TimeDeltaSensorArgs) {
    super(args, TimeDeltaArgsSchema);
  }

  async poke(args: TimeDeltaSensorArgs, ctx: TaskContext): Promise<PokeResult> {
    const base = ctx.data_interval_end ?? ctx.logical_date ?? tryStartedAt(ctx);
    const target = new Date(base.getTime() + toMs(args.delta as DurationInput, 'delta'));
    ctx.log.info(`checking if the time (${new Date().toISOString()}) has come (${target.toISOString()})`);
    return Date.now() >= target.getTime();
  }
}

const DateTimeArgsSchema = z.object({
  ...SENSOR_ARGS,
  target_time: z.union([z.string().min(1, 'target_time must not be empty'), z.date()]),
}).strict();
export type DateTimeSensorArgs = z.infer<typeof DateTimeArgsSchema>;

export class DateTimeSensor extends BaseSensorOperator<DateTimeSensorArgs> {
  readonly operatorType = 'date_time_sensor';
  override readonly templateFields = ['target_time'];

  constructor(args: TaskArgs & DateTimeSensorArgs) {
    super(args, DateTimeArgsSchema);
    const t = this.args.target_time;
    // Checked now when it is not a template; a rendered value is checked when poking.
    if (typeof t === 'string' && !t.includes('{{')) parseTargetTime(t, 'UTC', `task "${this.task_id}": target_time`);
  }

  async poke(args: DateTimeSensorArgs, ctx: TaskContext): Promise<PokeResult> {
    const target = args.target_time instanceof Date
      ? args.target_time : parseTargetTime(args.target_time, ctx.dagSpec.timezone, 'target_time');
    ctx.log.info(`checking if the time (${new Date().toISOString()}) has come (${target.toISOString()})`);
    return Date.now() >= target.getTime();
  }
}

/** An ISO-8601 date-time (Airflow prints dates with a space or a "T"); naive ones in `zone`. */
export function parseTargetTime(text: string, zone: string, what: string): Date {
  const d = DateTime.fromISO(text.trim().replace(' ', 'T'), { zone, setZone: true });
  if (!d.isValid) throw new Error(`${what}: "${text}" is not an ISO-8601 date-time`);
  return d.toJSDate();
}
