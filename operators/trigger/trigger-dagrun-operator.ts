/**
 * TriggerDagRunOperator: creates a manual run of another DAG, with templated conf, run
 * id and logical date. With wait_for_completion it keeps its worker slot and checks the
 * run every poke_interval seconds until the run reaches one of allowed_states (success)
 * or failed_states (failure). The triggered run's id is the XCom.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { TaskSkip } from '../../core/errors.ts';

const TriggerArgsSchema = z.object({
  trigger_dag_id: z.string().min(1, 'trigger_dag_id is required'),
  trigger_run_id: z.string().nullable().optional(),
  conf: z.record(z.string(), z.unknown()).nullable().optional(),
  logical_date: z.string().nullable().optional(),
  wait_for_completion: z.boolean().optional(),
  poke_interval: z.number().positive().optional(),
  allowed_states: z.array(z.string()).optional(),
  failed_states: z.array(z.string()).optional(),
  skip_when_already_exists: z.boolean().optional(),
}).strict();
export type TriggerDagRunArgs = z.infer<typeof TriggerArgsSchema>;

export class TriggerDagRunOperator extends BaseOperator<TriggerDagRunArgs> {
  readonly operatorType = 'trigger_dagrun';
  override readonly templateFields = ['trigger_dag_id', 'trigger_run_id', 'conf', 'logical_date'];

  constructor(args: TaskArgs & TriggerDagRunArgs) {
    super(args, TriggerArgsSchema);
  }

  async execute(args: TriggerDagRunArgs, ctx: TaskContext): Promise<string> {
    const logical = args.logical_date ? new Date(args.logical_date) : undefined;
    if (logical && Number.isNaN(logical.getTime())) throw new Error(`logical_date "${args.logical_date}" is not an ISO-8601 date`);
    let runId: string;
    try {
      ({ run_id: runId } = await ctx.triggerRun({
        // No logical date unless given (Airflow 3's default): the triggered run is not tied
        // to a data interval, and runs triggered at the same moment do not collide.
        dag_id: args.trigger_dag_id, run_id: args.trigger_run_id ?? null, conf: args.conf ?? {}, logical_date: logical ?? null,
      }));
    } catch (err) {
      if (args.skip_when_already_exists && err instanceof Error && err.name === 'ConflictError') throw new TaskSkip(err.message);
      throw err;
    }
    ctx.log.info(`triggered DAG "${args.trigger_dag_id}": run ${runId}`);
    if (!args.wait_for_completion) return runId;
    const allowed = args.allowed_states ?? ['success'];
    const failed = args.failed_states ?? ['failed'];
    const pokeMs = (args.poke_interval ?? 60) * 1000;
    for (;;) {
      const state = await ctx.runState(args.trigger_dag_id, runId);
      if (state && allowed.includes(state)) { ctx.log.info(`run ${runId} ended ${state}`); return runId; }
      if (state && failed.includes(state)) throw new Error(`triggered run ${runId} of DAG "${args.trigger_dag_id}" ended ${state}`);
      await sleep(pokeMs, ctx.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')); return; }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

