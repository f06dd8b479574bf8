/**
 * LatestOnlyOperator: downstream tasks run only in the latest scheduled run, the one
 * whose following interval contains now; older runs (catchup, backfill) skip its direct
 * downstream tasks. Manually triggered runs always proceed, as in Airflow.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { nextRunInfo } from '../../core/schedule/index.ts';
import { directDownstream } from './skip-rules.ts';

export class LatestOnlyOperator extends BaseOperator<Record<string, never>> {
  readonly operatorType = 'latest_only';

  constructor(args: TaskArgs) {
    super(args, z.object({}).strict() as z.ZodType<Record<string, never>>);
  }

  async execute(_args: Record<string, never>, ctx: TaskContext): Promise<boolean> {
    if (ctx.run_type === 'manual' || !ctx.data_interval_start || !ctx.data_interval_end) {
      ctx.log.info('manually triggered run (or no data interval): downstream tasks proceed');
      return true;
    }
    const following = nextRunInfo(ctx.dagSpec.schedule, {
      start_date: null, end_date: null, catchup: true, now: new Date(8.64e15),
      last_automated: { start: ctx.data_interval_start, end: ctx.data_interval_end },
    });
    const now = new Date();
    const latest = following === null || (ctx.data_interval_end < now && now <= following.data_interval.end);
    if (latest) {
      ctx.log.info('this is the latest run: downstream tasks proceed');
      return true;
    }
    const skip = directDownstream(ctx.dagSpec, ctx.task_id);
    ctx.log.info(`not the latest run (now is outside ${ctx.data_interval_end.toISOString()} .. ${following.data_interval.end.toISOString()}): skipping ${skip.join(', ') || 'nothing'}`);
    await ctx.skip(skip);
    return false;
  }
}
