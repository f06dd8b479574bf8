/**
 * `tasks test`: run one task in this process with its full context and templates,
 * printing its log and return value. Nothing is written to the database (Airflow's
 * behaviour), so it is safe to try a task against production metadata.
 */
import type { TaskSpec } from '../core/dag/spec.ts';
import { errorMessage, isTaskReschedule, UserInputError } from '../core/errors.ts';
import { mapLength, valuesAt } from '../core/transitions/map-values.ts';
import { memoryCheckpoints } from '../core/checkpoints/checkpoint.ts';
import { manualRunInfo } from '../core/schedule/index.ts';
import { renderFields } from '../core/templating/index.ts';
import { loadSpec } from '../core/transitions/spec-cache.ts';
import type { StartedTask } from '../core/transitions/start-ti.ts';
import { latestVersionId, NotFoundError } from '../core/transitions/trigger-run.ts';
import { operatorFor } from '../worker/operator-loader.ts';
import { buildTemplateContextFor, connectionSettings, makeTaskContext } from '../worker/task-context.ts';
import type { Runtime } from './runtime.ts';

export async function testTask(rt: Runtime, dagId: string, taskId: string, logicalDate: Date, mapIndex?: number): Promise<boolean> {
  const versionId = await latestVersionId(rt.db, dagId);
  const spec = await loadSpec(rt.db, versionId);
  const task = spec.tasks.find((t) => t.task_id === taskId);
  if (!task) throw new NotFoundError(`DAG "${dagId}" has no task "${taskId}"`);
  const info = manualRunInfo(spec.schedule, logicalDate);
  const ti: StartedTask = {
    id: 0, dag_run_id: 0, dag_id: dagId, run_id: `__updraft_temporary_run_${logicalDate.toISOString()}__`,
    task_id: taskId, map_index: task.mapped ? mapIndex ?? 0 : -1, try_number: 1, max_tries: task.retries,
    start_date: new Date(), try_started_at: new Date(),
    logical_date: logicalDate, data_interval_start: info.data_interval.start, data_interval_end: info.data_interval.end,
    run_type: 'manual', conf: {}, dag_version_id: versionId,
  };
  const say = (stream: string) => (m: string) => process.stdout.write(`[${taskId}${stream}] ${m}\n`);
  const log = { info: say(''), warn: say(' stderr'), error: say(' error') };
  const mapValues = task.mapped ? literalMapValues(task, ti.map_index) : null;
  try {
    const operator = await operatorFor(spec, task, versionId, mapValues);
    const template = await buildTemplateContextFor(rt.db, spec, task, ti, connectionSettings(rt.config));
    const args = renderFields(mapValues ? operator.argsWithMapped(mapValues) : operator.args, operator.templateFields, template);
    const controller = new AbortController();
    const ctx = makeTaskContext(rt.db, spec, ti, template, log, controller.signal, connectionSettings(rt.config));
    // xcom_push in a test would write to a run that does not exist: print it instead.
    ctx.ti.xcom_push = async (key, value) => { log.info(`xcom_push ${key} = ${JSON.stringify(value)}`); };
    ctx.checkpoint = memoryCheckpoints(rt.db);
    const result = await executeThroughReschedules(() => operator.execute(args, ctx));
    process.stdout.write(`Task ${taskId} succeeded; return value: ${JSON.stringify(result ?? null)}\n`);
    return true;
  } catch (err) {
    process.stdout.write(`Task ${taskId} failed: ${errorMessage(err)}\n`);
    return false;
  }
}

/** A sensor in reschedule mode would hand its slot back: here, wait in-process and run it again. */
async function executeThroughReschedules(run: () => Promise<unknown>): Promise<unknown> {
  for (;;) {
    try {
      return await run();
    } catch (err) {
      if (!isTaskReschedule(err)) throw err;
      process.stdout.write(`rescheduled: running again at ${err.at.toISOString()}\n`);
      await new Promise((res) => setTimeout(res, Math.max(0, err.at.getTime() - Date.now())));
    }
  }
}

/**
 * A mapped task's values for one instance. There is no run, so only literal lists can be
 * expanded; an XCom source is a clear error pointing to `dags test`.
 */
function literalMapValues(task: TaskSpec, mapIndex: number): Record<string, unknown> {
  const lists = task.mapped!.args.map(({ name, source }) => {
    if ('literal' in source) return { name, values: source.literal };
    throw new UserInputError(`task "${task.task_id}" expands "${name}" over the XCom of task "${source.xcom.task_id}", `
      + 'which tasks test cannot read (it runs outside any DAG run): use `updraft dags test` instead');
  });
  const length = mapLength(lists);
  if (mapIndex < 0 || mapIndex >= length) throw new UserInputError(`task "${task.task_id}" has ${length} mapped instances: --map-index must be 0..${length - 1}`);
  return valuesAt(lists, mapIndex);
}
