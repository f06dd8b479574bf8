/**
 * The activities of durable steps, run by the Temporal worker inside `updraft worker`.
 * `runDurableStep` is one attempt of a task instance: the same preparation and
 * `execute` as an ordinary try, but
 *  - the task's checkpoint travels in the activity's heartbeats too, so an attempt that
 *    replaces one whose worker died resumes from it (PostgreSQL keeps it as well, which
 *    is what `commitWith` makes atomic with the task's own writes);
 *  - a heartbeat every third of the heartbeat timeout tells Temporal the worker lives;
 *  - the outcome is returned to the workflow, not recorded: the Updraft try waiting for
 *    the workflow records it (run-try.ts), so a step's outcome is written once.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CheckpointHandle } from '../../core/authoring/context.ts';
import { DEFAULT_CHECKPOINT_KEY, loadCheckpoint, saveCheckpointIn } from '../../core/checkpoints/checkpoint.ts';
import type { Config } from '../../core/config.ts';
import type { Db } from '../../core/db/connect.ts';
import type { DurableStepInput, DurableStepResult } from '../../core/durable/plan.ts';
import { endAttempt, loadStepTask, startAttempt, versionSource, type AttemptRef } from '../../core/durable/store.ts';
import { errorMessage, isTaskFailNow, isTaskReschedule, isTaskSkip } from '../../core/errors.ts';
import { loadSpec } from '../../core/transitions/spec-cache.ts';
import { rows } from '../../core/transitions/sql.ts';
import { untilDoneOrAborted } from '../abort.ts';
import { prepareTask } from '../prepare-task.ts';
import { TaskLogWriter } from '../task-log.ts';

export interface ActivityResources { config: Config; db: Db; workerId: string }

export interface DurableActivities {
  runDurableStep(input: DurableStepInput): Promise<DurableStepResult>;
  /** The state of a run (null if it is gone): a `run_as_workflow` workflow ends when its run has. */
  dagRunState(run: { dag_id: string; run_id: string }): Promise<string | null>;
}

/** Heartbeat details: the checkpoint values by key, as saved by this attempt or an earlier one. */
type Details = Record<string, unknown>;

export function makeDurableActivities(r: ActivityResources): DurableActivities {
  return {
    runDurableStep: (input) => runDurableStep(r, input),
    dagRunState: async ({ dag_id, run_id }) => (await rows<{ state: string }>(r.db,
      'select state from dag_run where dag_id = ? and run_id = ?', [dag_id, run_id]))[0]?.state ?? null,
  };
}

async function runDurableStep(r: ActivityResources, input: DurableStepInput): Promise<DurableStepResult> {
  const actx = Context.current();
  const { info } = actx;
  const ti = await loadStepTask(r.db, input.ti_id, input.dag_version_id);
  if (!ti) throw ApplicationFailure.nonRetryable(`task instance ${input.ti_id} no longer exists`, 'TaskFailNow');
  const spec = await loadSpec(r.db, input.dag_version_id);
  const task = spec.tasks.find((t) => t.task_id === input.task_id);
  if (!task) throw ApplicationFailure.nonRetryable(`task "${input.task_id}" is not in version ${input.dag_version_id} of DAG "${input.dag_id}"`, 'TaskFailNow');
  const execution = info.workflowExecution ?? { workflowId: '?', runId: '?' }; // absent only for standalone activities
  const ref: AttemptRef = {
    workflow_id: execution.workflowId, workflow_run_id: execution.runId,
    activity_id: info.activityId, attempt: info.attempt,
  };
  await startAttempt(r.db, ti.id, ref, { hostname: r.config.hostname, workerId: r.workerId });
  const log = new TaskLogWriter(r.db, ti.id, ti.try_number);
  log.system(`durable step: attempt ${info.attempt} of ${input.plan.retry.maximumAttempts} on ${r.config.hostname} `
    + `(workflow ${ref.workflow_id}, run ${ref.workflow_run_id})`);

  const details: Details = isDetails(info.heartbeatDetails) ? { ...info.heartbeatDetails } : {};
  const beat = () => actx.heartbeat(details);
  beat();
  const beating = setInterval(beat, Math.max(100, Math.floor(input.plan.heartbeatTimeoutMs / 3)));
  // Temporal delivers a cancellation (the workflow was cancelled) through heartbeats.
  const controller = new AbortController();
  const onCancel = () => controller.abort(new Error('the durable step was cancelled'));
  actx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
  try {
    const checkpoint = heartbeatingCheckpoints(r.db, ti.id, details, beat);
    const prepared = await prepareTask(r, spec, task, ti, { signal: controller.signal, log, checkpoint, source: await pinnedSource(r.db, input.dag_version_id, task.needs_dag_file) });
    const cb = prepared.operator.common.callbacks.on_execute_callback;
    if (cb) await Promise.resolve(cb(prepared.ctx)).catch((err: unknown) => log.system(`on_execute_callback raised (ignored): ${errorMessage(err)}`));
    const value = await untilDoneOrAborted(prepared.operator.execute(prepared.args, prepared.ctx), controller.signal);
    await endAttempt(r.db, ref, 'success', null);
    log.system(`durable step: attempt ${info.attempt} succeeded`);
    return { kind: 'success', xcom: value };
  } catch (err) {
    if (isTaskSkip(err)) { await endAttempt(r.db, ref, 'skipped', null); return { kind: 'skipped', reason: errorMessage(err) }; }
    if (isTaskReschedule(err)) { await endAttempt(r.db, ref, 'reschedule', null); return { kind: 'reschedule', at: err.at.toISOString() }; }
    const message = errorMessage(err);
    await endAttempt(r.db, ref, 'failed', message).catch(() => undefined);
    log.system(`durable step: attempt ${info.attempt} failed: ${err instanceof Error && err.stack ? err.stack : message}`);
    if (isTaskFailNow(err)) throw ApplicationFailure.nonRetryable(message, 'TaskFailNow');
    throw ApplicationFailure.retryable(message, 'TaskError');
  } finally {
    clearInterval(beating);
    actx.cancellationSignal.removeEventListener('abort', onCancel);
    await log.flush();
  }
}

function isDetails(v: unknown): v is Details {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The task's checkpoint handle for a durable attempt: PostgreSQL as for any task, and
 * every saved value also put in the heartbeat details right away. Loading prefers
 * PostgreSQL: a value is saved there first, so a heartbeat can only lag behind it (a
 * worker killed between the two); the details serve when the database has none.
 */
function heartbeatingCheckpoints(db: Db, tiId: number, details: Details, beat: () => void): CheckpointHandle {
  const remember = (key: string, value: unknown) => { details[key] = value; beat(); };
  return {
    load: async <T>(key = DEFAULT_CHECKPOINT_KEY) => (await loadCheckpoint<T>(db, tiId, key)) ?? ((details[key] as T | undefined) ?? null),
    save: async (value, key = DEFAULT_CHECKPOINT_KEY) => { await saveCheckpointIn(db, tiId, value, key); remember(key, value); },
    commitWith: async (value, work, key = DEFAULT_CHECKPOINT_KEY) => {
      const result = await db.transaction(async (trx) => {
        const out = await work(trx);
        await saveCheckpointIn(trx, tiId, value, key);
        return out;
      });
      remember(key, value);
      return result;
    },
  };
}

/** A step whose code lives in its DAG file imports the file as the step's DAG version had it. */
async function pinnedSource(db: Db, versionId: number, needsFile: boolean): Promise<{ code: string } | undefined> {
  return needsFile ? (await versionSource(db, versionId)) ?? undefined : undefined;
}
