/**
 * One task-instance try, from job to recorded outcome: claim it (queued → running),
 * build the operator and its context, render templates, execute under the timeout,
 * then record the outcome and enqueue the downstream tasks that became ready.
 */
import type { BaseOperator } from '../core/authoring/base-operator.ts';
import type { TaskCallbackName } from '../core/authoring/callbacks.ts';
import type { TaskContext } from '../core/authoring/context.ts';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/connect.ts';
import type { DagSpec, TaskSpec } from '../core/dag/spec.ts';
import { errorMessage, isTaskFailNow, isTaskReschedule, isTaskSkip, TaskFailNow, TaskTimeout } from '../core/errors.ts';
import type { Logger } from '../core/logging.ts';
import type { TaskJobData } from '../core/queue/job-id.ts';
import { preciseNow } from '../core/time/clock.ts';
import { recordTaskOutlets } from '../core/transitions/asset-events.ts';
import { prepareFinish, type Outcome } from '../core/transitions/finish-ti.ts';
import { handBackTaskInstance } from '../core/transitions/hand-back.ts';
import { unmappableReason } from '../core/transitions/map-values.ts';
import { loadSpec } from '../core/transitions/spec-cache.ts';
import type { WorkerIdentity } from '../core/transitions/start-ti.ts';
import { ExternallyChanged, HandBack, untilDoneOrAborted } from './abort.ts';
import { awaitDurableStep } from './durable/await-step.ts';
import { signalRunFinished } from './durable/run-finished.ts';
import type { DurableRuntime } from './durable/runtime.ts';
import { versionSource } from '../core/durable/store.ts';
import { prepareTask } from './prepare-task.ts';
import { TaskLogWriter } from './task-log.ts';
import { directTaskStore, type TaskStore } from './task-store.ts';

/** Where the jobs of newly queued downstream tasks go (BullMQ, or a foreground runner). */
export interface JobSink { enqueue(jobs: readonly TaskJobData[]): Promise<void> }

/** Asked to queue a DAG's scheduled tasks soon (see worker/refill.ts). */
export interface RefillRequester { request(spec: DagSpec): void }

export interface WorkerResources {
  config: Config; db: Db; queues: JobSink; log: Logger; identity: WorkerIdentity;
  /** How starts and finishes reach the database (batched in a busy worker). */
  store?: TaskStore;
  refill?: RefillRequester;
  /** Temporal, for durable tasks (absent: they fail saying so, unless durableInline). */
  temporal?: DurableRuntime;
  /** Run durable tasks in this process like any other (`dags test`, which uses no executor). */
  durableInline?: boolean;
}

/** Tasks running in this worker, so heartbeats and shutdown can abort them. */
export type ActiveTasks = Map<number, { try_number: number; controller: AbortController }>;

export async function runTry(r: WorkerResources, job: TaskJobData, active: ActiveTasks): Promise<void> {
  const store = r.store ?? directTaskStore(r.db, r.identity);
  const started = await store.start({ ti_id: job.ti_id, try_number: job.try_number, start: preciseNow().iso });
  if (!started) return; // a duplicate or stale job: the database says this try is not queued
  const spec = await loadSpec(r.db, started.dag_version_id);
  const task = spec.tasks.find((t) => t.task_id === started.task_id);
  const controller = new AbortController();
  active.set(started.id, { try_number: started.try_number, controller });
  const log = new TaskLogWriter(r.db, started.id, started.try_number);
  let operator: BaseOperator | null = null;
  let ctx: TaskContext | null = null;
  let outcome: Outcome;
  let skippedOthers = false;
  const durable = Boolean(task && (task.durable || spec.run_as_workflow)) && !r.durableInline;
  try {
    if (!task) throw new TaskFailNow(`task "${started.task_id}" is not in DAG "${spec.dag_id}" any more`);
    if (durable) {
      // The step runs as a Temporal activity: its execution, retries and timeout are there.
      if (!r.temporal) throw new Error('this task is durable, but this worker runs without Temporal');
      outcome = await awaitDurableStep(r.db, r.temporal, spec, task, started, log, controller.signal);
    } else {
      const prepared = await prepareTask(r, spec, task, started, { signal: controller.signal, log, onSkip: () => { skippedOthers = true; } });
      operator = prepared.operator;
      ctx = prepared.ctx;
      await runCallback(operator, 'on_execute_callback', ctx, log);
      const timeoutMs = task.execution_timeout_ms;
      const timer = timeoutMs === null ? null : setTimeout(() => controller.abort(
        new TaskTimeout(`task exceeded its execution_timeout of ${timeoutMs / 1000} s`)), timeoutMs);
      try {
        const value = await untilDoneOrAborted(operator.execute(prepared.args, ctx), controller.signal);
        const unmappable = unmappablePush(spec, task, value);
        if (unmappable) log.system(`failed: ${unmappable.error}`);
        outcome = unmappable ?? { kind: 'success', xcom: value };
      } finally {
        if (timer) clearTimeout(timer);
      }
    }
  } catch (err) {
    if (err instanceof HandBack) {
      active.delete(started.id);
      log.system(`handed back: ${err.message}`);
      await log.flush();
      await handBackTaskInstance(r.db, started.id, started.try_number, err.message);
      return;
    }
    outcome = outcomeOfError(err);
    log.system(describeOutcome(outcome, err));
  }
  active.delete(started.id);
  await log.flush();
  if (!task) return;
  const prepared = prepareFinish(spec,
    { id: started.dag_run_id, dag_id: started.dag_id, logical_date: started.logical_date },
    { ...started, expected_state: 'running' }, outcome, preciseNow().iso, skippedOthers);
  const result = await withRetries(() => store.finish(prepared), (err, attempt) =>
    r.log.warn({ err, ti: started.id, attempt }, 'recording the outcome failed; retrying'));
  if (result.jobs.length) await r.queues.enqueue(result.jobs);
  if (result.state === 'success' && task.outlets?.length) await recordTaskOutlets(r.db, started, task.outlets, (err) => r.log.error({ err, ti: started.id }, 'recording asset events failed'));
  if (result.queueBusy) r.refill?.request(spec);
  if (result.runState) r.log.info({ dag_id: started.dag_id, run_id: started.run_id, state: result.runState }, 'dag run finished');
  if (result.runState && spec.run_as_workflow && r.temporal) await signalRunFinished(r.temporal, started, result.runState, r.log);
  if (durable && result.state && task.needs_dag_file) {
    // A durable task's outcome callbacks run here, once, with the step's own DAG version.
    ({ operator, ctx } = await prepareTask(r, spec, task, started,
      { signal: controller.signal, log, source: (await versionSource(r.db, started.dag_version_id)) ?? undefined })
      .catch((err: unknown) => { log.system(`callbacks not run: ${errorMessage(err)}`); return { operator: null, ctx: null }; }));
  }
  if (operator && ctx && result.state) await runCallback(operator, callbackFor(result.state), { ...ctx, ...errorOf(outcome) }, log);
  await log.flush();
}

/**
 * Recording an outcome is retried on a transient error (a lock conflict, a dropped
 * connection): giving up would leave the task running until zombie detection. Retrying
 * is safe because the finish is guarded by state and try number: if an attempt did
 * commit unseen, the next one changes nothing.
 */
async function withRetries<T>(fn: () => Promise<T>, onError: (err: unknown, attempt: number) => void): Promise<T> {
  const delays = [50, 200, 800, 2000];
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = delays[attempt - 1];
      if (delay === undefined) throw err;
      onError(err, attempt);
      await new Promise((res) => setTimeout(res, delay));
    }
  }
}

/**
 * A return value that a downstream task expands over must be a list within the cap:
 * as in Airflow, the task pushing it fails (rather than the mapped task later).
 */
function unmappablePush(spec: DagSpec, task: TaskSpec, value: unknown): Extract<Outcome, { kind: 'failed' }> | null {
  const consumer = spec.tasks.find((t) => t.mapped?.args.some(({ source }) =>
    'xcom' in source && source.xcom.task_id === task.task_id && source.xcom.key === 'return_value'));
  if (!consumer || task.mapped) return null;
  const problem = unmappableReason(value ?? null);
  return problem ? { kind: 'failed', retryable: true, error: `task "${consumer.task_id}" expands over this task's return value, but ${problem}` } : null;
}

function outcomeOfError(err: unknown): Outcome {
  if (isTaskReschedule(err)) return { kind: 'reschedule', at: err.at };
  if (isTaskSkip(err)) return { kind: 'skipped', reason: err.message };
  if (isTaskFailNow(err)) return { kind: 'failed', retryable: false, error: err.message };
  if (err instanceof ExternallyChanged) return { kind: 'failed', retryable: false, error: err.message };
  return { kind: 'failed', retryable: true, error: errorMessage(err) };
}

function describeOutcome(outcome: Outcome, err: unknown): string {
  switch (outcome.kind) {
    case 'skipped': return `skipped: ${outcome.reason}`;
    case 'reschedule': return `rescheduled: the slot is free until ${outcome.at.toISOString()}`;
    default: return `failed: ${errorStack(err)}`;
  }
}

function errorStack(err: unknown): string {
  return err instanceof Error && err.stack && !(err instanceof TaskTimeout) ? err.stack : errorMessage(err);
}

function errorOf(outcome: Outcome): { exception?: unknown } {
  return outcome.kind === 'failed' ? { exception: new Error(outcome.error) } : {};
}

function callbackFor(state: string): TaskCallbackName | null {
  switch (state) {
    case 'success': return 'on_success_callback';
    case 'failed': return 'on_failure_callback';
    case 'up_for_retry': return 'on_retry_callback';
    case 'skipped': return 'on_skipped_callback';
    default: return null;
  }
}

/** A failing callback is logged and never changes the task's state. */
async function runCallback(op: BaseOperator, name: TaskCallbackName | null, ctx: TaskContext & { exception?: unknown }, log: TaskLogWriter): Promise<void> {
  const cb = name ? op.common.callbacks[name] : undefined;
  if (!cb) return;
  try {
    await cb(ctx);
  } catch (err) {
    log.system(`${name} raised (ignored): ${errorMessage(err)}`);
  }
}

